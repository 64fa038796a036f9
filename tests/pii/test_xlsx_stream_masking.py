"""The masking reads an XLSX's cells as a stream (openpyxl's read-only mode, sheet by sheet,
row batch by row batch), not the whole workbook: a sheet whose declared size is stale is read to
its last row all the same, and formulas referring to sheets by name keep their references."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_file

ROWS = 4500  # more than two of the masking's row batches


def _book(path: Path) -> Path:
    book = Workbook()
    first = book.active
    first.title = "名單"
    first.append(["姓名", "手機"])
    for i in range(ROWS):
        first.append([f"王{'小大'[i % 2]}明", f"09{i % 90 + 10}-{i % 900 + 100}-{i % 900 + 100}"])
    second = book.create_sheet("王志強明細")  # a sheet named after a person: reported, kept
    second.append(["備註", "參照"])
    second.append(["洽 陳怡君 0933-222-111", "='王志強明細'!A2&\" 林志明\""])
    buffer = io.BytesIO()
    book.save(buffer)
    # a writer that did not update the size the sheet declares (A1 over thousands of rows)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def test_stale_dimension_every_row_masked(tmp_path: Path) -> None:
    src = _book(tmp_path / "名單.xlsx")
    out = tmp_path / "out.xlsx"
    result = mask_file(src, out)
    assert result["by_entity"]["PERSON_NAME"] >= ROWS
    book = load_workbook(out)
    sheet = book["名單"]
    last = sheet.cell(row=ROWS + 1, column=1).value
    assert last not in ("王小明", "王大明") and last.startswith("王")
    assert sheet["B2"].value != "0910-100-100"
    note, formula = book["王志強明細"]["A2"].value, book["王志強明細"]["B2"].value
    assert "陳怡君" not in note and "0933-222-111" not in note
    assert formula.startswith("='王志強明細'!A2&") and "林志明" not in formula  # the reference kept
    assert result["sheet_names_kept"] == 1
    found = {f.value for f in scan_file(out).findings}
    assert not found & {"王小明", "王大明", "陳怡君", "林志明"}
