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

# (header, column width)
COLUMNS = [
    ("編號", 6), ("個資檔案名稱", 22), ("保有單位", 14), ("存放位置", 36), ("位置類型", 10),
    ("特定目的（代碼）", 30), ("個人資料類別（代碼）", 30), ("蒐集方式/法律依據", 36), ("筆數", 10),
    ("保存期限", 14), ("利用對象", 18), ("國際傳輸", 16), ("委外廠商", 16),
    ("掃描偵測之個資種類（數量）", 36), ("首次發現日", 14), ("最後盤點日", 14), ("待確認事項", 36),
]
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


def _row(n: int, entry: PdFile, roc: bool) -> list:
    detected = "\n".join(f"{e.entity}（{e.category or '未對應類別'}）：{e.count}"
                         for e in entry.entities if e.count)
    return [n, entry.name, entry.owner_unit or "", entry.location,
            LOCATION_KIND_ZH.get(entry.location_kind, entry.location_kind),
            _codes(entry.purposes), _codes(entry.categories) or "無個資", _basis(entry),
            entry.records if entry.records is not None else "", entry.retention or "",
            entry.recipients or "", entry.cross_border or "", entry.vendor or "", detected,
            _day(entry.first_seen, roc), _day(entry.last_scanned_at, roc), _todo(entry)]


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
    ws.append([bases.id, bases.version, bases.source.citation, "完整"])
    ws.append(["個資種類與類別對應", "", str(inv.ENTITY_CATEGORIES_FILE.name),
               "未對應類別者：" + "、".join(e for e, c in inv.entity_categories().items() if c is None)])
    for col, width in zip("ABCD", (24, 12, 70, 50), strict=True):
        ws.column_dimensions[col].width = width
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL


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
    for n, entry in enumerate(entries, start=1):
        ws.append(_row(n, entry, roc))
        for cell in ws[ws.max_row]:
            cell.alignment = WRAP
    ws.freeze_panes = "C5"
    ws.auto_filter.ref = f"A4:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 4)}"
    _legend(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        wb.save(path)
    except OSError as exc:
        raise GeziError(f"無法寫入 cannot write {path}: {exc.strerror}") from None
    return path
