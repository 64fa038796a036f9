"""XLSX copies of cell data that live outside the cells: pivot caches (shared items and records),
chart caches and titles, table column names, linked workbooks' cached values and paths, and the
sheet names. `gezi pii scan` reports each with its place; `gezi mask` leaves no original value in
any member (sheet names excepted: they are reported, kept and counted, the references to them
intact), the copy's caches agree with its cells, and the package stays consistent (records
dropped with their relationship and content type, nothing dangling)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from gezi.pii.mask_files import mask_file

from .test_mask_documents import KEY, METHODS
from .test_mask_sheets_slides import assert_none_left
from .test_xlsx_hidden_text import _findings, write_members

X = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET = "李美玲明細"  # a sheet named after a customer
LINKED_SHEET = "林志明"  # a sheet of the linked workbook

PLACES: dict[str, set[str]] = {
    f"{SHEET}!姓名": {"王小明", "陳怡君"},
    f"{SHEET}!圖表 chart": {"許志豪", "王小明", "陳怡君"},
    f"{SHEET}!表格 table": {"周志偉", "黃雅婷"},
    "樞紐分析快取 pivot cache 姓名": {"王小明", "陳怡君"},
    "樞紐分析快取 pivot cache 手機": {"912345678", "933111222"},
    "樞紐分析快取 pivot cache 身分證字號": {"A123456789", "B223456782"},
    "外部連結快取 external link cache": {"吳建宏", "0955-666-777", LINKED_SHEET},
    "超連結 hyperlink": {"王大明"},
    "工作表名稱 sheet name": {"李美玲"},
    "author": {"郭志強"},  # who refreshed the pivot cache
}
KEPT = {"李美玲", LINKED_SHEET}  # sheet names: reported, not masked
VALUES = {v for values in PLACES.values() for v in values} - KEPT

CACHE_DEFINITION = (
    f'<pivotCacheDefinition xmlns="{X}" xmlns:r="{R}" r:id="rId1" refreshedBy="郭志強" refreshedDate="45000.5" '
    'createdVersion="6" refreshedVersion="6" minRefreshableVersion="3" recordCount="2">'
    f'<cacheSource type="worksheet"><worksheetSource ref="A1:E3" sheet="{SHEET}"/></cacheSource>'
    '<cacheFields count="5">'
    '<cacheField name="姓名" numFmtId="0"><sharedItems count="2"><s v="王小明"/><s v="陳怡君"/></sharedItems>'
    '</cacheField><cacheField name="手機" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" '
    'containsNumber="1" containsInteger="1" minValue="912345678" maxValue="933111222"/></cacheField>'
    '<cacheField name="身分證字號" numFmtId="0"><sharedItems/></cacheField>'
    '<cacheField name="金額" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" '
    'containsNumber="1" containsInteger="1" minValue="100" maxValue="200"/></cacheField>'
    '<cacheField name="承辦 周志偉" numFmtId="0"><sharedItems containsBlank="1" count="1"><m/></sharedItems>'
    "</cacheField></cacheFields></pivotCacheDefinition>")
CACHE_RECORDS = (
    f'<pivotCacheRecords xmlns="{X}" count="2">'
    '<r><x v="0"/><n v="912345678"/><s v="A123456789"/><n v="100"/><x v="0"/></r>'
    '<r><x v="1"/><n v="933111222"/><s v="B223456782"/><n v="200"/><x v="0"/></r></pivotCacheRecords>')
PIVOT_TABLE = (
    f'<pivotTableDefinition xmlns="{X}" name="樞紐分析表1" cacheId="1" dataCaption="值" updatedVersion="6" '
    'minRefreshableVersion="3" createdVersion="6" outline="1" outlineData="1">'
    '<location ref="A5:B8" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>'
    '<pivotFields count="5"><pivotField axis="axisRow" showAll="0"><items count="3"><item x="0"/><item x="1"/>'
    '<item t="default"/></items></pivotField><pivotField showAll="0"/><pivotField showAll="0"/>'
    '<pivotField dataField="1" showAll="0"/><pivotField showAll="0"/></pivotFields>'
    '<rowFields count="1"><field x="0"/></rowFields><rowItems count="3"><i><x/></i><i><x v="1"/></i>'
    '<i t="grand"><x/></i></rowItems><colItems count="1"><i/></colItems>'
    '<dataFields count="1"><dataField name="加總 - 金額" fld="3" baseField="0" baseItem="0"/></dataFields>'
    "</pivotTableDefinition>")
EXTERNAL_LINK = (
    f'<externalLink xmlns="{X}" xmlns:r="{R}"><externalBook r:id="rId1"><sheetNames>'
    f'<sheetName val="{LINKED_SHEET}"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="2">'
    '<cell r="A2" t="str"><v>吳建宏</v></cell><cell r="B2" t="str"><v>0955-666-777</v></cell>'
    '<cell r="C2"><v>42</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>')
CHART_CATEGORIES = (
    f"<cat><strRef><f>'{SHEET}'!$A$2:$A$3</f><strCache><ptCount val=\"2\"/><pt idx=\"0\"><v>王小明</v></pt>"
    '<pt idx="1"><v>陳怡君</v></pt></strCache></strRef></cat>')
CHART_VALUES = (
    f"<val><numRef><f>'{SHEET}'!$B$2:$B$3</f><numCache><formatCode>General</formatCode><ptCount val=\"2\"/>"
    '<pt idx="0"><v>912345678</v></pt><pt idx="1"><v>933111222</v></pt></numCache></numRef></val>')


def _rel(rid: str, kind: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'


def _rels(kind: str, target: str, external: bool = False) -> bytes:
    """A relationship part holding one relationship."""
    return f'<Relationships xmlns="{PKG}">{_rel("rId1", kind, target, external)}</Relationships>'.encode()


def _add(members: dict[str, bytes], name: str, before: str, text: str) -> None:
    xml = members[name].decode()
    assert before in xml, (name, before)
    members[name] = xml.replace(before, text + before, 1).encode()


def make_book(path: Path) -> Path:
    """A customer list on a sheet named after a customer, with a chart (names as categories,
    phones typed as numbers as values, a person in its title), a table (a person in a column
    name and a totals label), a pivot table and its cache (records too), a formula and a defined
    name referring to the sheet, and a link to another workbook in a person's folder."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["姓名", "手機", "身分證字號", "金額", "承辦 周志偉"])
    sheet.append(["王小明", 912345678, "A123456789", 100, None])
    sheet.append(["陳怡君", 933111222, "B223456782", 200, None])
    chart = BarChart()
    chart.title = "業務 許志豪 業績"
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=3))
    sheet.add_chart(chart, "G2")
    table = Table(displayName="名單", ref="A1:E3")
    sheet.add_table(table)
    summary = book.create_sheet("摘要")
    summary["A1"] = "合計"
    summary["B1"] = f"=SUM('{SHEET}'!D2:D3)"
    summary["A2"] = f"='{SHEET}'!A2"
    summary["A3"] = f"=[1]{LINKED_SHEET}!A2"
    book.defined_names["名單範圍"] = DefinedName("名單範圍", attr_text=f"'{SHEET}'!$A$2:$A$3")
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    chart_xml = members["xl/charts/chart1.xml"].decode()
    chart_xml = re.sub(r"<cat>.*?</cat>", CHART_CATEGORIES, chart_xml)
    chart_xml = re.sub(r"<val>.*?</val>", CHART_VALUES, chart_xml)
    members["xl/charts/chart1.xml"] = chart_xml.encode()
    _add(members, "xl/tables/table1.xml", '/><tableColumn id="2"', ' totalsRowLabel="經辦 黃雅婷"')
    members["xl/pivotCache/pivotCacheDefinition1.xml"] = CACHE_DEFINITION.encode()
    members["xl/pivotCache/pivotCacheRecords1.xml"] = CACHE_RECORDS.encode()
    members["xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels"] = _rels("pivotCacheRecords",
                                                                          "pivotCacheRecords1.xml")
    members["xl/pivotTables/pivotTable1.xml"] = PIVOT_TABLE.encode()
    members["xl/pivotTables/_rels/pivotTable1.xml.rels"] = _rels("pivotCacheDefinition",
                                                                 "../pivotCache/pivotCacheDefinition1.xml")
    members["xl/worksheets/_rels/sheet2.xml.rels"] = _rels("pivotTable", "../pivotTables/pivotTable1.xml")
    members["xl/externalLinks/externalLink1.xml"] = EXTERNAL_LINK.encode()
    members["xl/externalLinks/_rels/externalLink1.xml.rels"] = _rels(
        "externalLinkPath", "file:///C:\\Users\\王大明\\Documents\\客戶.xlsx", external=True)
    _add(members, "xl/_rels/workbook.xml.rels", "</Relationships>",
         _rel("rIdPC", "pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")
         + _rel("rIdEL", "externalLink", "externalLinks/externalLink1.xml"))
    _add(members, "xl/workbook.xml", "<definedNames>",
         f'<externalReferences><externalReference xmlns:r="{R}" r:id="rIdEL"/></externalReferences>')
    _add(members, "xl/workbook.xml", "</workbook>",
         f'<pivotCaches><pivotCache xmlns:r="{R}" cacheId="1" r:id="rIdPC"/></pivotCaches>')
    ml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    _add(members, "[Content_Types].xml", "</Types>", "".join(
        f'<Override PartName="/xl/{name}.xml" ContentType="{ml}.{kind}+xml"/>' for name, kind in (
            ("pivotCache/pivotCacheDefinition1", "pivotCacheDefinition"),
            ("pivotCache/pivotCacheRecords1", "pivotCacheRecords"), ("pivotTables/pivotTable1", "pivotTable"),
            ("externalLinks/externalLink1", "externalLink"))))
    return write_members(path, members)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return make_book(tmp_path_factory.mktemp("caches") / "客戶.xlsx")


def test_fixture_opens(book):
    from openpyxl import load_workbook

    assert load_workbook(book).sheetnames == [SHEET, "摘要"]


def test_scan_reports_each_cache(book):
    found: dict[str | None, set[str]] = {}
    for f in _findings(book):
        found.setdefault(f.column, set()).add(f.value)
    for column, values in PLACES.items():
        assert values <= found.get(column, set()), (column, found.get(column))
    # a reference to the sheet is no personal data of its own
    assert not any(c and c.startswith("定義名稱") for c in found), found


def assert_consistent(package: Path) -> None:
    """Every relationship's internal target is a member, every content type override names a
    member, every r:id of a part is one of its relationships."""
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        parts = {n: etree.fromstring(zf.read(n)) for n in names if n.endswith((".xml", ".rels"))}
    for name, root in parts.items():
        if name.endswith(".rels"):
            folder = posixpath.dirname(posixpath.dirname(name))
            for rel in root.iter(f"{{{PKG}}}Relationship"):
                if rel.get("TargetMode") != "External":
                    target = rel.get("Target")
                    member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                        posixpath.join(folder, target))
                    assert member in names, (name, target)
            continue
        rels_name = f"{posixpath.dirname(name)}/_rels/{posixpath.basename(name)}.rels"
        ids = ({r.get("Id") for r in parts[rels_name].iter(f"{{{PKG}}}Relationship")}
               if rels_name in parts else set())
        for elem in root.iter():
            for attr, value in elem.attrib.items():
                if attr.startswith(f"{{{R}}}") and attr != f"{{{R}}}Ignorable":
                    assert value in ids, (name, attr, value)
    for override in parts["[Content_Types].xml"].iter("{*}Override"):
        assert override.get("PartName").lstrip("/") in names, override.get("PartName")


@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_no_original_value(book, tmp_path, method, fp):
    from openpyxl import load_workbook

    out = tmp_path / "out.xlsx"
    result = mask_file(book, out, method, KEY if method == "pseudonym" else None, fp)
    assert_none_left(out, VALUES)
    assert_consistent(out)
    assert result["sheet_names_kept"] == 2  # the sheet and the linked workbook's sheet
    assert load_workbook(out).sheetnames == [SHEET, "摘要"]
    assert {f.value for f in _findings(out)} & VALUES == set()
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        definition = zf.read("xl/pivotCache/pivotCacheDefinition1.xml").decode()
        workbook = zf.read("xl/workbook.xml").decode()
        types = zf.read("[Content_Types].xml").decode()
    assert "xl/pivotCache/pivotCacheRecords1.xml" not in names
    assert "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels" not in names and "pivotCacheRecords" not in types
    assert 'refreshOnLoad="1"' in definition and 'saveData="0"' in definition and "r:id" not in definition
    assert 'refreshedBy=""' in definition
    # references to the sheets are intact
    assert f"'{SHEET}'!$A$2:$A$3</definedName>" in workbook
    summary = load_workbook(out)["摘要"]
    assert [summary["B1"].value, summary["A2"].value, summary["A3"].value] == [
        f"=SUM('{SHEET}'!D2:D3)", f"='{SHEET}'!A2", f"=[1]{LINKED_SHEET}!A2"]


def test_caches_agree_with_cells(book, tmp_path):
    """partial: a cache holds the masked text of the cell it copies; a masked number is no
    number any more (a text item, a chart point left out), the field's flags say so; a table's
    masked column name is its header cell's text."""
    from openpyxl import load_workbook

    out = tmp_path / "out.xlsx"
    mask_file(book, out)
    sheet = load_workbook(out)[SHEET]
    cells = [[c.value for c in row] for row in sheet.iter_rows(max_col=5)]
    assert cells[1][:3] == ["王○明", "912-***-678", "A12****789"]
    with zipfile.ZipFile(out) as zf:
        definition = zf.read("xl/pivotCache/pivotCacheDefinition1.xml").decode()
        chart = zf.read("xl/charts/chart1.xml").decode()
        table = zf.read("xl/tables/table1.xml").decode()
        link = zf.read("xl/externalLinks/externalLink1.xml").decode()
        path = zf.read("xl/externalLinks/_rels/externalLink1.xml.rels").decode()
    assert '<s v="王○明"/><s v="陳○君"/>' in definition
    phones = re.search(r'<cacheField name="手機"[^>]*><sharedItems ?([^>]*)/>', definition).group(1)
    assert "Value" not in phones and "containsNumber" not in phones  # no number left to describe
    assert 'minValue="100" maxValue="200"' in definition  # amounts are no personal data
    assert "<v>王○明</v>" in chart and "<v>陳○君</v>" in chart and "許○豪" in chart
    assert "<ptCount val=\"2\"/></numCache>" in chart  # the phones' points left out
    assert f'name="{cells[0][4]}"' in table and cells[0][4] == "承辦 周○偉"
    assert f'<cacheField name="{cells[0][4]}"' in definition  # the pivot still finds its field on refresh
    assert 'totalsRowLabel="經辦 黃○婷"' in table
    assert "<v>吳○宏</v>" in link and "<v>0955-***-777</v>" in link and f'val="{LINKED_SHEET}"' in link
    assert "王○明" in path or "王大明" not in path
