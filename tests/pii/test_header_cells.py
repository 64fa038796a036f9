"""People in a table's header: a sales matrix headed by its salespeople (月份 | 王小明 | 陳怡君),
a per-customer sheet headed 客戶：林志強 0912-345-678. The header's cells are scanned as text (no
column name is a hint for them; reported at the header's row under the name they give their
column) and masked in CSV/TSV, XLSX, XLS (as XLSX), ODS and document tables; the data below is
still read under the header as written (a column named 姓名 is still a name column). Ordinary
column names give no finding, so nothing new is reported for them, and title rows above the
header are scanned and masked too."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gezi.pii.files import read_csv
from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

from .builders import make_docx, make_xlsx
from .test_mask_documents import KEY, METHODS
from .test_mask_sheets_slides import assert_none_left
from .test_scan_sheets import make_ods, make_xls

# Column names of Taiwanese (and English) lists as offices, shops and schools write them.
ORDINARY = [
    "姓名", "中文姓名", "英文姓名", "性別", "出生日期", "生日", "年齡", "身分證字號", "身分證統一編號", "居留證號",
    "護照號碼", "手機", "手機號碼", "電話", "市話", "傳真", "Email", "E-mail", "地址", "戶籍地址", "通訊地址",
    "郵遞區號", "縣市", "鄉鎮市區", "統一編號", "公司名稱", "客戶名稱", "聯絡人", "收件人姓名", "緊急聯絡人電話",
    "負責人", "承辦人", "經手人", "家長姓名", "監護人", "職稱", "部門", "員工編號", "學號", "會員編號",
    "訂單編號", "金額", "金額(元)", "日期", "銀行帳號", "健保卡號", "車牌號碼", "信用卡號", "IP位址", "LINE ID",
    "帳號", "備註", "Name", "Full Name", "Customer Name", "Phone", "Mobile", "Tel", "Address", "Date of Birth",
    "Birthday", "Gender", "ID No.", "Remark", "Notes", "Zip",
]
NAMES = ["王小明", "陳怡君"]
MATRIX = [["月份", *NAMES], ["1月", 120, 80], ["2月", 95, 130]]
# A title row, then a header holding a customer (name and phone) and a column named 姓名.
CUSTOMER = [
    ["113年度對帳單（業務 張家豪）", None, None],
    ["客戶：林志強 0912-345-678", "姓名", "金額"],
    ["1月", "小明", 100],
]
ORIGINALS = {*NAMES, "林志強", "0912-345-678", "張家豪", "小明"}


def _write_csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def _found(path: Path) -> set[tuple[int | None, str | None, str, str]]:
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    return {(f.row, f.column, f.entity, f.value) for f in report.findings}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".xls", ".ods"])
def test_ordinary_column_names_give_no_finding(tmp_path, suffix):
    rows = [ORDINARY, ["無"] * len(ORDINARY)]
    if suffix == ".csv":
        path = _write_csv(tmp_path / "list.csv", rows)
    else:
        path = {".xlsx": make_xlsx, ".xls": make_xls, ".ods": make_ods}[suffix](tmp_path / f"list{suffix}", {"s": rows})
    assert _found(path) == set()


def test_ordinary_header_is_written_as_it_was(tmp_path):
    src = _write_csv(tmp_path / "list.csv", [ORDINARY, ["無"] * len(ORDINARY)])
    mask_file(src, tmp_path / "out.csv")
    header = (tmp_path / "out.csv").read_bytes().split(b"\r\n")[0]
    assert header == src.read_bytes().split(b"\r\n")[0]


def test_header_cells_are_read_with_no_column_hint(tmp_path):
    path = _write_csv(tmp_path / "sales.csv", MATRIX)
    batches = list(read_csv(lambda: path.open("rb"), ","))
    column, header = batches[0]
    assert column is None  # analyzed as text, not under a column name
    assert [(s.row, s.column, s.text) for s in header] == [(1, "月份", "月份"), (1, "王小明", "王小明"),
                                                           (1, "陳怡君", "陳怡君")]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".xls", ".ods"])
def test_scan_reports_the_header_and_title_rows(tmp_path, suffix):
    if suffix in (".csv", ".tsv"):
        matrix = _write_csv(tmp_path / f"sales{suffix}", MATRIX, "," if suffix == ".csv" else "\t")
        customer = _write_csv(tmp_path / f"customer{suffix}", CUSTOMER, "," if suffix == ".csv" else "\t")
        prefix = ""
    else:
        make = {".xlsx": make_xlsx, ".xls": make_xls, ".ods": make_ods}[suffix]
        matrix = make(tmp_path / f"sales{suffix}", {"s": MATRIX})
        customer = make(tmp_path / f"customer{suffix}", {"s": CUSTOMER})
        prefix = "s!"
    assert {(r, c, e) for r, c, e, _ in _found(matrix)} == {
        (1, f"{prefix}王小明", "PERSON_NAME"), (1, f"{prefix}陳怡君", "PERSON_NAME")}
    header = f"{prefix}客戶：林志強 0912-345-678"
    assert {(r, c, e) for r, c, e, _ in _found(customer)} == {
        (1, f"{prefix}#1", "PERSON_NAME"),  # the title row, 張家豪
        (2, header, "PERSON_NAME"), (2, header, "PHONE_NUMBER"),  # the header's own cell
        (3, f"{prefix}姓名", "PERSON_NAME"),  # 小明 under 姓名: the header still names the column
    }


def _csv_out(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_header_masked_and_the_name_column_kept(tmp_path):
    src = _write_csv(tmp_path / "customer.csv", CUSTOMER)
    counts = mask_file(src, tmp_path / "out.csv")
    assert _csv_out(tmp_path / "out.csv") == [
        ["113年度對帳單（業務 張○豪）", "", ""],
        ["客戶：林○強 0912-***-678", "姓名", "金額"],
        ["1月", "小○", "100"],  # whole, under 姓名 as before
    ]
    assert counts["by_entity"] == {"PERSON_NAME": 3, "PHONE_NUMBER": 1}


def _values_in_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8-sig").splitlines()
            if any(v in line for v in ORIGINALS)]


@pytest.mark.parametrize(("method", "fp"), METHODS)
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_csv_output_holds_no_original(tmp_path, suffix, method, fp):
    for name, rows in ((f"sales{suffix}", MATRIX), (f"customer{suffix}", CUSTOMER)):
        src = _write_csv(tmp_path / name, rows, "," if suffix == ".csv" else "\t")
        out = tmp_path / f"{method}-{fp}-{name}"
        mask_file(src, out, method, KEY if method == "pseudonym" else None, fp)
        assert _values_in_lines(out) == []
        if not fp:  # format-preserving pseudonyms are realistic names and phones, found again
            assert _found(out) == set()


def _sheet_rows(path: Path) -> list[list[object]]:
    book = load_workbook(path)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.mark.parametrize(("method", "fp"), METHODS)
@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_sheet_output_holds_no_original(tmp_path, suffix, method, fp):
    make = {".xlsx": make_xlsx, ".xls": make_xls, ".ods": make_ods}[suffix]
    for name, rows in (("sales", MATRIX), ("customer", CUSTOMER)):
        src = make(tmp_path / f"{name}{suffix}", {"s": rows})
        out = tmp_path / f"{name}-{method}-{fp}{'.ods' if suffix == '.ods' else '.xlsx'}"
        mask_file(src, out, method, KEY if method == "pseudonym" else None, fp)
        assert_none_left(out, ORIGINALS)
        if not fp:  # format-preserving pseudonyms are realistic names and phones, found again
            assert _found(out) == set()


def test_xlsx_header_masked_in_place(tmp_path):
    src = make_xlsx(tmp_path / "customer.xlsx", {"s": CUSTOMER})
    mask_file(src, tmp_path / "out.xlsx")
    assert _sheet_rows(tmp_path / "out.xlsx") == [
        ["113年度對帳單（業務 張○豪）", None, None],
        ["客戶：林○強 0912-***-678", "姓名", "金額"],
        ["1月", "小○", 100],
    ]
    src = make_xlsx(tmp_path / "sales.xlsx", {"s": MATRIX})
    mask_file(src, tmp_path / "sales-out.xlsx")
    assert _sheet_rows(tmp_path / "sales-out.xlsx") == [["月份", "王○明", "陳○君"], ["1月", 120, 80],
                                                        ["2月", 95, 130]]


def test_ods_header_masked_in_place(tmp_path):
    src = make_ods(tmp_path / "sales.ods", {"s": MATRIX})
    mask_file(src, tmp_path / "out.ods")
    with zipfile.ZipFile(tmp_path / "out.ods") as zf:
        content = zf.read("content.xml").decode()
    assert "王○明" in content and "陳○君" in content and "月份" in content


def test_document_table_header_masked(tmp_path):
    """A Word table is read as CSV is: its header's cells are masked too."""
    src = make_docx(tmp_path / "sales.docx", ["業績表"], [[str(v) for v in row] for row in MATRIX])
    assert {(r, c) for r, c, _, _ in _found(src)} == {(1, "王小明"), (1, "陳怡君")}
    out = tmp_path / "out.docx"
    mask_file(src, out)
    assert_none_left(out, set(NAMES))
    assert _found(out) == set()
