"""Personal data a published document carries outside its text: link targets (`mailto:`, `tel:`,
a query string with an e-mail and an ID; DOCX relationships of the body, a footnote and a
header, ODF `xlink:href`), Word's field codes (`HYPERLINK "mailto:…"`, `QUOTE "…"`, split over
runs, and simple fields), the document properties (`docProps/app.xml` Manager and Company and
its list of links, `docProps/custom.xml`, ODF `meta:user-defined`) and a presentation's footer
declaration. `gezi pii scan` reports each where it is; `gezi mask` leaves none of it in any
member of the package, raw or URL-encoded, and the copy still opens."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from . import test_office_hidden_text as hidden
from .test_mask_documents import EMPTIED, _replace_member, refused_one_line

KEY = b"k" * 32
METHODS = [("partial", False), ("redact", False), ("pseudonym", False), ("pseudonym", True)]
W, WNS = hidden.W, hidden.WNS
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HYPERLINK_REL = f"{R}/hyperlink"
LINK, FIELD = "超連結 hyperlink", "功能變數 field code"

# value: (entity, column) the scanner reports it under (line: see the tests).
DOCX_PLACES = {
    "wang.xm@example.com": ("EMAIL_ADDRESS", LINK),  # mailto: of the body
    "0987654321": ("PHONE_NUMBER", LINK),  # tel: of the body
    "lin.zm%40example.com": ("EMAIL_ADDRESS", LINK),  # a query string
    "C123456781": ("TW_NATIONAL_ID", LINK),
    "foot.note@example.com": ("EMAIL_ADDRESS", LINK),  # word/_rels/footnotes.xml.rels
    "0223456789": ("PHONE_NUMBER", LINK),  # word/_rels/header1.xml.rels
    "huang.zw@example.org": ("EMAIL_ADDRESS", FIELD),  # HYPERLINK split over two runs
    "張雅婷": ("PERSON_NAME", FIELD),  # QUOTE "…"
    "0922-111-333": ("PHONE_NUMBER", FIELD),
    "D123456782": ("TW_NATIONAL_ID", FIELD),  # w:fldSimple/@w:instr
    "陳志明": ("PERSON_NAME", "文件摘要 Manager"),
    "林佳蓉": ("PERSON_NAME", "文件摘要 Company"),
    "蘇怡君": ("PERSON_NAME", "文件摘要 承辦人"),  # custom.xml
    "su.yj@example.com": ("EMAIL_ADDRESS", "文件摘要 聯絡信箱"),
}
ODT_PLACES = {
    "kuo.cj@example.com": ("EMAIL_ADDRESS", LINK),
    "0955666777": ("PHONE_NUMBER", LINK),
    "lin.zm%40example.com": ("EMAIL_ADDRESS", LINK),
    "E123456783": ("TW_NATIONAL_ID", LINK),
    "footer.ct@example.com": ("EMAIL_ADDRESS", LINK),  # a link in the footer (styles.xml)
    "鄭雅文": ("PERSON_NAME", "文件摘要 initial-creator"),
    "蘇怡君": ("PERSON_NAME", "文件摘要 承辦人"),  # meta:user-defined
    "0911-222-333": ("PHONE_NUMBER", "文件摘要 聯絡電話"),
}


def _rewrite(path: Path, edit) -> Path:
    """Rewrite the package's members with ``edit(members)`` (a dict name: text)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    texts = {n: d.decode() for n, d in members.items() if n.endswith((".xml", ".rels"))}
    edit(texts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in list(members) + [n for n in texts if n not in members]:
            zf.writestr(name, texts[name] if name in texts else members[name])
    return path


def _link_rel(texts: dict[str, str], member: str, rid: str, target: str) -> None:
    """An external hyperlink relationship in ``member`` (created if the part has none)."""
    rel = f'<Relationship Id="{rid}" Type="{HYPERLINK_REL}" Target="{target}" TargetMode="External"/>'
    rels = texts.get(member, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                             'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    texts[member] = rels.replace("</Relationships>", rel + "</Relationships>")


def _hyperlink(rid: str, text: str) -> str:
    return f'<w:hyperlink xmlns:r="{R}" r:id="{rid}">{hidden._run(text)}</w:hyperlink>'


def _field(code: list[str], shown: str) -> str:
    """A complex field: begin, its code in ``code``'s runs, separate, the shown text, end."""
    char = '<w:r><w:fldChar w:fldCharType="{}"/></w:r>'.format
    return (char("begin") + "".join(f'<w:r><w:instrText xml:space="preserve">{c}</w:instrText></w:r>' for c in code)
            + char("separate") + hidden._run(shown) + char("end"))


def _edit_docx(texts: dict[str, str]) -> None:
    body = texts["word/document.xml"]
    at = body.rindex("<w:sectPr")
    paragraphs = (
        f"<w:p>{hidden._run('聯絡方式：')}{_hyperlink('rIdMail', '來信')}{_hyperlink('rIdTel', '來電')}"
        f"{_hyperlink('rIdForm', '線上表單')}</w:p>"
        f"<w:p>{_field([' HYPERLINK &quot;mailto:huang.', 'zw@example.org&quot; '], '寫信給承辦人')}"
        f"{_field([' QUOTE &quot;張雅婷 0922-111-333&quot; '], '（引用）')}"
        f'<w:fldSimple w:instr=" QUOTE &quot;D123456782&quot; ">{hidden._run("（身分證）")}</w:fldSimple>'
        f"{_field([' MERGEFIELD 姓名 '], '«姓名»')}</w:p>")
    texts["word/document.xml"] = body[:at] + paragraphs + body[at:]
    _link_rel(texts, "word/_rels/document.xml.rels", "rIdMail", "mailto:wang.xm@example.com?subject=%E7%94%B3%E8%AB%8B")
    _link_rel(texts, "word/_rels/document.xml.rels", "rIdTel", "tel:0987654321")
    _link_rel(texts, "word/_rels/document.xml.rels", "rIdForm",
              "https://forms.example.gov.tw/apply?email=lin.zm%40example.com&amp;id=C123456781")
    notes = texts["word/footnotes.xml"]
    texts["word/footnotes.xml"] = notes.replace("</w:p></w:footnote></w:footnotes>",
                                                _hyperlink("rIdNote", "寫信") + "</w:p></w:footnote></w:footnotes>")
    _link_rel(texts, "word/_rels/footnotes.xml.rels", "rIdNote", "mailto:foot.note@example.com")
    header = texts["word/header1.xml"]
    texts["word/header1.xml"] = header.replace("臺北市政府</w:t></w:r>", "臺北市政府</w:t></w:r>" + _hyperlink(
        "rIdHead", "總機"), 1)
    _link_rel(texts, "word/_rels/header1.xml.rels", "rIdHead", "tel:0223456789")
    app = texts["docProps/app.xml"]
    app = app.replace("<Manager/>", "<Manager>陳志明</Manager>").replace("<Company/>", "<Company>林佳蓉</Company>")
    texts["docProps/app.xml"] = app.replace("<HyperlinksChanged>", (
        '<HLinks><vt:vector size="2" baseType="variant"><vt:variant><vt:i4>6</vt:i4></vt:variant>'
        "<vt:variant><vt:lpwstr>mailto:wang.xm@example.com</vt:lpwstr></vt:variant></vt:vector></HLinks>"
        "<HyperlinksChanged>"))
    texts["docProps/custom.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
        '"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="承辦人"><vt:lpwstr>蘇怡君</vt:lpwstr>'
        '</property><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="聯絡信箱">'
        '<vt:lpwstr>su.yj@example.com</vt:lpwstr></property><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
        'pid="4" name="份數"><vt:i4>3</vt:i4></property></Properties>')
    texts["_rels/.rels"] = texts["_rels/.rels"].replace("</Relationships>", (
        f'<Relationship Id="rIdCustom" Type="{R}/custom-properties" Target="docProps/custom.xml"/></Relationships>'))
    texts["[Content_Types].xml"] = texts["[Content_Types].xml"].replace("</Types>", (
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>'))


XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink" '
ODT_LINKS = (
    '<text:p>來信<text:a xlink:type="simple" xlink:href="mailto:kuo.cj@example.com?subject=%E7%94%B3%E8%AB%8B">'
    '請寄信</text:a>或<text:a xlink:href="tel:0955666777">撥打</text:a>，線上申請<text:a xlink:href='
    '"https://forms.example.gov.tw/apply?email=lin.zm%40example.com&amp;id=E123456783">表單</text:a></text:p>')
ODT_META = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {hidden.ODF_NS} office:version="1.3">'
    "<office:meta><meta:initial-creator>鄭雅文</meta:initial-creator>"
    '<meta:user-defined meta:name="承辦人">蘇怡君</meta:user-defined>'
    '<meta:user-defined meta:name="聯絡電話">0911-222-333</meta:user-defined>'
    '<meta:user-defined meta:name="份數" meta:value-type="float">3</meta:user-defined>'
    "</office:meta></office:document-meta>")


def make_docx(path: Path) -> Path:
    return _rewrite(hidden.make_docx(path), _edit_docx)


def make_odt(path: Path) -> Path:
    hidden.make_odt(path)

    def edit(texts: dict[str, str]) -> None:
        content = texts["content.xml"].replace('office:version="1.3"', XLINK + 'office:version="1.3"', 1)
        texts["content.xml"] = content.replace("</office:text>", ODT_LINKS + "</office:text>")
        styles = texts["styles.xml"].replace('office:version="1.3"', XLINK + 'office:version="1.3"', 1)
        link = '<text:a xlink:href="mailto:footer.ct@example.com">信箱</text:a>'
        texts["styles.xml"] = styles.replace("02-2311-2222</text:p>", f"02-2311-2222{link}</text:p>")
        texts["meta.xml"] = ODT_META

    return _rewrite(path, edit)


def make_odp(path: Path) -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {hidden.ODF_NS} {XLINK}'
        'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3">'
        "<office:body><office:presentation>"
        '<presentation:footer-decl presentation:name="ftr1">承辦人：廖婉婷 0933-444-555</presentation:footer-decl>'
        '<draw:page draw:name="p1" presentation:use-footer-name="ftr1"><draw:frame><draw:text-box>'
        '<text:p>會議簡報</text:p>'
        '<text:p>洽詢<text:a xlink:href="mailto:slide.owner@example.com">信箱</text:a></text:p>'
        "</draw:text-box></draw:frame></draw:page></office:presentation></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.presentation", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return path


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("links")
    return {".docx": make_docx(base / "申請書.docx"), ".odt": make_odt(base / "公告.odt"),
            ".odp": make_odp(base / "簡報.odp")}


def _findings(path: Path) -> list:
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    return report.findings


def _places(findings: list) -> dict[str, set[tuple[str, str | None]]]:
    places: dict[str, set[tuple[str, str | None]]] = {}
    for f in findings:
        places.setdefault(f.value, set()).add((f.entity, f.column))
    return places


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
def test_scan_reports_each_place(docs, suffix):
    findings = _findings(docs[suffix])
    places = _places(findings)
    expected = DOCX_PLACES if suffix == ".docx" else ODT_PLACES
    for value, place in expected.items():
        assert place in places.get(value, set()), (value, places.get(value))
    # The field codes are one line per paragraph after the tracked deletions (the paragraph's
    # three fields parted by spaces); link targets and properties have no line.
    if suffix == ".docx":
        lines = {f.line for f in findings if f.column == FIELD}
        assert len(lines) == 1 and None not in lines
    assert {f.line for f in findings if f.column == LINK or (f.column or "").startswith("文件摘要")} == {None}
    if suffix == ".docx":
        # app.xml keeps a list of the link targets too
        assert ("EMAIL_ADDRESS", "文件摘要 HLinks") in places["wang.xm@example.com"]


def test_odp_footer_declaration_is_read(docs):
    found = {f.value: (f.entity, f.line, f.column) for f in _findings(docs[".odp"])}
    # The slide's two paragraphs, then the footer declaration (shown on every slide using it).
    assert found["廖婉婷"] == ("PERSON_NAME", 3, None)
    assert found["0933-444-555"] == ("PHONE_NUMBER", 3, None)
    assert found["slide.owner@example.com"] == ("EMAIL_ADDRESS", None, LINK)


def _forms(value: str) -> set[str]:
    """A value as it can stand in a package: raw, URL-encoded (Word writes non-ASCII link
    targets encoded), and an encoded e-mail decoded."""
    raw = value.replace("%40", "@")
    return {value, raw, quote(raw), quote(raw, safe="")}


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_none_of_them(docs, tmp_path, suffix, method, fp):
    from lxml import etree

    src, out = docs[suffix], tmp_path / f"out{suffix}"
    found = _findings(src)
    result = mask_file(src, out, method, KEY if method == "pseudonym" else None, fp)
    places = DOCX_PLACES if suffix == ".docx" else ODT_PLACES
    values = set(places) | {f.value for f in found}
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for name, data in members.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(data)  # well-formed
        for value in values:
            for form in _forms(value):
                assert form.encode() not in data, (name, form)
    # One masked value per finding, the person fields emptied instead.
    assert result["by_entity"] == dict(Counter(f.entity for f in found if f.column not in EMPTIED))
    assert {f.value for f in _findings(out)}.isdisjoint(values)
    if suffix == ".docx":
        import docx

        document = docx.Document(str(out))  # still a Word document, its links still links
        targets = [link.address for p in document.paragraphs for link in p.hyperlinks]
        assert [t.split(":")[0] for t in targets[:3]] == ["mailto", "tel", "https"]
        assert targets[0].endswith("?subject=%E7%94%B3%E8%AB%8B")  # only the address masked
        assert targets[2].startswith("https://forms.example.gov.tw/apply?email=") and "&id=" in targets[2]
        custom = members["docProps/custom.xml"].decode()
        assert "<vt:i4>3</vt:i4>" in custom  # a number stays a number
    else:
        meta = members["meta.xml"].decode()
        assert 'meta:value-type="float">3</meta:user-defined>' in meta


def test_partial_keeps_the_scheme_and_the_rest(docs, tmp_path):
    """mailto: + the masked address (its subject kept), tel: + the masked number, the query's
    values masked where they stand; the field code stays a field code."""
    out = tmp_path / "out.docx"
    result = mask_file(docs[".docx"], out)
    with zipfile.ZipFile(out) as zf:
        rels = zf.read("word/_rels/document.xml.rels").decode()
        document = zf.read("word/document.xml").decode()
        app = zf.read("docProps/app.xml").decode()
        footnote_rels = zf.read("word/_rels/footnotes.xml.rels").decode()
    assert 'Target="mailto:w***@example.com?subject=%E7%94%B3%E8%AB%8B"' in rels
    assert 'Target="tel:0987-***-321"' in rels
    assert "apply?email=l***%40example.com&amp;id=C12****781" in rels
    assert 'Target="mailto:f***@example.com"' in footnote_rels
    assert re.search(r'HYPERLINK "mailto:h\*\*\*@example.org"', document.replace("&quot;", '"').replace(
        '</w:instrText></w:r><w:r><w:instrText xml:space="preserve">', ""))
    assert 'w:instr=" QUOTE &quot;D12****782&quot; "' in document
    assert "MERGEFIELD 姓名" in document  # no personal data: unchanged
    assert "<Manager/>" in app and "<Company/>" in app
    assert "mailto:w***@example.com" in app
    # docx's creator, hidden's twelve author fields less python-docx's, Manager and Company
    assert result["properties_cleared"] == 12


def test_units_are_the_scanner_segments(docs):
    """Link targets, field codes and properties: the masker's units are the scanner's."""
    from gezi.pii.files import read_docx
    from gezi.pii.office import read_odf_text

    reading = hidden.docx_reading(docs[".docx"])
    labels = {u.column for u in reading[2] if u.text}
    assert labels >= {LINK, "文件摘要 承辦人", "文件摘要 HLinks", "文件摘要 description"}
    hidden.assert_units_are_scanned(reading, hidden.scanned_texts(read_docx, docs[".docx"]))
    reading = hidden.odf_reading(docs[".odt"])
    assert {u.column for u in reading[2] if u.text} >= {LINK, "文件摘要 承辦人"}
    hidden.assert_units_are_scanned(reading, hidden.scanned_texts(read_odf_text, docs[".odt"]))


@pytest.mark.parametrize(("suffix", "member", "data", "reason"), [
    (".docx", "docProps/app.xml", hidden.BOMB + "<Properties>&lol;</Properties>", "DTD"),
    (".docx", "docProps/custom.xml", "<Properties", "corrupt"),
    (".odt", "meta.xml", "<office:document-meta", "corrupt"),
    (".odt", "meta.xml", hidden.BOMB + "<x>&lol;</x>", "DTD"),
])
def test_bad_property_part_one_line(docs, tmp_path, capsys, suffix, member, data, reason):
    """A broken or DTD-bearing property part: the scan skips the file with its reason, the
    masking stops with one line (exit 2), no output."""
    src = _replace_member(docs[suffix], tmp_path / f"bad{suffix}", member, data.encode())
    report = scan_paths([src], workers=1)
    assert [reason in s["reason"] for s in report.files_skipped] == [True], report.files_skipped
    refused_one_line(src, tmp_path / f"out{suffix}", capsys)
