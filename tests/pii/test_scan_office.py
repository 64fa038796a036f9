"""OpenDocument text (.odt, the document standard of Taiwan's government agencies) and
PowerPoint (.pptx): paragraphs as numbered lines, ODF tables as rows under their header,
damaged packages reported and skipped."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from gezi.pii.scan import scan_paths

ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')


def make_odt(path: Path, body: str) -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}>'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return path


def cell(text: str, repeat: int = 1) -> str:
    extra = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-cell{extra}><text:p>{escape(text)}</text:p></table:table-cell>"


def row(*cells: str) -> str:
    return "<table:table-row>" + "".join(cells) + "</table:table-row>"


ODT_BODY = (
    '<text:h text:outline-level="1">個人資料蒐集告知事項</text:h>'
    "<text:p>申請人：<text:span>王小明</text:span>，電話<text:s text:c=\"2\"/>0912-345-678</text:p>"
    "<text:p/>"
    "<text:list><text:list-item><text:p>身分證字號：A123456789</text:p></text:list-item></text:list>"
    "<table:table table:name=\"名冊\">"
    + row(cell("姓名"), cell("統一編號"), cell("", 3))
    + row(cell("陳怡君"), cell("04595257"), cell("", 1000))  # writers pad rows like this
    + "</table:table>"
)


def test_odt_paragraphs_and_tables(tmp_path):
    path = make_odt(tmp_path / "公文.odt", ODT_BODY)
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert {(f.entity, f.line, f.row, f.column, f.start, f.end, f.value) for f in report.findings} == {
        ("PERSON_NAME", 2, None, None, 4, 7, "王小明"),
        ("PHONE_NUMBER", 2, None, None, 12, 24, "0912-345-678"),  # text:s c=2 is two spaces
        ("TW_NATIONAL_ID", 4, None, None, 6, 16, "A123456789"),
        ("PERSON_NAME", None, 2, "姓名", 0, 3, "陳怡君"),
        ("TW_UBN", None, 2, "統一編號", 0, 8, "04595257"),
    }


def make_pptx(path: Path, slides: list[list[str]], notes: dict[int, list[str]]) -> Path:
    ns = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' \
         'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'

    def part(paragraphs: list[str]) -> str:
        body = "".join(f"<a:p><a:r><a:t>{escape(t[:3])}</a:t></a:r><a:r><a:t>{escape(t[3:])}</a:t></a:r></a:p>"
                       for t in paragraphs)
        return f'<?xml version="1.0" encoding="UTF-8"?><p:sld {ns}><p:cSld><p:spTree><p:sp><p:txBody>' \
               f"{body}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for i in range(len(slides), 0, -1):  # written out of order on purpose
            zf.writestr(f"ppt/slides/slide{i}.xml", part(slides[i - 1]))
        for i, paragraphs in notes.items():
            zf.writestr(f"ppt/notesSlides/notesSlide{i}.xml", part(paragraphs))
    return path


def test_pptx_slides_in_order_with_notes(tmp_path):
    path = make_pptx(tmp_path / "簡報.pptx",
                     [["客戶名單", "王小明 0912-345-678"], ["無個資"] * 2 + ["聯絡 chen@example.com"]],
                     {1: ["講者備註：身分證 A123456789"]})
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert [(f.line, f.entity, f.value) for f in sorted(report.findings, key=lambda f: (f.line, f.start))] == [
        (2, "PERSON_NAME", "王小明"), (2, "PHONE_NUMBER", "0912-345-678"),
        (3, "TW_NATIONAL_ID", "A123456789"),  # slide 1's notes come right after slide 1
        (6, "EMAIL_ADDRESS", "chen@example.com"),
    ]


def test_damaged_packages_reported_rest_scanned(tmp_path):
    (tmp_path / "a.odt").write_bytes(b"PK\x03\x04 broken")
    with zipfile.ZipFile(tmp_path / "b.odt", "w") as zf:
        zf.writestr("content.xml", "<office:document-content><unclosed>")
    with zipfile.ZipFile(tmp_path / "c.pptx", "w") as zf:
        zf.writestr("word/document.xml", "<w/>")  # a package, but no slides
    make_odt(tmp_path / "ok.odt", ODT_BODY)
    report = scan_paths([tmp_path], workers=1)
    reasons = {Path(s["path"]).name: s["reason"] for s in report.files_skipped}
    assert set(reasons) == {"a.odt", "b.odt", "c.pptx"}
    assert "corrupt" in reasons["a.odt"] and "corrupt" in reasons["b.odt"]
    assert "no slides" in reasons["c.pptx"]
    assert {Path(f.path).name for f in report.findings} == {"ok.odt"}
