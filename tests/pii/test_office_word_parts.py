"""Word (.docx) parts past the stories, and SmartArt in Word and Excel: the glossary's building
blocks and AutoText (``word/glossary/document.xml``, a signature block 「承辦人 王大明
0912-345-678」 saved once and inserted anywhere), a header part no section uses, and SmartArt
(its data model and cached drawing, in ``word/diagrams/`` and ``xl/diagrams/``) are scanned,
reported where they sit, and masked the same way in both copies of a SmartArt."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .test_mask_documents import EMPTIED, _bomb, _replace_member, refused_one_line
from .test_mask_sheets_slides import REL, assert_none_left
from .test_office_pptx_parts import DIAGRAM_DRAWING, _texts, smartart
from .test_xlsx_hidden_text import _findings, _rel, write_members

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CT = "application/vnd.openxmlformats-officedocument"
GLOSSARY = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:glossaryDocument {W}><w:docParts>'
    '<w:docPart><w:docPartPr><w:name w:val="簽名"/><w:category><w:name w:val="一般"/></w:category></w:docPartPr>'
    '<w:docPartBody><w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">承辦人 王</w:t></w:r>'
    "<w:r><w:t>大明 0912-345-678</w:t></w:r></w:p></w:docPartBody></w:docPart>"
    '<w:docPart><w:docPartPr><w:name w:val="聯絡表"/></w:docPartPr><w:docPartBody><w:tbl>'
    + "".join("<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{v}</w:t></w:r></w:p></w:tc>" for v in row) + "</w:tr>"
              for row in (["姓名", "電話"], ["陳怡君", "0933-111-222"]))
    + "</w:tbl><w:sectPr/></w:docPartBody></w:docPart></w:docParts></w:glossaryDocument>")
UNUSED_HEADER = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {W}><w:p><w:r>'
                 "<w:t>舊頁首 林志明 A123456789</w:t></w:r></w:p></w:hdr>")
SMARTART = ["聯絡人 黃雅婷 0955-666-777", "經理 吳建宏 wu.jh@example.com"]
VALUES = ["王大明", "0912-345-678", "陳怡君", "0933-111-222", "林志明", "A123456789", "黃雅婷", "0955-666-777",
          "吳建宏", "wu.jh@example.com"]


def make_docx(path: Path) -> Path:
    """A letter whose body holds no personal data, with a glossary, an unused header and
    SmartArt."""
    import docx

    document = docx.Document()
    document.add_paragraph("本文無個資")
    document.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    data, drawing = smartart(SMARTART)
    members.update({"word/glossary/document.xml": GLOSSARY.encode(), "word/header9.xml": UNUSED_HEADER.encode(),
                    "word/diagrams/data1.xml": data.encode(), "word/diagrams/drawing1.xml": drawing.encode()})
    rels = (_rel("rIdG", f"{REL}/glossaryDocument", "glossary/document.xml")
            + _rel("rIdH", f"{REL}/header", "header9.xml")
            + _rel("rIdD1", f"{REL}/diagramData", "diagrams/data1.xml")
            + _rel("rIdD2", DIAGRAM_DRAWING, "diagrams/drawing1.xml"))
    types = "".join(f'<Override PartName="/word/{name}" ContentType="{kind}"/>' for name, kind in (
        ("glossary/document.xml", f"{CT}.wordprocessingml.document.glossary+xml"),
        ("header9.xml", f"{CT}.wordprocessingml.header+xml"),
        ("diagrams/data1.xml", f"{CT}.drawingml.diagramData+xml"),
        ("diagrams/drawing1.xml", "application/vnd.ms-office.drawingml.diagramDrawing+xml")))
    for member, end, added in (("word/_rels/document.xml.rels", b"</Relationships>", rels),
                               ("[Content_Types].xml", b"</Types>", types)):
        members[member] = members[member].replace(end, added.encode() + end)
    return write_members(path, members)


def make_xlsx(path: Path) -> Path:
    """A sheet with a drawing holding SmartArt."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "客戶"
    book.active.append(["說明", "無個資"])
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    data, drawing = smartart(SMARTART)
    members["xl/worksheets/_rels/sheet1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{_rel("rId1", f"{REL}/drawing", "../drawings/drawing1.xml")}</Relationships>').encode()
    members["xl/drawings/drawing1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><xdr:wsDr '
        b'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"/>')
    members["xl/drawings/_rels/drawing1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{_rel("rId1", f"{REL}/diagramData", "../diagrams/data1.xml")}'
        f'{_rel("rId2", DIAGRAM_DRAWING, "../diagrams/drawing1.xml")}</Relationships>').encode()
    members["xl/diagrams/data1.xml"], members["xl/diagrams/drawing1.xml"] = data.encode(), drawing.encode()
    return write_members(path, members)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("parts")
    return {".docx": make_docx(base / "公文.docx"), ".xlsx": make_xlsx(base / "名冊.xlsx")}


def test_docx_glossary_unused_header_smartart_reported(files):
    found = Counter((f.value, f.column) for f in _findings(files[".docx"]))
    assert found[("王大明", "word/glossary/document.xml")] == 1  # split over two runs, read as one
    assert found[("0912-345-678", "word/glossary/document.xml")] == 1
    assert found[("陳怡君", "word/glossary/document.xml!姓名")] == 1  # a building block's table
    assert found[("0933-111-222", "word/glossary/document.xml!電話")] == 1
    assert found[("林志明", "word/header9.xml")] == found[("A123456789", "word/header9.xml")] == 1
    # SmartArt: in the data model and in the drawing cached for showing it
    for value in ("黃雅婷", "0955-666-777", "吳建宏", "wu.jh@example.com"):
        assert found[(value, "SmartArt")] == 2, value


def test_xlsx_smartart_reported_on_its_sheet(files):
    found = Counter((f.value, f.column) for f in _findings(files[".xlsx"]))
    for value in ("黃雅婷", "0955-666-777", "吳建宏", "wu.jh@example.com"):
        assert found[(value, "客戶!圖形 shape")] == 2, value


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_masked_copy_holds_none_and_smartart_copies_agree(files, tmp_path, suffix):
    src, out = files[suffix], tmp_path / f"out{suffix}"
    found = _findings(src)
    result = mask_file(src, out)
    values = VALUES if suffix == ".docx" else VALUES[6:]
    assert_none_left(out, set(values))
    assert {f.value for f in _findings(out)}.isdisjoint(values)
    scanned = Counter(f.entity for f in found if f.column not in EMPTIED)
    assert all(result["by_entity"].get(e, 0) >= n for e, n in scanned.items()), (result, scanned)
    folder = "word" if suffix == ".docx" else "xl"
    with zipfile.ZipFile(out) as zf:
        data, drawing = (zf.read(f"{folder}/diagrams/{n}1.xml").decode() for n in ("data", "drawing"))
        glossary = zf.read("word/glossary/document.xml").decode() if suffix == ".docx" else ""
    assert _texts(data) == _texts(drawing) == ["聯絡人 黃○婷 0955-***-777", "經理 吳○宏 w***@example.com"]
    if suffix == ".docx":  # the replacement in the value's first run, its bold kept
        assert '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">承辦人 王○明</w:t></w:r>' in glossary
        assert '<w:t xml:space="preserve"> 0912-***-678</w:t>' in glossary and ">陳○君</w:t>" in glossary


def test_bad_glossary_refused(files, tmp_path, capsys):
    bad = _replace_member(files[".docx"], tmp_path / "bad.docx", "word/glossary/document.xml",
                          (_bomb() + GLOSSARY[GLOSSARY.index("?>") + 2:]).encode())
    report = scan_paths([bad], workers=1)
    assert len(report.files_skipped) == 1 and "DTD" in report.files_skipped[0]["reason"]
    refused_one_line(bad, tmp_path / "out.docx", capsys)
