"""Excel workbooks in the layout Taiwanese auditors exchange (zh-TW headers, frozen header row)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def add_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[int] | None = None) -> None:
    """Append a sheet with a bold, frozen header row and wrapped text."""
    ws = wb.create_sheet(title=title[:31])
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        ws.append([_cell(v) for v in row])
    ws.freeze_panes = "A2"
    for n, width in enumerate(widths or [18] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return "\n".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(TAIPEI).replace(tzinfo=None)  # Excel has no zones: show Taipei
    return value


def new_workbook() -> Workbook:
    """An empty workbook (the default sheet removed)."""
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save(wb: Workbook, path: Path) -> Path:
    """Write a workbook, with a one-line error when the path is not writable."""
    # Build the file in memory first: a failed write then leaves no half-closed zip behind
    # (openpyxl's own writer prints a second traceback while cleaning up).
    buffer = io.BytesIO()
    wb.save(buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise GeziError(f"無法寫入 cannot write {path}: {exc.strerror}") from None
    return path
