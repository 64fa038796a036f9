"""Where personal data leaks from published documents although nobody sees it (seed 001,
20170106: de-identify before publishing): tracked changes (deleted text and the names of who
made them), comments and their authors, footnotes and endnotes, content controls, nested
tables, text boxes in headers (DOCX); headers and footers in styles.xml, annotations, notes and
tracked changes (ODT). `gezi pii scan` reads all of it, `gezi mask` leaves none of it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .test_mask_documents import _replace_member, refused_one_line

KEY = b"k" * 32
METHODS = [("partial", False), ("redact", False), ("pseudonym", False), ("pseudonym", True)]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
WNS = f'xmlns:w="{W}"'
DATE = 'w:date="2024-03-01T09:00:00Z"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# The deleted values, the author names and the values in each hidden place.
DOCX_VALUES = {
    "A123456789": "deleted national ID", "B223456782": "inserted national ID", "0912-345-678": "deleted phone",
    "林淑芬": "change author", "黃志偉": "comment author", "0933-222-111": "comment",
    "臺北市大安區忠孝東路四段100號5樓": "footnote", "陳淑惠": "endnote", "chen.yj@example.com": "content control",
    "李建國": "nested table", "周美華": "text box in header", "02-2771-5678": "cell content control",
}
# Not reported by the scanner (no recognizer for them) but a person's: gone from the copy too.
DOCX_IDENTIFIERS = ["HZW", "hzw@example.gov.tw"]


def _paragraph(xml: str) -> object:
    from docx.oxml import parse_xml

    return parse_xml(f"<w:p {WNS}>{xml}</w:p>")


def _run(text: str, tag: str = "t") -> str:
    return f'<w:r><w:{tag} xml:space="preserve">{text}</w:{tag}></w:r>'


def _add_part(path: Path, name: str, content_type: str, reltype: str, xml: str) -> None:
    """Add a part to the package with its relationship from the document and content type."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    rels = members["word/_rels/document.xml.rels"].decode()
    rid = f"rIdGezi{len(re.findall('<Relationship ', rels))}"
    members["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Id="{rid}" Type="{reltype}" Target="{name}"/></Relationships>').encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/word/{name}" ContentType="{content_type}"/></Types>').encode()
    members[f"word/{name}"] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name_, data in members.items():
            zf.writestr(name_, data)


def _notes(kind: str, text: str) -> str:
    """A footnotes or endnotes part as Word writes it: two separators, then the note."""
    sep = "".join(f'<w:{kind} w:type="{t}" w:id="{i}"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                  for i, t in ((-1, "separator"), (0, "continuationSeparator")))
    return (f'<w:{kind}s {WNS}>{sep}<w:{kind} w:id="1"><w:p><w:r><w:{kind}Ref/></w:r>'
            f"{_run(text)}</w:p></w:{kind}></w:{kind}s>")


def make_docx(path: Path) -> Path:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("會議紀錄（修訂版）")
    body = document.element.body
    sect = body[-1]  # the body's sectPr stays last
    # A tracked deletion of an ID and its replacement inserted; a phone deleted in two runs
    # (bold tail) and, apart from it, a second deletion.
    sect.addprevious(_paragraph(
        _run("身分證字號：")
        + f'<w:del w:id="1" w:author="林淑芬" {DATE}>{_run("A123456789", "delText")}</w:del>'
        + f'<w:ins w:id="2" w:author="林淑芬" {DATE}>{_run("B223456782")}</w:ins>'))
    sect.addprevious(_paragraph(
        _run("電話")
        + f'<w:del w:id="3" w:author="林淑芬" {DATE}>{_run("0912-", "delText")}</w:del>'
        + f'<w:del w:id="4" w:author="林淑芬" {DATE}><w:r><w:rPr><w:b/></w:rPr>'
          '<w:delText>345-678</w:delText></w:r></w:del>'
        + _run("，")
        + f'<w:del w:id="5" w:author="林淑芬" {DATE}>{_run("已確認", "delText")}</w:del>'
        + '<w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:endnoteReference w:id="1"/></w:r>'))
    # A block content control (a form field) holding an e-mail.
    sect.addprevious(parse_xml(
        f'<w:sdt {WNS}><w:sdtPr><w:alias w:val="Email"/></w:sdtPr><w:sdtContent>'
        f'<w:p>{_run("電子郵件：chen.yj@example.com")}</w:p></w:sdtContent></w:sdt>'))
    commented = document.add_paragraph().add_run("請承辦人確認")
    document.add_comment(commented, text="請改為手機0933-222-111", author="黃志偉", initials="HZW")
    # A table whose second cell holds a nested table of contacts, and a content control in a cell.
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "項目", "說明"
    table.cell(1, 0).text = "聯絡窗口"
    inner = table.cell(1, 1).add_table(rows=2, cols=2)
    for r, row in enumerate([["姓名", "備註"], ["李建國", "無"]]):
        for c, value in enumerate(row):
            inner.cell(r, c).text = value
    table.cell(1, 1)._tc.append(parse_xml(
        f'<w:sdt {WNS}><w:sdtContent><w:p>{_run("分機外線02-2771-5678")}</w:p></w:sdtContent></w:sdt>'))
    # A text box in the header (a letterhead with the contact person).
    header = document.sections[0].header.paragraphs[0]
    header.text = "臺北市政府"
    header._p.append(parse_xml(
        f'<w:r {WNS} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
        f'<w:p>{_run("聯絡人：周美華")}</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    document.save(path)
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    _add_part(path, "footnotes.xml", f"{wml}.footnotes+xml", f"{REL}/footnotes",
              _notes("footnote", "送達地址：臺北市大安區忠孝東路四段100號5樓"))
    _add_part(path, "endnotes.xml", f"{wml}.endnotes+xml", f"{REL}/endnotes", _notes("endnote", "承辦人：陳淑惠"))
    _add_part(path, "people.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml",
              "http://schemas.microsoft.com/office/2011/relationships/people",
              f'<w15:people xmlns:w15="{W15}"><w15:person w15:author="黃志偉"><w15:presenceInfo '
              'w15:providerId="AD" w15:userId="hzw@example.gov.tw"/></w15:person></w15:people>')
    return path


ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"')
CHANGE_INFO = ("<office:change-info><dc:creator>吳建宏</dc:creator>"
               "<dc:date>2024-03-01T09:00:00</dc:date></office:change-info>")
ODT_CONTENT = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3">'
    "<office:body><office:text>"
    '<text:tracked-changes><text:changed-region xml:id="ct1" text:id="ct1"><text:deletion>'
    f"{CHANGE_INFO}<text:p>身分證字號：A123456789</text:p></text:deletion></text:changed-region>"
    f'<text:changed-region xml:id="ct2" text:id="ct2"><text:insertion>{CHANGE_INFO}</text:insertion>'
    "</text:changed-region></text:tracked-changes>"
    "<text:p>公告事項</text:p>"
    '<text:p><text:change text:change-id="ct1"/>統一編號<text:change-start text:change-id="ct2"/>'
    '04595257<text:change-end text:change-id="ct2"/>'
    "<office:annotation><dc:creator>蔡佩君</dc:creator><dc:date>2024-03-02T10:00:00</dc:date>"
    "<meta:creator-initials>TPC</meta:creator-initials><text:p>請改電話0922-333-444</text:p></office:annotation>"
    '，詳見附註<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation>'
    "<text:note-body><text:p>地址：新北市板橋區中山路一段161號</text:p></text:note-body></text:note>。</text:p>"
    "</office:text></office:body></office:document-content>"
)
ODT_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {ODF_NS} office:version="1.3">'
    '<office:master-styles><style:master-page style:name="Standard">'
    "<style:header><text:p>承辦人：郭俊傑</text:p></style:header>"
    "<style:footer><text:p>電話：02-2311-2222</text:p></style:footer>"
    "</style:master-page></office:master-styles></office:document-styles>"
)
ODT_VALUES = {
    "A123456789": "deleted", "吳建宏": "change author", "04595257": "inserted", "蔡佩君": "annotation author",
    "0922-333-444": "annotation", "新北市板橋區中山路一段161號": "footnote", "郭俊傑": "header",
    "02-2311-2222": "footer",
}


def make_odt(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", ODT_CONTENT)
        zf.writestr("styles.xml", ODT_STYLES)
    return path


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hidden")
    return {".docx": make_docx(base / "修訂.docx"), ".odt": make_odt(base / "公告.odt")}


def _findings(path: Path) -> list:
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    return report.findings


def test_docx_scan_finds_every_hidden_place(docs):
    found = {f.value: (f.entity, f.line, f.row, f.column) for f in _findings(docs[".docx"])}
    assert set(DOCX_VALUES) <= set(found), set(DOCX_VALUES) - set(found)
    deleted = "刪除的修訂 deleted"
    # Body paragraphs 1–5 (title, ID, phone, content control, the commented one; the table's
    # are cells), then the header (6), its text box (7), the footnote (8), endnote (9),
    # comment (10); last the deletions of paragraphs 2 and 3 (11, 12).
    assert found["B223456782"] == ("TW_NATIONAL_ID", 2, None, None)  # inserted: shown text
    assert found["chen.yj@example.com"] == ("EMAIL_ADDRESS", 4, None, None)
    assert found["周美華"] == ("PERSON_NAME", 7, None, None)
    assert found["臺北市大安區忠孝東路四段100號5樓"] == ("TW_ADDRESS", 8, None, None)
    assert found["陳淑惠"] == ("PERSON_NAME", 9, None, None)
    assert found["0933-222-111"] == ("PHONE_NUMBER", 10, None, None)
    assert found["A123456789"] == ("TW_NATIONAL_ID", 11, None, deleted)
    assert found["0912-345-678"] == ("PHONE_NUMBER", 12, None, deleted)  # two deleted runs, one value
    assert found["李建國"] == ("PERSON_NAME", None, 2, "姓名")  # the nested table, under its header
    assert found["02-2771-5678"][:3] == ("PHONE_NUMBER", None, 2)
    assert found["林淑芬"] == ("PERSON_NAME", None, None, "w:author")
    assert found["黃志偉"] == ("PERSON_NAME", None, None, "w:author")


def test_docx_deletions_apart_stay_apart():
    """Deleted text of one paragraph is one unit; deletions apart from each other are parted
    by a space, so that two values do not run into one."""
    import docx

    from gezi.pii.office import docx_units

    document = docx.Document()
    p = document.add_paragraph()._p
    for child in _paragraph(f'<w:del w:id="1" w:author="x">{_run("0912345678", "delText")}</w:del>'
                            + _run("或") + f'<w:del w:id="2" w:author="x">{_run("A12", "delText")}</w:del>'
                            + f'<w:del w:id="3" w:author="x">{_run("3456789", "delText")}</w:del>'):
        p.append(child)
    paragraphs, _ = docx_units(document)
    assert [(u.text, u.column) for u in paragraphs if u.text] == [("或", None),
                                                                  ("0912345678 A123456789", "刪除的修訂 deleted")]


def test_odt_scan_finds_every_hidden_place(docs):
    found = {f.value: (f.entity, f.line, f.column) for f in _findings(docs[".odt"])}
    assert set(ODT_VALUES) <= set(found), set(ODT_VALUES) - set(found)
    # Body 1–2, header 3, footer 4, footnote 5, annotation 6, deleted paragraph 7.
    assert found["04595257"] == ("TW_UBN", 2, None)
    assert found["郭俊傑"] == ("PERSON_NAME", 3, None)
    assert found["02-2311-2222"] == ("PHONE_NUMBER", 4, None)
    assert found["新北市板橋區中山路一段161號"] == ("TW_ADDRESS", 5, None)
    assert found["0922-333-444"] == ("PHONE_NUMBER", 6, None)
    assert found["A123456789"] == ("TW_NATIONAL_ID", 7, "刪除的修訂 deleted")
    assert found["吳建宏"] == ("PERSON_NAME", None, "dc:creator")
    assert found["蔡佩君"] == ("PERSON_NAME", None, "dc:creator")


def test_odt_note_and_annotation_not_run_into_the_paragraph(docs):
    """The note's number and the annotation's author and date are no part of the sentence."""
    from lxml import etree

    from gezi.pii.office import odf_units

    with zipfile.ZipFile(docs[".odt"]) as zf:
        paragraphs, _ = odf_units(etree.fromstring(zf.read("content.xml")), etree.fromstring(zf.read("styles.xml")))
    assert paragraphs[1].text == "統一編號04595257，詳見附註。"


def _members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_none_of_them(docs, tmp_path, suffix, method, fp):
    from lxml import etree

    src = docs[suffix]
    out = tmp_path / f"out{suffix}"
    found = _findings(src)
    result = mask_file(src, out, method, KEY if method == "pseudonym" else None, fp)
    values = set(DOCX_VALUES) | set(DOCX_IDENTIFIERS) if suffix == ".docx" else set(ODT_VALUES) | {"TPC"}
    values |= {f.value for f in found}
    for name, text in _members(out).items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(text.encode())  # well-formed
        for value in values:
            assert value not in text, (name, value)
    # Authors are emptied, not masked: every field of the source (DOCX: five changes, the
    # comment's author and initials, the people part's name and account, and python-docx's
    # creator property; ODT: two changes, the annotation's author and initials).
    authors = {f.value for f in found if f.column in ("w:author", "dc:creator")}
    assert sum(result["by_entity"].values()) == len(found) - len(authors)
    assert result["properties_cleared"] == (10 if suffix == ".docx" else 4)
    assert {f.value for f in _findings(out)}.isdisjoint(values)
    if suffix == ".docx":
        import docx

        document = docx.Document(str(out))  # still a Word document
        assert document.paragraphs[1].text.startswith("身分證字號：")


def test_docx_deleted_text_masked_in_place(docs, tmp_path):
    """A deleted value is replaced in its w:delText (the first run of it), the change stays a
    tracked change, its author emptied."""
    out = tmp_path / "out.docx"
    mask_file(docs[".docx"], out)
    xml = _members(out)["word/document.xml"]
    assert "<w:delText xml:space=\"preserve\">A12****789</w:delText>" in xml
    assert "<w:delText xml:space=\"preserve\">0912-***-678</w:delText>" in xml
    assert 'w:author=""' in xml and "林淑芬" not in xml
    comments = _members(out)["word/comments.xml"]
    assert 'w:author=""' in comments and 'w:initials=""' in comments and "0933-***-111" in comments


def docx_reading(path: Path) -> tuple:
    """What the masker reads in a .docx, in the scanner's terms: paragraphs, tables, the texts
    with a label (link targets, properties) and the person fields with theirs."""
    import docx

    from gezi.pii.office import (
        docx_authors,
        docx_link_parts,
        docx_links,
        docx_property_parts,
        docx_units,
        property_units,
    )

    document = docx.Document(str(path))
    texts, people = property_units(docx_property_parts(document))
    authors = [(f, "w:author") for f in docx_authors(document) if f[1] == f"{{{W}}}author"]
    return (*docx_units(document), docx_links(docx_link_parts(document)) + texts, authors + people)


def odf_reading(path: Path) -> tuple:
    """As ``docx_reading``, for an .odt (content, styles, meta)."""
    from lxml import etree

    from gezi.pii.office import odf_authors, odf_links, odf_units, property_units

    with zipfile.ZipFile(path) as zf:
        roots = {n: etree.fromstring(zf.read(n)) for n in ("content.xml", "styles.xml", "meta.xml")
                 if n in zf.namelist()}
    texts, people = property_units([("meta.xml", roots["meta.xml"])] if "meta.xml" in roots else [])
    authors = [(f, "dc:creator") for f in odf_authors(roots["content.xml"], roots.get("styles.xml"))
               if f[0].tag.endswith("}creator")]
    links = odf_links([(n, r) for n, r in roots.items() if n != "meta.xml"])
    return (*odf_units(roots["content.xml"], roots.get("styles.xml")), links + texts, authors + people)


def assert_units_are_scanned(reading: tuple, scanned: list[str]) -> None:
    """The masker's units are the scanner's segments: paragraphs in order, then the cells (the
    header rows too: they are scanned), the labelled texts and each person's name once per label (in any order:
    the scanner groups cells by column and labelled texts by hint)."""
    from gezi.pii.office import author_value

    paragraphs, tables, labelled, people = reading
    cells = [u.text for rows in tables for row in rows for u in row if u.text]
    ordered = [u.text for u in paragraphs if u.text]
    names = dict.fromkeys((label, v) for f, label in people if (v := author_value(f)).strip())
    rest = cells + [u.text for u in labelled if u.text] + [v for _, v in names]
    assert scanned[:len(ordered)] == ordered
    assert sorted(scanned[len(ordered):]) == sorted(rest)


def scanned_texts(reader, path: Path) -> list[str]:
    """The texts of the scanner's segments, in order."""
    return [seg.text for _, segs in reader(lambda: path.open("rb")) for seg in segs]


def test_units_are_the_scanner_segments(docs):
    """The masker's units are the scanner's segments, the hidden places included: same texts,
    same order (tables compared as their cells)."""
    from gezi.pii.files import read_docx
    from gezi.pii.office import read_odf_text

    assert_units_are_scanned(docx_reading(docs[".docx"]), scanned_texts(read_docx, docs[".docx"]))
    assert_units_are_scanned(odf_reading(docs[".odt"]), scanned_texts(read_odf_text, docs[".odt"]))


BOMB = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'


@pytest.mark.parametrize(("suffix", "member", "data", "reason"), [
    (".docx", "word/footnotes.xml", BOMB + f"<w:footnotes {WNS}><w:footnote>&lol;</w:footnote></w:footnotes>", "DTD"),
    (".docx", "word/comments.xml", "<w:comments", "corrupt"),
    (".odt", "styles.xml", BOMB + "<x>&lol;</x>", "DTD"),
    (".odt", "styles.xml", "<office:document-styles", "corrupt"),
])
def test_bad_hidden_part_one_line(docs, tmp_path, capsys, suffix, member, data, reason):
    """A broken or DTD-bearing footnotes, comments or styles part: the scan skips the file
    with its reason, the masking stops with one line (exit 2), no output."""
    src = _replace_member(docs[suffix], tmp_path / f"bad{suffix}", member, data.encode())
    report = scan_paths([src], workers=1)
    assert [reason in s["reason"] for s in report.files_skipped] == [True], report.files_skipped
    refused_one_line(src, tmp_path / f"out{suffix}", capsys)
