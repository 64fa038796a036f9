"""Excel 97–2003 (.xls) and OpenDocument (.ods) workbooks: cells located by sheet, header and
row like .xlsx; numbers typed as numbers; damaged books reported and skipped."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from gezi.pii.files import read_sheets
from gezi.pii.scan import scan_paths

from .builders import make_zip


def make_xls(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value, dates if isinstance(value, dt.date) else xlwt.Style.default_style)
    book.save(str(path))
    return path


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
            "</table:table-cell>")


def make_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no ODS writer is a dependency)."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    tables = "".join(
        f'<table:table table:name="{escape(title)}">'
        + "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
                  for row in rows)
        + "</table:table>"
        for title, rows in sheets.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("content.xml", content)
    return path


SHEETS = {
    "客戶": [
        [None, None, None, None],  # blank rows above the table, as in many office lists
        ["會員名單", None, None, None],
        ["姓名", "身分證字號", "手機", "金額"],
        ["王小明", "A123456789", "0912-345-678", 1200.5],
        ["陳怡君", "B234567895", 922333444, 3],  # invalid checksum; a phone typed as a number
    ],
    "備註": [["說明"], ["寄送地址：臺北市大安區忠孝東路四段100號5樓"]],
}


def located(report) -> set[tuple]:
    return {(f.entity, f.row, f.column, f.start, f.end, f.value) for f in report.findings}


EXPECTED = {
    ("PERSON_NAME", 4, "客戶!姓名", 0, 3, "王小明"),
    ("TW_NATIONAL_ID", 4, "客戶!身分證字號", 0, 10, "A123456789"),
    ("PHONE_NUMBER", 4, "客戶!手機", 0, 12, "0912-345-678"),
    ("PERSON_NAME", 5, "客戶!姓名", 0, 3, "陳怡君"),
    ("PHONE_NUMBER", 5, "客戶!手機", 0, 9, "922333444"),  # 0922333444 without its 0
    ("TW_ADDRESS", 2, "備註!說明", 5, 23, "臺北市大安區忠孝東路四段100號5樓"),
}


def test_xls_cells_located_like_xlsx(tmp_path):
    report = scan_paths([make_xls(tmp_path / "members.xls", SHEETS)], workers=1)
    assert report.files_skipped == [] and report.files_scanned == 1
    # The title row above the header is a cell of column #1 (row 2), not the header.
    assert located(report) == EXPECTED


def test_ods_cells_located_like_xlsx(tmp_path):
    report = scan_paths([make_ods(tmp_path / "members.ods", SHEETS)], workers=1)
    assert report.files_skipped == []
    assert located(report) == EXPECTED


def test_cells_read_as_typed(tmp_path):
    """Excel stores every number as a float: 12345675 must reach the analyzer as typed, not as
    12345675.0; fractions and dates keep their form."""
    path = make_xls(tmp_path / "n.xls", {"s": [["統一編號", "卡號", "金額", "日期"],
                                               [12345675, 4111111111111111, 1200.5,
                                                dt.date(1990, 5, 12)]]})
    cells = [(s.column, s.text) for _, segs in read_sheets(lambda: path.open("rb")) for s in segs if s.row > 1]
    assert sorted(cells) == [("s!卡號", "4111111111111111"), ("s!日期", "1990-05-12"),
                             ("s!統一編號", "12345675"), ("s!金額", "1200.5")]
    assert sorted((f.entity, f.value) for f in scan_paths([path], workers=1).findings) == \
        [("CREDIT_CARD", "4111111111111111"), ("TW_UBN", "12345675")]


def test_damaged_workbook_skipped_rest_scanned(tmp_path):
    (tmp_path / "broken.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (tmp_path / "broken.ods").write_bytes(b"PK\x03\x04 not a spreadsheet")
    make_xls(tmp_path / "ok.xls", SHEETS)
    make_zip(tmp_path / "archive.zip", {"inner/members.xls": (tmp_path / "ok.xls").read_bytes()})
    report = scan_paths([tmp_path], workers=1)
    reasons = {Path(s["path"]).name: s["reason"] for s in report.files_skipped}
    assert set(reasons) == {"broken.xls", "broken.ods"}
    assert all("試算表" in r for r in reasons.values())
    by_file = {f.path.rsplit("/", 1)[-1] for f in report.findings}
    assert by_file == {"ok.xls", "members.xls"}


def test_csv_header_below_title_rows_and_single_column_tables(tmp_path):
    (tmp_path / "list.csv").write_text(
        ",,\n113年度廠商名單,,\n製表日期：113/05/01,,\n公司,統一編號,聯絡人\n甲公司,04595257,王小明\n",
        encoding="utf-8")
    (tmp_path / "one.csv").write_text("統一編號\n04595257\n12345675\n", encoding="utf-8")
    report = scan_paths([tmp_path], workers=1)
    # The header is row 4: its 統一編號 makes the bare numbers below it UBNs.
    assert {(f.path.rsplit("/", 1)[-1], f.entity, f.row, f.column, f.value)
            for f in report.findings} == {
        ("list.csv", "TW_UBN", 5, "統一編號", "04595257"),
        ("list.csv", "PERSON_NAME", 5, "聯絡人", "王小明"),
        ("one.csv", "TW_UBN", 2, "統一編號", "04595257"),
        ("one.csv", "TW_UBN", 3, "統一編號", "12345675"),
    }


def test_inventory_counts_rows_of_every_sheet_of_an_xls(tmp_path):
    from gezi.pii.inventory import LocationScan

    path = make_xls(tmp_path / "book.xls", {"客戶": [["姓名", "身分證字號"], ["王小明", "A123456789"]],
                                            "員工": [["姓名", "手機"], ["陳怡君", "0912-345-678"]]})
    location = LocationScan(location=str(path), kind="file", name="book.xls")
    location.add(scan_paths([path], workers=1).findings)
    # Row 2 of 客戶 and row 2 of 員工 are two records, not one.
    assert location.records == 2 and sum(location.counts.values()) == 4
