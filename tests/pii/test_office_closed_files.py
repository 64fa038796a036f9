"""The Office readers close every file they open (a scan of thousands of documents must not hold
their handles until the garbage collector finds them: ``ResourceWarning: unclosed file``)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gezi.pii.files import Unreadable
from gezi.pii.office import read_odf_text, read_ods_parts, read_pptx, read_xlsx_book
from tests.pii.test_embedded_documents import _pptx_bytes, _xlsx_bytes
from tests.pii.test_mask_sheets_slides import make_ods


def _odt(path: Path) -> Path:
    from tests.pii.test_mask_sheets_slides import _odf

    return _odf(path, "application/vnd.oasis.opendocument.text",
                "<office:text><text:p>聯絡人 王小明 0912-345-678</text:p></office:text>")


def _unclosed(read: Callable[[], Iterator]) -> list[str]:
    """The ResourceWarnings raised while ``read`` runs and its leftovers are collected."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            for _ in read():
                pass
        except Unreadable:
            pass
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize(("name", "reader"), [("a.xlsx", read_xlsx_book), ("a.pptx", read_pptx),
                                              ("a.odt", read_odf_text), ("a.ods", read_ods_parts)])
def test_readers_close_their_files(tmp_path: Path, name: str, reader) -> None:
    path = tmp_path / name
    builders = {".xlsx": lambda: path.write_bytes(_xlsx_bytes([["姓名"], ["王小明"]])),
                ".pptx": lambda: path.write_bytes(_pptx_bytes("王小明")),
                ".odt": lambda: _odt(path), ".ods": lambda: make_ods(path)}
    builders[path.suffix]()
    assert list(reader(lambda: path.open("rb")))  # read, with findings to give
    assert _unclosed(lambda: reader(lambda: path.open("rb"))) == []


@pytest.mark.parametrize("reader", [read_xlsx_book, read_pptx, read_odf_text, read_ods_parts])
def test_readers_close_damaged_files(tmp_path: Path, reader) -> None:
    """A file that is no package (or a package that is not the document) is closed too."""
    bad, empty = tmp_path / "bad.bin", tmp_path / "empty.zip"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    empty.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    for path in (bad, empty):
        assert _unclosed(lambda p=path: reader(lambda: p.open("rb"))) == []
