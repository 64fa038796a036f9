"""`gezi mask` finds a table's header as the scanner does: below blank and title rows. The
column under 統一編號 is masked whole, title rows are masked as free text, and every row is
written back in place."""

from __future__ import annotations

import csv

from openpyxl import load_workbook

from gezi.pii.mask_files import mask_file

from .builders import make_xlsx

ROWS = [
    ["", "", ""],
    ["113年度廠商名單（承辦人王小明）", "", ""],
    ["公司", "統一編號", "備註"],
    ["甲公司", "04595257", "無"],
    ["乙公司", "12345675", "電話0912-345-678"],
]


def test_csv_header_below_title_rows(tmp_path):
    src = tmp_path / "vendors.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(ROWS)
    counts = mask_file(src, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    assert got == [
        ["", "", ""],
        ["113年度廠商名單（承辦人王○明）", "", ""],
        ["公司", "統一編號", "備註"],
        ["甲公司", "04****57", "無"],
        ["乙公司", "12****75", "電話0912-***-678"],
    ]
    assert counts["by_entity"] == {"TW_UBN": 2, "PERSON_NAME": 1, "PHONE_NUMBER": 1}


def test_xlsx_header_below_title_rows(tmp_path):
    src = make_xlsx(tmp_path / "vendors.xlsx", {"廠商": [[None if v == "" else v for v in row]
                                                       for row in ROWS]})
    mask_file(src, tmp_path / "out.xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx")["廠商"]
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[1][0] == "113年度廠商名單（承辦人王○明）"
    assert got[2] == ["公司", "統一編號", "備註"]
    assert [row[1] for row in got[3:]] == ["04****57", "12****75"]
    assert got[4][2] == "電話0912-***-678"
