"""An XLSX's filters keep copies of cell values: the values a sheet's or a table's ``autoFilter``
shows (``filter val="王小明"``) and its custom criteria (``customFilter val``); a sort's custom
order (``sortCondition customList``) lists values too. They are scanned (``sheet!篩選 filter``) and
masked: a filter value equal to a masked cell takes that cell's masked text, so the filter still
matches the masked cells; others are analyzed as text. A sort's other attributes (range,
direction) hold no values. Where no filter holds personal data the package is copied as it was."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.filters import (
    AutoFilter,
    CustomFilter,
    CustomFilters,
    FilterColumn,
    Filters,
    SortCondition,
    SortState,
)
from openpyxl.worksheet.table import Table

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .test_mask_documents import KEY, METHODS
from .test_mask_sheets_slides import assert_none_left

X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
FILTER = "客戶!篩選 filter"
# Values that are in the filters only, or in filters and cells.
ONLY_IN_FILTERS = {"周志偉", "許志豪", "黃雅婷"}
IN_CELLS = {"王小明", "陳怡君", "0912-345-678"}


def make_book(path: Path, people: bool = True) -> Path:
    """A customer list filtered to 王小明 (a value of its cells) with a custom criterion naming
    周志偉 and a sort by a custom list of salespeople; a table beside it filtered to 黃雅婷.
    ``people=False``: the same book with filters and sorts on values that are no one."""
    book = Workbook()
    sheet = book.active
    sheet.title = "客戶"
    sheet.append(["姓名", "手機", "備註", None, "業務", "區域"])
    sheet.append(["王小明", "0912-345-678", "VIP", None, "黃雅婷" if people else "甲", "北區"])
    sheet.append(["陳怡君", "0933-111-222", "一般", None, "乙", "南區"])
    shown, custom = (["王小明", "0912-345-678"], "*周志偉*") if people else (["VIP"], "*一般*")
    order = "許志豪,黃雅婷" if people else "北區,南區"
    sheet.auto_filter = AutoFilter(ref="A1:C3", filterColumn=[
        FilterColumn(colId=0, filters=Filters(filter=shown[:1])),
        FilterColumn(colId=1, filters=Filters(filter=shown[1:])),
        FilterColumn(colId=2, customFilters=CustomFilters(customFilter=[CustomFilter(operator="equal", val=custom)])),
    ], sortState=SortState(ref="A2:C3", sortCondition=[SortCondition(ref="A2:A3", customList=order)]))
    table = Table(displayName="業務", ref="E1:F3")
    table.autoFilter = AutoFilter(ref="E1:F3", filterColumn=[
        FilterColumn(colId=0, filters=Filters(filter=["黃雅婷" if people else "甲"]))])
    sheet.add_table(table)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return make_book(tmp_path_factory.mktemp("filters") / "客戶.xlsx")


def test_fixture_holds_the_filters(book):
    with zipfile.ZipFile(book) as zf:  # openpyxl writes 王 as &#29579;
        sheet = html.unescape(zf.read("xl/worksheets/sheet1.xml").decode())
        table = html.unescape(zf.read("xl/tables/table1.xml").decode())
    assert 'val="王小明"' in sheet and 'val="*周志偉*"' in sheet and 'customList="許志豪,黃雅婷"' in sheet
    assert 'val="黃雅婷"' in table


def test_scan_reports_the_filters(book):
    findings = scan_paths([book], workers=1).findings
    in_filters = [f for f in findings if f.column == FILTER]
    assert {f.entity for f in in_filters} == {"PERSON_NAME", "PHONE_NUMBER"}
    # 王小明, 0912-345-678 (sheet), 周志偉, 許志豪 and 黃雅婷 (sort list), 黃雅婷 (table)
    assert len(in_filters) == 6


def _filter_values(package: Path) -> dict[str, list[str]]:
    """Each member's filter values, in order."""
    out = {}
    with zipfile.ZipFile(package) as zf:
        for name in ("xl/worksheets/sheet1.xml", "xl/tables/table1.xml"):
            root = etree.fromstring(zf.read(name))
            out[name] = [e.get("val") for e in root.iter(f"{X}filter", f"{X}customFilter")]
            out[name] += [e.get("customList") for e in root.iter(f"{X}sortCondition")]
    return out


def test_filter_takes_the_cells_masked_text(book, tmp_path):
    out = tmp_path / "out.xlsx"
    mask_file(book, out)
    sheet = load_workbook(out)["客戶"]
    assert (sheet["A2"].value, sheet["B2"].value, sheet["E2"].value) == ("王○明", "0912-***-678", "黃○婷")
    assert _filter_values(out) == {
        "xl/worksheets/sheet1.xml": ["王○明", "0912-***-678", "*周○偉*", "許○豪,黃○婷"],
        "xl/tables/table1.xml": ["黃○婷"],
    }


@pytest.mark.parametrize(("method", "fp"), METHODS)
def test_masked_copy_holds_no_original_value(book, tmp_path, method, fp):
    out = tmp_path / "out.xlsx"
    mask_file(book, out, method, KEY if method == "pseudonym" else None, fp)
    assert_none_left(out, ONLY_IN_FILTERS | IN_CELLS)
    values = _filter_values(out)["xl/worksheets/sheet1.xml"]
    sheet = load_workbook(out)["客戶"]
    assert values[:2] == [sheet["A2"].value, sheet["B2"].value]  # the filter still shows those rows


def test_filters_without_people_are_copied_as_they_were(tmp_path):
    src = make_book(tmp_path / "plain.xlsx", people=False)
    with zipfile.ZipFile(src) as zf:
        before = {n: zf.read(n) for n in zf.namelist()}
    out = tmp_path / "out.xlsx"
    mask_file(src, out)
    assert not [f for f in scan_paths([src], workers=1).findings if f.column == FILTER]
    with zipfile.ZipFile(out) as zf:
        after = {n: zf.read(n) for n in zf.namelist()}
    assert after["xl/tables/table1.xml"] == before["xl/tables/table1.xml"]
    changed = {n for n in before if after[n] != before[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "docProps/core.xml"}  # the masked cells, the author emptied
    assert _filter_values(out) == _filter_values(src)
    # The sheet is written again (its cells were masked): the filter is the same, character for
    # character (openpyxl wrote 北 as &#21271;, lxml writes it as UTF-8).
    kept = [html.unescape(re.search(r"<autoFilter.*</autoFilter>", data["xl/worksheets/sheet1.xml"].decode()).group())
            for data in (before, after)]
    assert kept[0] == kept[1]
