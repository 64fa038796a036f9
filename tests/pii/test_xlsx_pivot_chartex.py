"""Excel's newer charts (``xl/charts/chartEx*.xml``: treemap, sunburst, waterfall…, ``cx:``
namespace) keep cached copies of the cells they plot, and a pivot table keeps text of its own:
captions typed over an item (``item n="王小明 (VIP)"``), a field, the totals, and its own
filters (a label filter's ``stringValue1``, its ``autoFilter``). The scanner reports them where
they sit and the masking masks them: a cached copy of a masked cell takes the cell's masked
text, a masked number leaves the chart's number points."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gezi.pii.mask_files import mask_file

from .test_mask_documents import KEY, METHODS
from .test_mask_sheets_slides import assert_none_left
from .test_xlsx_caches import PIVOT_TABLE, SHEET, X, _add, _rel, make_book
from .test_xlsx_hidden_text import _findings, write_members

CX_NS = ('xmlns:cx="http://schemas.microsoft.com/office/drawing/2014/chartex" '
         'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
# A treemap of the customers' phones (typed as numbers: copies of the cells), its categories
# two names no cell holds, its title naming a person.
CHART_EX = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cx:chartSpace {CX_NS}><cx:chartData><cx:data id="0">'
    f"<cx:strDim type=\"cat\"><cx:f>'{SHEET}'!$A$2:$A$3</cx:f><cx:lvl ptCount=\"2\"><cx:pt idx=\"0\">王小明</cx:pt>"
    '<cx:pt idx="1">蔡明哲</cx:pt></cx:lvl></cx:strDim>'
    f"<cx:numDim type=\"size\"><cx:f>'{SHEET}'!$B$2:$B$3</cx:f><cx:lvl ptCount=\"2\" formatCode=\"General\">"
    '<cx:pt idx="0">912345678</cx:pt><cx:pt idx="1">150</cx:pt></cx:lvl></cx:numDim></cx:data></cx:chartData>'
    '<cx:chart><cx:title pos="t" align="ctr" overlay="0"><cx:tx><cx:txData><cx:v>業務 周淑娟 樹狀圖</cx:v>'
    '</cx:txData></cx:tx></cx:title><cx:plotArea><cx:plotAreaRegion><cx:series layoutId="treemap" uniqueId="{1}">'
    f"<cx:tx><cx:txData><cx:f>'{SHEET}'!$B$1</cx:f><cx:v>手機</cx:v></cx:txData></cx:tx><cx:dataId val=\"0\"/>"
    "</cx:series></cx:plotAreaRegion></cx:plotArea></cx:chart></cx:chartSpace>")
# The pivot table of test_xlsx_caches with captions of its own and a label filter.
PIVOT = (PIVOT_TABLE
         .replace('dataCaption="值"', 'dataCaption="值" grandTotalCaption="總計 製表 吳淑芬"')
         .replace('<pivotField axis="axisRow" showAll="0"><items count="3"><item x="0"/>',
                  '<pivotField axis="axisRow" showAll="0" name="負責人 張家豪"><items count="3">'
                  '<item n="王小明 (VIP)" x="0"/>')
         .replace("</pivotTableDefinition>",
                  '<filters count="1"><filter fld="0" type="captionBeginsWith" evalOrder="-1" id="1" '
                  'stringValue1="黃雅婷"><autoFilter ref="A1"><filterColumn colId="0"><customFilters>'
                  '<customFilter val="黃雅婷*"/></customFilters></filterColumn></autoFilter></filter></filters>'
                  "</pivotTableDefinition>"))
PLACES = {f"{SHEET}!圖表 chart": {"蔡明哲", "周淑娟"},
          "摘要!樞紐分析表 pivot table": {"王小明", "張家豪", "吳淑芬", "黃雅婷"}}


def make_pivot_chartex(path: Path) -> Path:
    """test_xlsx_caches' workbook with a treemap beside its chart and a pivot table with
    captions and a filter."""
    make_book(path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    assert PIVOT != PIVOT_TABLE and "<filters" in PIVOT
    members["xl/pivotTables/pivotTable1.xml"] = PIVOT.encode()
    members["xl/charts/chartEx1.xml"] = CHART_EX.encode()
    _add(members, "xl/drawings/_rels/drawing1.xml.rels", "</Relationships>",
         _rel("rIdCX", "chartEx", "../charts/chartEx1.xml").replace(
             "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartEx",
             "http://schemas.microsoft.com/office/2014/relationships/chartEx"))
    return write_members(path, members)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return make_pivot_chartex(tmp_path_factory.mktemp("pivot") / "客戶.xlsx")


def test_scan_reports_chartex_and_pivot_table_text(book):
    found: dict[str | None, set[str]] = {}
    for f in _findings(book):
        found.setdefault(f.column, set()).add(f.value)
    for column, values in PLACES.items():
        assert values <= found.get(column, set()), (column, found.get(column))


@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_none(book, tmp_path, method, fp):
    out = tmp_path / "out.xlsx"
    mask_file(book, out, method, KEY if method == "pseudonym" else None, fp)
    assert_none_left(out, {v for values in PLACES.values() for v in values} | {"912345678"})
    found = {f.value for f in _findings(out)}
    assert found.isdisjoint({v for values in PLACES.values() for v in values})


def test_copies_take_the_cells_masked_text(book, tmp_path):
    out = tmp_path / "out.xlsx"
    mask_file(book, out)
    with zipfile.ZipFile(out) as zf:
        chart, pivot = zf.read("xl/charts/chartEx1.xml").decode(), zf.read("xl/pivotTables/pivotTable1.xml").decode()
    # the name as in its cell; the masked phone is no number: its point left out, the other kept
    assert '<cx:pt idx="0">王○明</cx:pt><cx:pt idx="1">蔡○哲</cx:pt>' in chart
    assert '<cx:lvl ptCount="2" formatCode="General"><cx:pt idx="1">150</cx:pt></cx:lvl>' in chart
    assert "<cx:v>業務 周○娟 樹狀圖</cx:v>" in chart and "<cx:v>手機</cx:v>" in chart
    assert "$A$2:$A$3</cx:f>" in chart  # the reference stays
    assert 'n="王○明 (VIP)"' in pivot and 'name="負責人 張○豪"' in pivot
    assert 'grandTotalCaption="總計 製表 吳○芬"' in pivot
    assert 'stringValue1="黃○婷"' in pivot and 'name="樞紐分析表1"' in pivot  # the table's own name is kept
    assert 'dataCaption="值"' in pivot and '<dataField name="加總 - 金額"' in pivot
    from lxml import etree

    assert etree.fromstring(pivot.encode()).tag == f"{{{X}}}pivotTableDefinition"
