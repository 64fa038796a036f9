"""`office.read_xlsx_book` (the scanner's XLSX reader, ``files.read_xlsx``) reads an .xlsx parsing
each worksheet once (one stream feeds openpyxl's row parser, the sheet's headers, links,
validations and filters, and the shared strings used) and gives exactly the batches of a reader
that parses each sheet twice (openpyxl's read-only mode with the declared dimension reset, then
each part on its own, below): on every workbook the sheet tests build and on a generated one
with the odd corners of the format (missing rows, cells without ``r``, dates, booleans, errors,
cached formula results, inline and rich strings, a dimension that stops short of the data, no
dimension at all). A stale dimension hides no cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gezi.pii.files import Segment, Unreadable, read_xlsx, table_batches
from gezi.pii.mask_files import mask_file
from gezi.pii.office import _package, _rest_batches, _sheet_units, read_xlsx_book, xlsx_parts
from gezi.pii.scan import scan_paths

from . import builders, test_office_word_parts, test_xlsx_caches, test_xlsx_filters, test_xlsx_hidden_text
from .test_xlsx_hidden_text import write_members

X = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
# Names and numbers that look like data, repeated: the corpus of the generated sheet.
PEOPLE = ["王小明", "陳怡君", "林志明", "黃雅婷", "張家豪"]


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(rows: list[str], dimension: str | None, tail: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {X}>{dim}<sheetData>'
            + "".join(rows) + f"</sheetData>{tail}</worksheet>").encode()


def make_odd_book(path: Path, rows: int = 300) -> Path:
    """Three sheets as writers other than openpyxl leave them, on a workbook openpyxl made (its
    styles give style 1 a date format): ``資料`` with gaps, cells without ``r``, every cell type
    and a header, footer, link and validation after its data; ``短`` whose dimension ends two
    rows and a column before its data; ``無尺寸`` with no dimension."""
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "資料"
    book.active["A1"] = "x"
    book.active["B1"] = datetime.date(2024, 1, 2)  # makes a date style: s="1"
    for title in ("短", "無尺寸"):
        book.create_sheet(title)["A1"] = "x"
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    header = zip("ABCD", ["姓名", "生日", "手機", "備註"], strict=True)
    data = ['<row r="1">' + "".join(_inline(f"{c}1", h) for c, h in header) + "</row>"]
    for r in range(2, rows):
        if r % 7 == 0:
            continue  # a row missing
        name, phone = PEOPLE[r % 5], f"09{r:08d}"
        cells = (f'<c r="A{r}" t="inlineStr"><is><r><rPr><b/></rPr><t>{name[0]}</t></r><r><t>{name[1:]}</t></r>'
                 f'<rPh sb="0" eb="1"><t>ㄨㄤˊ</t></rPh></is></c>' if r % 3 else f'<c r="A{r}" t="str"><f>"{name}"</f>'
                 f"<v>{name}</v></c>")
        cells += f'<c r="B{r}" s="1"><v>{40000 + r}</v></c>'
        cells += f"<c><v>{phone[1:]}</v></c>" if r % 2 else _inline(f"C{r}", phone)
        cells += {0: f'<c r="D{r}" t="b"><v>1</v></c>', 1: f'<c r="D{r}" t="e"><v>#N/A</v></c>',
                  2: f'<c r="D{r}"><v>{r}.5</v></c>', 3: _inline(f"F{r}", "洽 A123456789")}[r % 4]
        data.append(f'<row r="{r}">{cells}</row>' if r % 5 else f"<row>{cells}</row>")  # a row without r follows on
    tail = ('<headerFooter><oddHeader>&amp;C承辦人 林志明 0933-111-222</oddHeader></headerFooter>'
            '<dataValidations count="1"><dataValidation type="list" sqref="A2:A9"><formula1>"王小明,陳怡君"</formula1>'
            "</dataValidation></dataValidations>")
    members["xl/worksheets/sheet1.xml"] = _sheet(data, f"A1:F{rows}", tail)
    short = [f'<row r="1">{_inline("A1", "姓名")}{_inline("B1", "電話")}</row>'] + [
        f'<row r="{r}">{_inline(f"A{r}", PEOPLE[r % 5])}{_inline(f"B{r}", f"0912-345-{r:03d}")}</row>'
        for r in range(2, 8)]
    footer = "<headerFooter><oddFooter>黃雅婷 0955-666-777</oddFooter></headerFooter>"
    members["xl/worksheets/sheet2.xml"] = _sheet(short, "A1:A5", footer)
    members["xl/worksheets/sheet3.xml"] = _sheet(
        [f'<row r="{r}">{_inline(f"B{r}", f"聯絡 {PEOPLE[r % 5]} 0912-000-{r:03d}")}</row>' for r in (3, 4, 9)], None)
    return write_members(path, members)


BOOKS = {
    "builders": lambda p: builders.make_xlsx(p, {
        "客戶": [["會員名單"], ["姓名", "電話"], ["王小明", "0912-345-678"]], "空白": [],
        "備註": [["說明"], ["地址 臺北市大安區忠孝東路四段100號5樓"]]}),
    "hidden_text": test_xlsx_hidden_text.make_xlsx,
    "caches": test_xlsx_caches.make_book,
    "filters": test_xlsx_filters.make_book,
    "smartart": test_office_word_parts.make_xlsx,
    "odd": make_odd_book,
}


def two_pass(opener):
    """The reference: every sheet's cells by openpyxl's read-only mode, the size the sheet
    declares reset (read to its last row), then the rest of the package, each sheet parsed again."""
    from openpyxl import load_workbook

    book = load_workbook(opener(), read_only=True, data_only=True)
    for sheet in book.worksheets:
        sheet.reset_dimensions()
        for column, segs in table_batches(list(r) for r in sheet.iter_rows(values_only=True)):
            yield column, [Segment(s.text, row=s.row, column=f"{sheet.title}!{s.column}") for s in segs]
    book.close()
    yield from parts_only(opener)


def parts_only(opener):
    """What the reader gives besides the cells' values, each sheet parsed on its own."""
    with _package(opener, "XLSX") as package:
        parts = xlsx_parts(package)
        units, used = [], set()
        for title, member in parts.sheets:
            units += _sheet_units(package, member, title, used)
        return list(_rest_batches(package, parts, units, used))


@pytest.mark.parametrize("name", list(BOOKS))
def test_same_batches_as_the_two_pass_reader(tmp_path, name):
    path = BOOKS[name](tmp_path / f"{name}.xlsx")
    ours = list(read_xlsx_book(lambda: path.open("rb")))
    assert ours == list(two_pass(lambda: path.open("rb")))
    assert ours == list(read_xlsx(lambda: path.open("rb")))
    assert sum(len(segs) for _, segs in ours) > 3


def test_a_stale_dimension_hides_no_cell(tmp_path):
    """A sheet whose writer left ``<dimension ref="A1"/>`` over its data: openpyxl's read-only
    mode would read one cell; every row is scanned."""
    path = make_odd_book(tmp_path / "a.xlsx", rows=20)
    found = {(f.column, f.value) for f in scan_paths([path], workers=1).findings}
    # sheet 短 declares A1:A5 over seven rows and two columns
    assert {("短!電話", "0912-345-007"), ("短!姓名", "林志明"), ("短!電話", "0912-345-002")} <= found


def _bytes_read(monkeypatch, reader, path: Path) -> dict[str, int]:
    """How many bytes of each member ``reader`` decompressed while reading ``path``."""
    counts: dict[str, int] = {}
    original = zipfile.ZipExtFile.read

    def read(self, n=-1):
        data = original(self, n)
        counts[self.name] = counts.get(self.name, 0) + len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    for _ in reader(lambda: path.open("rb")):
        pass
    monkeypatch.undo()
    return counts


def test_each_sheet_read_once(tmp_path, monkeypatch):
    path = make_odd_book(tmp_path / "大.xlsx", rows=10_000)
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("xl/worksheets/sheet1.xml").file_size
    once = _bytes_read(monkeypatch, read_xlsx_book, path)["xl/worksheets/sheet1.xml"]
    twice = _bytes_read(monkeypatch, two_pass, path)["xl/worksheets/sheet1.xml"]
    # openpyxl peeks at the sheet's first bytes for its dimension; the rest is read once
    assert size <= once < size * 1.1 and twice >= size * 2
    assert list(read_xlsx_book(lambda: path.open("rb"))) == list(two_pass(lambda: path.open("rb")))


def test_corrupt_sheet_one_line(tmp_path):
    path = make_odd_book(tmp_path / "a.xlsx", rows=20)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:-40]
    bad = write_members(tmp_path / "b.xlsx", members)
    with pytest.raises(Unreadable, match="corrupt"):
        list(read_xlsx_book(lambda: bad.open("rb")))


def test_masking_rewrites_each_sheet_from_its_stream(tmp_path):
    """The masking reads the sheets' headers, validations and filters from a stream and writes
    each sheet back one at a time: every value the scan reports in any of the three sheets is
    gone from the copy, and the copy is still read the same way."""
    from .test_mask_sheets_slides import assert_none_left

    src, out = make_odd_book(tmp_path / "a.xlsx", rows=60), tmp_path / "out.xlsx"
    found = {f.value for f in scan_paths([src], workers=1).findings if f.column != "文件摘要 creator"}
    assert {"林志明", "0933-111-222", "黃雅婷", "0955-666-777", "0912-000-009", "A123456789"} <= found
    mask_file(src, out)
    assert_none_left(out, found - {"王小明", "陳怡君"} | {"0955-666-777"})  # the validation list is masked too
    with zipfile.ZipFile(out) as zf:
        first, second = zf.read("xl/worksheets/sheet1.xml").decode(), zf.read("xl/worksheets/sheet2.xml").decode()
    assert "<oddHeader>&amp;C承辦人 林○明 0933-***-222</oddHeader>" in first and '"王○明,陳○君"' in first
    assert "<oddFooter>黃○婷 0955-***-777</oddFooter>" in second
    assert list(read_xlsx_book(lambda: out.open("rb"))) == list(two_pass(lambda: out.open("rb")))
