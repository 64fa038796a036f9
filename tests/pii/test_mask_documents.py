"""`gezi mask` on Word (.docx) and OpenDocument text (.odt): the masked copy keeps its
formatting, masks what `gezi pii scan` finds (values split over runs included), clears the
author properties, leaves no original value anywhere in the package, and refuses bad input."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from gezi.cli.main import main
from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

KEY = b"k" * 32
METHODS = [("partial", False), ("redact", False), ("pseudonym", False), ("pseudonym", True)]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Where the scanner reports a person field that the masking empties (not masks): the authors of
# changes and comments, the person fields of the document properties.
EMPTIED = {"w:author", "dc:creator"} | {f"文件摘要 {k}" for k in (
    "creator", "lastModifiedBy", "Manager", "Company", "initial-creator", "printed-by")}

# A text box as Word writes it: the DrawingML copy and the VML fallback, both with the text.
TEXT_BOX = (
    f'<w:r xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
    '<mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>{text}</w:t>'
    '</w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>'
    '<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
    '</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>'
)


def make_docx(path: Path) -> Path:
    """A letter: a name split over three runs (bold, italic, underlined) with spell-check
    marks between them, a phone split over two, a table, a header, a text box, properties."""
    import docx
    from docx.oxml import OxmlElement, parse_xml

    document = docx.Document()
    document.add_heading("個人資料蒐集告知事項", level=1)
    p = document.add_paragraph("申請人：")
    for text, style in (("王", "bold"), ("小", "italic"), ("明", "underline")):
        run = p.add_run(text)
        setattr(run, style, True)
        p._p.append(OxmlElement("w:proofErr"))  # Word's spell-check marks sit between runs
    p.add_run("，手機")
    p.add_run("0912-").bold = True
    p.add_run("345-678").font.color.rgb = docx.shared.RGBColor(0xC0, 0, 0)
    p.add_run("，身分證字號A123456789。")
    document.add_paragraph("住址：臺北市大安區忠孝東路四段100號5樓，電子郵件 wang.xm@example.com")
    box = document.add_paragraph("附件：")
    box._p.append(parse_xml(TEXT_BOX.format(text="聯絡人：陳美玲，電話02-2345-6789")))
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["姓名", "身分證字號", "備註"],
                             ["陳怡君", "B223456782", "手機0933-123-456"],
                             ["林志明", "A123456789", "無"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    header = document.sections[0].header.paragraphs[0]
    header.text = "承辦人：張家豪 電話02-2771-1234"
    props = document.core_properties
    props.author, props.last_modified_by, props.title = "王小明", "陳怡君", "王小明申請書"
    document.save(path)
    return path


ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:fo="urn:oasis:names:xmlns:xsl-fo-compatible:1.0" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"')
ODT_BODY = (
    "<office:automatic-styles>"
    '<style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>'
    "</office:automatic-styles><office:body><office:text>"
    '<text:h text:outline-level="1">個人資料蒐集告知事項</text:h>'
    '<text:p>申請人：<text:span text:style-name="B">王</text:span><!-- 校對 -->'
    '<text:span text:style-name="I">小</text:span>明，電話<text:s text:c="2"/>'
    '<text:span text:style-name="B">0912-</text:span>345-678</text:p>'
    "<text:p>身分證字號：A123456789，住址：臺北市大安區忠孝東路四段100號5樓</text:p>"
    '<text:p>附件<draw:frame><draw:text-box><text:p>聯絡人：陳美玲，電話02-2345-6789</text:p>'
    "</draw:text-box></draw:frame></text:p>"
    '<table:table table:name="名冊">'
    "<table:table-row><table:table-cell><text:p>姓名</text:p></table:table-cell>"
    "<table:table-cell><text:p>身分證字號</text:p></table:table-cell>"
    "<table:table-cell><text:p>備註</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell><text:p>陳怡君</text:p></table:table-cell>"
    "<table:table-cell><text:p>B223456782</text:p></table:table-cell>"
    '<table:table-cell><text:p>手機<text:span text:style-name="B">0933-123-456</text:span></text:p>'
    "</table:table-cell></table:table-row></table:table>"
    "</office:text></office:body>"
)
ODT_META = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<office:document-meta {ODF_NS} office:version="1.3"><office:meta>'
    "<meta:initial-creator>王小明</meta:initial-creator><dc:creator>陳怡君</dc:creator>"
    "<dc:title>王小明申請書</dc:title><meta:generator>LibreOffice</meta:generator>"
    "</office:meta></office:document-meta>"
)


def make_odt(path: Path) -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3">'
               f"{ODT_BODY}</office:document-content>")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        zf.writestr("content.xml", content)
        zf.writestr("meta.xml", ODT_META)
        zf.writestr("Pictures/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
                    compress_type=zipfile.ZIP_STORED)
    return path


def _findings(path: Path) -> list:
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    return report.findings


def _package_text(path: Path) -> str:
    """Every XML member of the package, decoded: where an original value could hide."""
    with zipfile.ZipFile(path) as zf:
        return "\n".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xml"))


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("docs")
    return {".docx": make_docx(base / "申請書.docx"), ".odt": make_odt(base / "公文.odt")}


def test_scanner_reads_every_place(docs):
    """The fixtures put values where the masking must reach: split runs, table, header, box."""
    values = {f.value for f in _findings(docs[".docx"])}
    assert {"王小明", "0912-345-678", "A123456789", "B223456782", "0933-123-456", "張家豪",
            "02-2771-1234", "陳美玲", "02-2345-6789", "wang.xm@example.com"} <= values
    values = {f.value for f in _findings(docs[".odt"])}
    assert {"王小明", "0912-345-678", "A123456789", "陳美玲", "02-2345-6789", "陳怡君",
            "B223456782", "0933-123-456"} <= values


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_no_original_value(docs, tmp_path, suffix, method, fp):
    src = docs[suffix]
    before = src.read_bytes()
    found = _findings(src)
    out = tmp_path / f"out{suffix}"
    result = mask_file(src, out, method, KEY if method == "pseudonym" else None, fp)
    assert src.read_bytes() == before  # the source is only read
    # The masking reads the text the scanner reads: one masked value per finding (the title
    # property's name too), the person fields emptied instead.
    expected = Counter(f.entity for f in found if f.column not in EMPTIED)
    assert result["by_entity"] == dict(expected)
    assert result["properties_cleared"] == 2
    xml = _package_text(out)
    for value in {f.value for f in found} | {"王小明", "陳怡君"}:  # the properties' names too
        assert value not in xml, value
    again = {f.value for f in _findings(out)}
    assert again.isdisjoint(f.value for f in found)


def test_docx_runs_keep_their_formatting(docs, tmp_path):
    out = tmp_path / "out.docx"
    mask_file(docs[".docx"], out)
    import docx

    paragraph = docx.Document(str(out)).paragraphs[1]
    runs = [(r.text, bool(r.bold), bool(r.italic), bool(r.underline)) for r in paragraph.runs]
    # The replacement sits in the value's first run, the later runs of the value are emptied
    # but keep their properties (bold / italic / underline, the colour of the phone's tail).
    assert runs[1:4] == [("王○明", True, False, False), ("", False, True, False), ("", False, False, True)]
    assert runs[5][0] == "0912-***-678" and runs[5][1] and runs[6][0] == ""
    assert paragraph.runs[6].font.color.rgb is not None
    assert paragraph.text == "申請人：王○明，手機0912-***-678，身分證字號A12****789。"
    with zipfile.ZipFile(out) as zf:
        document = zf.read("word/document.xml").decode()
    assert document.count("<w:proofErr/>") == 3


def test_docx_members_copied_in_order(docs, tmp_path):
    out = tmp_path / "out.docx"
    mask_file(docs[".docx"], out, "redact")
    with zipfile.ZipFile(docs[".docx"]) as a, zipfile.ZipFile(out) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        assert [i.compress_type for i in a.infolist()] == [i.compress_type for i in b.infolist()]
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
    # python-docx's template has a thumbnail (a picture of page one): blanked
    assert changed == {"word/document.xml", "word/header1.xml", "docProps/core.xml", "docProps/thumbnail.jpeg"}


def test_odt_spans_mimetype_and_properties(docs, tmp_path):
    out = tmp_path / "out.odt"
    result = mask_file(docs[".odt"], out)
    with zipfile.ZipFile(docs[".odt"]) as a, zipfile.ZipFile(out) as b:
        first = b.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert b.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert [(i.filename, i.compress_type) for i in a.infolist()] == \
               [(i.filename, i.compress_type) for i in b.infolist()]
        assert b.read("Pictures/logo.png") == a.read("Pictures/logo.png")
        content, meta = b.read("content.xml").decode(), b.read("meta.xml").decode()
    assert '<text:span text:style-name="B">王○明</text:span><!-- 校對 --><text:span text:style-name="I"/>' in content
    assert '<text:s text:c="2"/><text:span text:style-name="B">0912-***-678</text:span></text:p>' in content
    assert "<meta:initial-creator/><dc:creator/>" in meta
    assert "<dc:title>王○明申請書</dc:title>" in meta
    assert result["properties_cleared"] == 2


def test_units_are_the_scanner_segments(docs):
    """The masking assembles each paragraph, cell and property exactly as the scanner reads it."""
    from gezi.pii.files import read_docx
    from gezi.pii.office import read_odf_text

    from .test_office_hidden_text import assert_units_are_scanned, docx_reading, odf_reading, scanned_texts

    assert_units_are_scanned(docx_reading(docs[".docx"]), scanned_texts(read_docx, docs[".docx"]))
    assert_units_are_scanned(odf_reading(docs[".odt"]), scanned_texts(read_odf_text, docs[".odt"]))


def _bomb() -> str:
    return ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')


def _replace_member(src: Path, dst: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for info in a.infolist():
            b.writestr(info, data if info.filename == member else a.read(info))
    return dst


@pytest.mark.parametrize("case", ["corrupt", "not_docx", "ole", "bomb_docx", "bomb_odt", "odt_no_content",
                                  "odt_encrypted"])
def test_bad_input_one_line_exit_2(docs, tmp_path, capsys, case):
    if case == "corrupt":
        src = tmp_path / "壞.docx"
        src.write_bytes(docs[".docx"].read_bytes()[:2000])
    elif case == "not_docx":
        src = tmp_path / "x.docx"
        with zipfile.ZipFile(src, "w") as zf:
            zf.writestr("hello.txt", "王小明 0912-345-678")
    elif case == "ole":  # Word saves a password-protected .docx as an OLE compound file
        src = tmp_path / "加密.docx"
        src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    elif case == "bomb_docx":
        with zipfile.ZipFile(docs[".docx"]) as zf:
            xml = zf.read("word/document.xml").decode()
        body = xml[xml.index("<w:document"):].replace("申請人", "&lol2;")
        src = _replace_member(docs[".docx"], tmp_path / "bomb.docx", "word/document.xml",
                              (_bomb() + body).encode())
    elif case == "bomb_odt":
        src = _replace_member(docs[".odt"], tmp_path / "bomb.odt", "content.xml",
                              (_bomb() + f"<office:document-content {ODF_NS}>{ODT_BODY}"
                               "<!-- &lol2; --></office:document-content>").encode())
    elif case == "odt_no_content":
        src = tmp_path / "x.odt"
        with zipfile.ZipFile(src, "w") as zf:
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    else:
        manifest = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                    '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
                    "</manifest:file-entry></manifest:manifest>")
        src = _replace_member(docs[".odt"], tmp_path / "enc.odt", "META-INF/manifest.xml", manifest.encode())
    refused_one_line(src, tmp_path / f"out{src.suffix}", capsys)


def refused_one_line(src: Path, out: Path, capsys) -> None:
    """`gezi mask SRC OUT` stops with one line on stderr, exit 2, and leaves no file behind."""
    with pytest.raises(SystemExit) as exc:
        main(["mask", str(src), str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out")] == []  # no temp file left


def test_zip_bomb_refused(docs, tmp_path, monkeypatch):
    import gezi.pii.mask_documents as md
    from gezi.core.errors import GeziError

    monkeypatch.setattr(md, "_MAX_MEMBER", 10_000)  # the real limit (256 MB) takes long to build
    with pytest.raises(GeziError, match="壓縮炸彈"):
        mask_file(docs[".docx"], tmp_path / "out.docx")
    assert list(tmp_path.iterdir()) == []


def test_refuses_output_over_source(docs, tmp_path, capsys):
    src = tmp_path / "a.odt"
    src.write_bytes(docs[".odt"].read_bytes())
    with pytest.raises(SystemExit) as exc:
        main(["mask", str(src), str(src), "--force"])
    assert exc.value.code == 2
    assert src.read_bytes() == docs[".odt"].read_bytes()


def test_cli_summary_has_no_values(docs, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mask", str(docs[".docx"]), str(tmp_path / "out.docx")])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "PERSON_NAME" in out and "author properties cleared: 2" in out
    assert "王小明" not in out and "0912" not in out
