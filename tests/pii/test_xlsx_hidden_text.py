"""XLSX beyond its cells' values: comments (legacy notes and threaded comments, their authors
and persons), page headers and footers, link targets and tooltips, lists of allowed values,
defined names, shapes, shared strings no cell uses, cached formula results, document properties
and the thumbnail. `gezi pii scan` reports each place; `gezi mask` masks them in place (the
copy is the same package, comments kept) and no member of the copy holds an original value."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .test_mask_documents import KEY, METHODS, _bomb, _replace_member, refused_one_line
from .test_mask_sheets_slides import assert_none_left

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TC_REL = "http://schemas.microsoft.com/office/2017/10/relationships"
TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
THUMBNAIL = b"\xff\xd8\xff\xe0" + "picture of the first sheet: 王小明 0912345678".encode()

# Each place and the values it holds, as the scanner should report them (column: values).
PLACES: dict[str, set[str]] = {
    "客戶!姓名": {"王小明"},
    "客戶!身分證字號": {"A123456789"},
    "客戶!手機": {"912345678"},  # a phone typed as a number, under its column
    "客戶!Email": {"wang.xm@example.com"},
    "客戶!註解 comment": {"陳怡君", "0933-111-222", "鄭秀英", "0922-333-444", "zheng.xy@example.com"},
    "客戶!頁首頁尾 header/footer": {"張家豪", "02-2771-1234", "huang.yt@example.com"},
    "客戶!備註": {"0911-222-333"},  # the formula's cached result, as the scanner reads cells
    "客戶!超連結 hyperlink": {"chen.yj@example.com", "B223456782", "lee.ml%40example.com", "吳建宏"},
    "客戶!資料驗證 data validation": {"黃雅婷", "周志偉", "0955-666-777"},
    "客戶!圖形 shape": {"許志豪", "0988-123-456"},
    "定義名稱 承辦人": {"蔡明哲", "0966-777-888"},
    "未使用的共用字串 unused shared string": {"廖俊傑", "F131104093"},
    "文件摘要 title": {"0977-888-999"},
    "文件摘要 承辦人": {"李美玲"},
    "author": {"林志明", "郭台生"},
    "文件摘要 creator": {"王大明"},
    "文件摘要 Manager": {"劉德明"},
    "文件摘要 Company": {"何家豪"},
}
# Values the scanner does not report: a threaded-comment person's account (emptied, as in PPTX).
OTHER_VALUES = {"kuo.ts@example.com", "lee.ml@example.com"}
VALUES = {v for values in PLACES.values() for v in values} | OTHER_VALUES
# Person fields: the masking empties them (not masks).
EMPTIED = {"author", "文件摘要 creator", "文件摘要 lastModifiedBy", "文件摘要 Manager", "文件摘要 Company"}

DRAWING = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:twoCellAnchor>'
           '<xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff>'
           '</xdr:from><xdr:to><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>4</xdr:row>'
           '<xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp><xdr:nvSpPr><xdr:cNvPr id="2" name="TextBox 1"/>'
           '<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr/><xdr:txBody><a:bodyPr/><a:p><a:r><a:t>聯絡人 許志</a:t>'
           '</a:r><a:r><a:rPr b="1"/><a:t>豪 0988-123-456</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>'
           "</xdr:twoCellAnchor></xdr:wsDr>")
THREADED = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<ThreadedComments xmlns="{TC_NS}" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<threadedComment ref="B3" dT="2024-05-01T09:00:00.00" personId="{0A1B2C3D-0000-0000-0000-000000000001}" '
            'id="{0A1B2C3D-0000-0000-0000-0000000000AA}">'
            "<text>@鄭秀英 請回電 0922-333-444 或寄 zheng.xy@example.com</text>"
            '<mentions><mention mentionpersonId="{0A1B2C3D-0000-0000-0000-000000000002}" '
            'mentionId="{0A1B2C3D-0000-0000-0000-0000000000BB}" startIndex="0" length="4"/></mentions>'
            "</threadedComment></ThreadedComments>")
PERSONS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<personList xmlns="{TC_NS}" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<person displayName="郭台生" id="{0A1B2C3D-0000-0000-0000-000000000001}" userId="kuo.ts@example.com" '
           'providerId="AD"/></personList>')
APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties '
       'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
       'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
       "<Application>Microsoft Excel</Application><Manager>劉德明</Manager><Company>何家豪</Company></Properties>")


def _rel(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'


def _share_strings(members: dict[str, bytes], stale: str) -> None:
    """Text cells as Excel writes them (openpyxl writes inline strings): in a shared string
    table, here with a ``stale`` string no cell uses any more."""
    strings: list[str] = []

    def shared(match: re.Match) -> str:
        strings.append(match.group(3))
        return f'<c r="{match.group(1)}"{match.group(2) or ""} t="s"><v>{len(strings) - 1}</v></c>'

    for name in [n for n in members if n.startswith("xl/worksheets/sheet")]:
        members[name] = re.sub(r'<c r="(\w+)"( s="\d+")? t="inlineStr"><is><t>(.*?)</t></is></c>', shared,
                               members[name].decode()).encode()
    members["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst '
        f'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
        f'uniqueCount="{len(strings) + 1}">' + "".join(f"<si><t>{t}</t></si>" for t in [*strings, stale])
        + "</sst>").encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", _rel(
        "rIdS", f"{REL}/sharedStrings", "sharedStrings.xml") + "</Relationships>").encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')).encode()


def make_xlsx(path: Path) -> Path:
    """A member list as Excel leaves it: a note and a threaded comment with their authors, a
    page header and footer, links (mailto:, a query string, a tooltip), a list of allowed
    values, a defined name, a text box, a stale shared string, a formula with its cached
    result, properties (app.xml's Manager and Company too) and a thumbnail."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "客戶"
    sheet.append(["姓名", "身分證字號", "手機", "Email", "網址", "備註"])
    sheet.append(["王小明", "A123456789", 912345678, "wang.xm@example.com", "報名表", '=A2&" 0911-222-333"'])
    sheet.append(["（待補）", "無", None, "寫信", "說明", "一般"])
    sheet["A2"].comment = Comment("請聯絡陳怡君 0933-111-222", "林志明")
    sheet["D3"].hyperlink = "mailto:chen.yj@example.com?subject=%E5%A0%B1%E5%90%8D"
    sheet["E2"].hyperlink = "https://example.com/form?id=B223456782&email=lee.ml%40example.com"
    sheet["E2"].hyperlink.tooltip = "聯絡人 吳建宏"
    sheet.oddHeader.center.text = "承辦人 張家豪 02-2771-1234"
    sheet.oddFooter.left.text = "信箱 huang.yt@example.com"
    rule = DataValidation(type="list", formula1='"黃雅婷,周志偉"', prompt="洽 0955-666-777")
    rule.add("F2:F100")
    sheet.add_data_validation(rule)
    book.defined_names["承辦人"] = DefinedName("承辦人", attr_text='"蔡明哲 0966-777-888"')
    book.properties.creator = book.properties.lastModifiedBy = "王大明"
    book.properties.title = "客戶名單 0977-888-999"
    book.custom_doc_props.append(StringProperty(name="承辦人", value="李美玲"))
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet_xml = members["xl/worksheets/sheet1.xml"].decode()
    # Excel keeps the result of a formula next to it
    sheet_xml = re.sub(r'<c r="F2"( s="\d+")?( t="\w+")?><f>(.*?)</f><v\s*/?>(</v>)?',
                       r'<c r="F2"\1 t="str"><f>\3</f><v>王小明 0911-222-333</v>', sheet_xml)
    assert "<v>王小明 0911-222-333</v>" in sheet_xml
    members["xl/worksheets/sheet1.xml"] = sheet_xml.encode()
    rels = members["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    members["xl/worksheets/_rels/sheet1.xml.rels"] = rels.replace("</Relationships>", (
        _rel("rIdT", f"{TC_REL}/threadedComment", "../threadedComments/threadedComment1.xml")
        + _rel("rIdD", f"{REL}/drawing", "../drawings/drawing1.xml") + "</Relationships>")).encode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", _rel("rIdP", f"{TC_REL}/person", "persons/person.xml") + "</Relationships>").encode()
    _share_strings(members, stale="廖俊傑 F131104093")
    members["docProps/app.xml"] = APP.encode()
    members["xl/threadedComments/threadedComment1.xml"] = THREADED.encode()
    members["xl/persons/person.xml"] = PERSONS.encode()
    members["xl/drawings/drawing1.xml"] = DRAWING.encode()
    members["docProps/thumbnail.jpeg"] = THUMBNAIL
    return write_members(path, members)


def write_members(path: Path, members: dict[str, bytes]) -> Path:
    """The package ``path`` made anew of ``members`` (name: bytes), in their order."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return make_xlsx(tmp_path_factory.mktemp("xlsx") / "客戶.xlsx")


def _findings(path: Path) -> list:
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    return report.findings


def test_scan_reports_each_place(book):
    found: dict[str | None, set[str]] = {}
    for f in _findings(book):
        found.setdefault(f.column, set()).add(f.value)
    for column, values in PLACES.items():
        assert values <= found.get(column, set()), (column, found.get(column))
    rows = {(f.column, f.row) for f in _findings(book)}
    assert ("客戶!註解 comment", 2) in rows and ("客戶!註解 comment", 3) in rows  # the note's cell, the thread's


@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_no_original_value(book, tmp_path, method, fp):
    from openpyxl import load_workbook

    out = tmp_path / "out.xlsx"
    before = book.read_bytes()
    found = _findings(book)
    result = mask_file(book, out, method, KEY if method == "pseudonym" else None, fp)
    assert book.read_bytes() == before
    assert_none_left(out, VALUES | {f.value for f in found})
    with zipfile.ZipFile(out) as zf:
        members = set(zf.namelist())
    assert {f.value for f in _findings(out)}.isdisjoint(VALUES)
    # emptied, not masked: person fields, shared strings no cell uses, a formula's cached result
    dropped = EMPTIED | {"未使用的共用字串 unused shared string", "客戶!備註"}
    scanned = Counter(f.entity for f in found if f.column not in dropped)
    assert all(result["by_entity"].get(e, 0) >= n for e, n in scanned.items()), (result, scanned)
    # creator, last editor, Manager, Company, the note's author, the person's name and account
    assert result["properties_cleared"] == 7
    sheet = load_workbook(out)["客戶"]  # opens; the comments are kept, masked
    assert sheet["A2"].comment is not None and sheet["A2"].comment.text.startswith("請聯絡")
    assert "xl/threadedComments/threadedComment1.xml" in members and "xl/persons/person.xml" in members


def test_partial_in_place(book, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "out.xlsx"
    mask_file(book, out)
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
        assert [(i.filename, i.compress_type) for i in a.infolist()] == \
               [(i.filename, i.compress_type) for i in b.infolist()]
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        part = {n: b.read(n).decode() for n in b.namelist() if n.endswith((".xml", ".rels"))}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels", "xl/workbook.xml",
                       "xl/sharedStrings.xml", "xl/comments/comment1.xml", "xl/threadedComments/threadedComment1.xml",
                       "xl/persons/person.xml", "xl/drawings/drawing1.xml", "docProps/core.xml", "docProps/app.xml",
                       "docProps/custom.xml", "docProps/thumbnail.jpeg"}  # styles, theme, VML as they were
    sheet = part["xl/worksheets/sheet1.xml"]
    assert '<c r="A2" t="inlineStr"><is><t>王○明</t></is></c>' in sheet
    assert '<c r="C2" t="inlineStr"><is><t>912-***-678</t></is></c>' in sheet  # the number is gone
    assert '<c r="F2"><f>A2&amp;" 0911-***-333"</f></c>' in sheet  # still a formula, its result dropped
    assert 'fullCalcOnLoad="1"' in part["xl/workbook.xml"]
    assert "<oddHeader>&amp;C承辦人 張○豪 02-27**-*234</oddHeader>" in sheet
    assert '<formula1>"黃○婷,周○偉"</formula1>' in sheet and 'tooltip="聯絡人 吳○宏"' in sheet
    assert ('Target="mailto:c***@example.com?subject=%E5%A0%B1%E5%90%8D"'
            in part["xl/worksheets/_rels/sheet1.xml.rels"])
    assert "<si><t>報名表</t></si>" in part["xl/sharedStrings.xml"]  # still used: kept
    assert "廖俊傑" not in part["xl/sharedStrings.xml"] and "<si><t/></si>" in part["xl/sharedStrings.xml"]
    thread = part["xl/threadedComments/threadedComment1.xml"]
    assert "<text>@鄭○英 請回電 0922-***-444 或寄 z***@example.com</text>" in thread and "<mentions>" not in thread
    assert 'displayName="" id="{0A1B2C3D-0000-0000-0000-000000000001}" userId="" providerId="AD"' in \
        part["xl/persons/person.xml"]
    assert "<authors><author/></authors>" in part["xl/comments/comment1.xml"]
    with zipfile.ZipFile(out) as zf:
        thumbnail = zf.read("docProps/thumbnail.jpeg")
    assert thumbnail.startswith(b"\xff\xd8\xff") and THUMBNAIL not in thumbnail
    rows = [[c.value for c in r] for r in load_workbook(out)["客戶"].iter_rows()]
    assert rows[1][:5] == ["王○明", "A12****789", "912-***-678", "w***@example.com", "報名表"]


def _masker_units(path: Path) -> tuple[list[str], list[str]]:
    """The texts the masking analyzes outside the cells, and the person fields it empties."""
    from gezi.pii.office import XLSX_SHEET_TAGS, author_value, parse_xml, xlsx_parts, xlsx_sheet_units, xlsx_units

    with zipfile.ZipFile(path) as zf:
        parts = xlsx_parts(zf)
        units, people = xlsx_units(parts)
        for title, member in parts.sheets:
            root = parse_xml(zf.read(member), "XLSX")
            units += [u for e in root.iter(*XLSX_SHEET_TAGS) for u in xlsx_sheet_units(e, member, title)]
    return [u.text for u in units if u.text], [author_value(f) for f, _ in people if author_value(f)]


def test_units_are_the_scanner_segments(book):
    """Outside the cells, the masking reads what the scanner reads: same texts (the unused
    shared strings, reported by the scanner, are emptied by the masking whatever they hold;
    the sheet names are reported and kept)."""
    from gezi.pii.office import SHEET_NAME, UNUSED_STRING

    from .test_xlsx_single_pass import parts_only

    scanned = [(s.column, s.text) for _, segs in parts_only(lambda: book.open("rb")) for s in segs]
    texts, people = _masker_units(book)
    assert [t for c, t in scanned if c == UNUSED_STRING] == ["廖俊傑 F131104093"]
    assert [t for c, t in scanned if c == SHEET_NAME] == ["客戶"]
    assert sorted(t for c, t in scanned if c not in (UNUSED_STRING, SHEET_NAME)) == sorted(
        texts + [p for p in people if "@" not in p])


def test_ods_scan_reads_what_the_masking_masks(tmp_path):
    """An .ods: the scanner reads the annotations, shapes, page headers and footers, link targets
    and meta.xml through the masking's own walk, so it reads the same texts."""
    from lxml import etree

    from gezi.pii.office import author_value, odf_reading, read_ods_parts

    from .test_mask_sheets_slides import make_ods

    src = make_ods(tmp_path / "會員.ods")
    scanned = [(s.column, s.text) for _, segs in read_ods_parts(lambda: src.open("rb")) for s in segs]
    with zipfile.ZipFile(src) as zf:
        reading = odf_reading({n: etree.fromstring(zf.read(n)) for n in ("content.xml", "styles.xml", "meta.xml")},
                              spreadsheet=True)
    names = [author_value(f) for f in reading.authors if f[0].tag.endswith("creator")]
    people = [author_value(f) for f, _ in reading.people]
    assert sorted(t for _, t in scanned) == sorted(
        [u.text for u in reading.paragraphs + reading.labelled if u.text] + names + people)
    assert {("客戶!註解 comment", "客戶改用 0933-111-222"), ("dc:creator", "林志明")} <= set(scanned)
    assert ("頁首頁尾 header/footer", "承辦人 李美玲 02-2311-2222 信箱") in scanned
    assert ("超連結 hyperlink", "lee.ml@example.com") in scanned
    found = {(f.column, f.value) for f in _findings(src)}
    assert {("客戶!註解 comment", "0933-111-222"), ("頁首頁尾 header/footer", "李美玲"),
            ("文件摘要 creator", "王大明")} <= found


def test_ods_validation_list_scanned_and_masked(tmp_path):
    from .test_mask_sheets_slides import _odf, _row, _s

    rules = ('<table:content-validations><table:content-validation table:name="val1" '
             'table:condition="of:cell-content-is-in-list(&quot;黃雅婷&quot;;&quot;周志偉&quot;)"/>'
             "</table:content-validations>")
    body = (f'<office:spreadsheet>{rules}<table:table table:name="s">{_row(_s("備註"))}{_row(_s("一般"))}'
            "</table:table></office:spreadsheet>")
    src = _odf(tmp_path / "v.ods", "application/vnd.oasis.opendocument.spreadsheet", body)
    assert {("資料驗證 data validation", "黃雅婷"), ("資料驗證 data validation", "周志偉")} <= {
        (f.column, f.value) for f in _findings(src)}
    mask_file(src, tmp_path / "out.ods")
    with zipfile.ZipFile(tmp_path / "out.ods") as zf:
        content = zf.read("content.xml").decode()
    assert 'of:cell-content-is-in-list(&quot;黃○婷&quot;;&quot;周○偉&quot;)' in content


SHARED = ('<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>備註</t></is>'
          '</c></row><row r="2"><c r="A2" t="inlineStr"><is><t>王小明</t></is></c><c r="B2" t="str">'
          '<f t="shared" ref="B2:B3" si="0">"洽 陳怡君 "&amp;A2</f><v>洽 陳怡君 王小明</v></c></row>'
          '<row r="3"><c r="A3" t="inlineStr"><is><t>林志明</t></is></c><c r="B3" t="str"><f t="shared" si="0"/>'
          "<v>洽 陳怡君 林志明</v></c></row>")


def test_shared_formula_written_out_when_masked(tmp_path):
    """A shared formula whose first cell holds a masked literal: each cell of the group gets its
    own formula (the group's text changed), the cached results go."""
    from openpyxl import Workbook, load_workbook

    src = tmp_path / "f.xlsx"
    Workbook().save(src)
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["xl/worksheets/sheet1.xml"] = re.sub(
        rb"<sheetData\s*/>|<sheetData>.*</sheetData>", f"<sheetData>{SHARED}</sheetData>".encode(),
        members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    out = tmp_path / "out.xlsx"
    mask_file(src, out)
    with zipfile.ZipFile(out) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2"><f>"洽 陳○君 "&amp;A2</f></c>' in sheet
    assert '<c r="B3"><f>"洽 陳○君 "&amp;A3</f></c>' in sheet and "<v>" not in sheet
    rows = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
    assert rows[1:] == [["王○明", '="洽 陳○君 "&A2'], ["林○明", '="洽 陳○君 "&A3']]


@pytest.mark.parametrize(("case", "reason"), [("corrupt", "XLSX"), ("ole", "XLSX"), ("dtd_comments", "DTD"),
                                              ("broken_thread", "corrupt")])
def test_bad_input_one_line(book, tmp_path, capsys, case, reason):
    src = tmp_path / "壞.xlsx"
    if case == "corrupt":
        src.write_bytes(book.read_bytes()[:3000])
    elif case == "ole":  # Excel encrypts into an OLE compound file
        src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    elif case == "dtd_comments":
        _replace_member(book, src, "xl/comments/comment1.xml",
                        (_bomb() + '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         "<authors><author>&lol2;</author></authors></comments>").encode())
    else:
        _replace_member(book, src, "xl/threadedComments/threadedComment1.xml", b"<ThreadedComments")
    report = scan_paths([src], workers=1)
    assert [reason in s["reason"] for s in report.files_skipped] == [True], report.files_skipped
    refused_one_line(src, tmp_path / "out.xlsx", capsys)
