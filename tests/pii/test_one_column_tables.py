"""One-column tables (a CSV of notes, a sheet of call records): the first row is the header only
when it reads as a column name (手機, 統一編號). A sentence that mentions 電話 is data: it is
scanned, and it does not make the column a phone column (which would mask every row whole as
a phone). Tables of two or more columns find their header as before."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gezi.pii.files import header_index
from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_file

from .builders import make_xlsx

NOTES = [["王小明來電詢問退貨，電話0912-345-678。"],
         ["客戶反映商品瑕疵，已安排換貨"],
         ["身分證 A123456789 已核對"]]
NOTES_FOUND = {(1, "#1", "PERSON_NAME", "王小明"), (1, "#1", "PHONE_NUMBER", "0912-345-678"),
               (3, "#1", "TW_NATIONAL_ID", "A123456789")}
# A real column name: it stays the header, and its name is the hint a bare UBN needs.
UBNS = [["統一編號"], ["04595257"], ["12345675"]]
UBNS_FOUND = {(2, "統一編號", "TW_UBN", "04595257"), (3, "統一編號", "TW_UBN", "12345675")}
# A list of IDs with no header at all: every row is data.
IDS = [["A123456789"], ["B287654335"]]
IDS_FOUND = {(1, "#1", "TW_NATIONAL_ID", "A123456789"), (2, "#1", "TW_NATIONAL_ID", "B287654335")}


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _found(path: Path, sheet: str = "") -> set[tuple]:
    res = scan_file(path)
    assert not res.skipped
    return {(f.row, f.column.removeprefix(sheet), f.entity, f.value) for f in res.findings
            if f.column.startswith(sheet)}


@pytest.mark.parametrize(("rows", "found"), [(NOTES, NOTES_FOUND), (UBNS, UBNS_FOUND),
                                             (IDS, IDS_FOUND)], ids=["notes", "ubn", "ids"])
def test_csv_first_row_is_a_header_only_when_it_names_the_column(tmp_path, rows, found):
    assert _found(_csv(tmp_path / "one.csv", rows)) == found


def test_xlsx_sheets_of_one_column(tmp_path):
    book = make_xlsx(tmp_path / "one.xlsx", {"來電": NOTES, "廠商": UBNS, "名單": IDS})
    for sheet, found in (("來電", NOTES_FOUND), ("廠商", UBNS_FOUND), ("名單", IDS_FOUND)):
        assert _found(book, f"{sheet}!") == found, sheet


def test_masking_a_one_column_csv_masks_the_sentence_rows_as_text(tmp_path):
    src = _csv(tmp_path / "notes.csv", [*NOTES, ["無"]])
    counts = mask_file(src, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    # Not a phone column: the row without personal data is written as it was.
    assert got == [["王○明來電詢問退貨，電話0912-***-678。"], ["客戶反映商品瑕疵，已安排換貨"],
                   ["身分證 A12****789 已核對"], ["無"]]
    assert counts["by_entity"] == {"PERSON_NAME": 1, "PHONE_NUMBER": 1, "TW_NATIONAL_ID": 1}

    src = _csv(tmp_path / "ubn.csv", UBNS)
    mask_file(src, tmp_path / "ubn-out.csv")
    with (tmp_path / "ubn-out.csv").open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [["統一編號"], ["04****57"], ["12****75"]]


def test_masking_a_one_column_sheet(tmp_path):
    src = make_xlsx(tmp_path / "notes.xlsx", {"來電": NOTES, "廠商": UBNS})
    mask_file(src, tmp_path / "out.xlsx")
    book = load_workbook(tmp_path / "out.xlsx")
    assert [r[0] for r in book["來電"].iter_rows(values_only=True)] == [
        "王○明來電詢問退貨，電話0912-***-678。", "客戶反映商品瑕疵，已安排換貨", "身分證 A12****789 已核對"]
    assert [r[0] for r in book["廠商"].iter_rows(values_only=True)] == ["統一編號", "04****57", "12****75"]


@pytest.mark.parametrize(("prefix", "expected"), [
    # One column: a name is the header, past blank rows; anything else is data.
    ([["手機"], ["0912345678"]], 0),
    ([[None], ["", "Email"], ["wang@example.com"]], 1),
    ([["備註說明：本欄位記載客戶於電話中之陳述內容"], ["x"]], None),  # over 20 characters
    ([["請回電"], ["x"]], 0),
    ([["請回電！"], ["x"]], None),  # sentence punctuation
    ([["訂單20240101"], ["x"]], None),  # digits of an identifier
    ([["陳怡君"], ["林志玲"]], None),  # a name found in it: personal data
    ([[None], [None]], None),
    # Two columns or more: as before, whatever the title rows say.
    ([["113年度會員名單（承辦人王小明）"], ["製表日期：2024-01-02"], ["姓名", "電話"]], 2),
    ([["王小明來電，電話0912-345-678。"], *[["x"]] * 5, ["姓名", "電話"]], 0),
    ([["王小明", "0912-345-678"]], 0),
])
def test_header_index(prefix, expected):
    assert header_index(prefix) == expected
