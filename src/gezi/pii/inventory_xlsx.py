"""Write the 個人資料檔案清冊 as an Excel workbook, the way a Taiwanese inspector reads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gezi.catalog.loader import load_catalogs
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc, now_utc, roc_date
from gezi.org.models import Organization
from gezi.pii import inventory as inv
from gezi.pii.inventory_models import LOCATION_KIND_ZH, PdFile

# (header, column width in Excel character units; a CJK character takes about 2)
COLUMNS = [
    ("編號", 5), ("個資檔案名稱", 18), ("保有單位", 10), ("存放位置", 26), ("位置類型", 10),
    ("特定目的（代碼）", 24), ("個人資料類別（代碼）", 22), ("蒐集方式/法律依據", 28), ("筆數", 8),
    ("保存期限", 12), ("利用對象", 14), ("國際傳輸", 12), ("委外廠商", 12),
    ("掃描偵測之個資種類（數量）", 28), ("首次發現日", 12), ("最後盤點日", 12), ("待確認事項", 26),
]
LINE_POINTS = 15  # row height per text line
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")


def _day(value: dt.datetime | None, roc: bool) -> str:
    if value is None:
        return ""
    return roc_date(value) if roc else as_utc(value).astimezone(TAIPEI).date().isoformat()


def _codes(items: list[dict]) -> str:
    return "\n".join(f"{i['code']} {i.get('name', '')}".strip() if "code" in i else i["text"]
                     for i in items)


def _basis(entry: PdFile) -> str:
    bases = inv.legal_bases()
    parts = [entry.collection_method] if entry.collection_method else []
    parts += [f"{bases[c].name.zh}（{bases[c].source.citation}）" if c in bases else c
              for c in entry.legal_bases]
    return "\n".join(parts)


def _todo(entry: PdFile) -> str:
    notes = []
    undeclared = inv.undeclared_categories(entry)
    if undeclared:
        notes.append("掃描發現未登錄之類別：" + "、".join(undeclared))
    if not entry.categories and any(e.count for e in entry.entities):
        notes.append("登錄為無個資，但掃描發現個人資料")
    missing = inv.missing_fields(entry)
    if missing:
        notes.append("待補填：" + "、".join(missing))
    return "\n".join(notes)


def _entity_names() -> dict[str, str]:
    """zh-TW names of the entity types, from the recognizer catalog (國民身分證統一編號 …)."""
    from gezi.pii.registry import get_registry

    names: dict[str, str] = {}
    for rec in get_registry().recognizers:  # an entity's first recognizer names it
        names.setdefault(rec.entity, rec.spec.name.zh)
    return names


def _location(entry: PdFile) -> str:
    """存放位置, and on a second line what the scans of a directory leave out."""
    if not entry.exclude:
        return entry.location
    return f"{entry.location}\n排除（不掃描）：{'、'.join(entry.exclude)}"


def _row(n: int, entry: PdFile, roc: bool, names: dict[str, str]) -> list:
    detected = "\n".join(f"{names.get(e.entity, e.entity)}（{e.category or '未對應類別'}）：{e.count:,}"
                         for e in entry.entities if e.count)
    return [n, entry.name, entry.owner_unit or "", _location(entry),
            LOCATION_KIND_ZH.get(entry.location_kind, entry.location_kind),
            _codes(entry.purposes), _codes(entry.categories) or "無個資", _basis(entry),
            entry.records if entry.records is not None else "", entry.retention or "",
            entry.recipients or "", entry.cross_border or "", entry.vendor or "", detected,
            _day(entry.first_seen, roc), _day(entry.last_scanned_at, roc), _todo(entry)]


def _lines(value: object, width: int) -> int:
    """Printed lines of a wrapped cell: CJK characters count twice the width of ASCII."""
    if value is None or value == "":
        return 1
    total = 0
    for line in str(value).split("\n"):
        chars = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)
        total += max(1, -(-chars // max(width - 2, 1)))  # cell padding and font metrics
    return total


def _size_row(ws, row: int, values: list, widths: list[int]) -> None:
    """openpyxl cannot auto-fit: size a row for its longest wrapped cell, so a printed copy
    shows every line."""
    lines = max(_lines(v, w) for v, w in zip(values, widths, strict=True))
    ws.row_dimensions[row].height = LINE_POINTS * lines


def _legend(wb: Workbook) -> None:
    """Second sheet: where the codes come from and how complete the shipped lists are."""
    ws = wb.create_sheet("代碼來源")
    ws.append(["代碼表", "版本", "來源", "收錄狀況"])
    cats = load_catalogs()
    for list_id in (inv.PURPOSES_LIST, inv.CATEGORIES_LIST):
        cl = cats.codelist(list_id)
        state = "完整" if cl.complete else (f"未完整收錄（{len(cl.codes)}/{cl.expected_count}），"
                                             "未收錄者以文字記載")
        ws.append([cl.name.zh, cl.version, cl.source.citation, state])
    bases = inv.legal_bases_catalog()
    ws.append([bases.name.zh, bases.version, bases.source.citation, "完整"])
    names = _entity_names()
    ws.append(["個資種類與個人資料類別對應", "", f"gezi {inv.ENTITY_CATEGORIES_FILE}",
               "未對應類別者：" + "、".join(names.get(e, e) for e, c in
                                          inv.entity_categories().items() if c is None)])
    widths = [30, 12, 60, 50]
    for col, width in zip("ABCD", widths, strict=True):
        ws.column_dimensions[col].width = width
    for n, row in enumerate(ws.iter_rows(), start=1):
        for cell in row:
            cell.alignment = WRAP
        _size_row(ws, n, [c.value for c in row], widths)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def export_xlsx(entries: list[PdFile], org: Organization, path: Path, *, roc: bool = False,
                when: dt.datetime | None = None) -> Path:
    """Write the register of personal-data files to an .xlsx file and return its path."""
    if path.suffix.lower() != ".xlsx":
        raise GeziError(f"輸出檔須為 .xlsx output must be an .xlsx file: {path}")
    when = when or now_utc()
    wb = Workbook()
    ws = wb.active
    ws.title = "個人資料檔案清冊"
    ws.append([f"{org.name} 個人資料檔案清冊"])
    ws.append([f"統一編號：{org.ubn}　製表日期：{_day(when, roc)}　共 {len(entries)} 筆個資檔案"])
    ws.append([])
    ws.append([h for h, _ in COLUMNS])
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))
    for n, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
        cell = ws.cell(row=4, column=n)
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, WRAP
    names = _entity_names()
    for n, entry in enumerate(entries, start=1):
        values = _row(n, entry, roc, names)
        ws.append(values)
        for cell in ws[ws.max_row]:
            cell.alignment = WRAP
        _size_row(ws, ws.max_row, values, [w for _, w in COLUMNS])
    ws.freeze_panes = "C5"
    # Printed for an inspection: A3 landscape, all columns on one page width, header repeated.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    ws.auto_filter.ref = f"A4:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 4)}"
    _legend(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        wb.save(path)
    except OSError as exc:
        raise GeziError(f"無法寫入 cannot write {path}: {exc.strerror}") from None
    return path
