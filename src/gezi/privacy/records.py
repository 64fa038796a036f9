"""Records and evidence (紀錄與證據留存): which of the record kinds of seed 000 §十 have no
evidence in a recent window, so a 個資管理人員 sees the gaps before an inspector does.

The record kinds are the evidence kinds catalogued from seed 000 §十 (their source citation says
so); retention comes with each kind. An entry counts on its effective date, or on the day it was
added when it has none.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_catalogs
from gezi.catalog.schema import EvidenceKind
from gezi.compliance.models import Evidence
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc
from gezi.org.models import Organization
from gezi.privacy import optout, requests, transfers, vendors
from gezi.privacy.vendors import add_months
from gezi.reports.xlsx import add_sheet, new_workbook, save

# Kinds whose source cites seed 000 §十 are the twelve record kinds of the e-commerce plan.
SECTION_MARK = "seed 000 §十"
REQUEST_STATUS_ZH = {"open": "處理中", "closed": "已結案"}
VENDOR_STATUS_ZH = {"active": "委託中", "terminated": "已終止"}


def record_kinds(all_kinds: bool = False) -> list[EvidenceKind]:
    """The seed 000 §十 record kinds in catalog order (every catalogued kind with ``all_kinds``)."""
    kinds = [k for cat in load_catalogs().evidence_kinds.values() for k in cat.kinds]
    if all_kinds:
        return kinds
    return [k for k in kinds if SECTION_MARK in k.source.citation]


def entry_day(ev: Evidence) -> dt.date:
    """The day an evidence entry counts on: its effective date, else the Taipei day it was added."""
    return ev.effective_date or as_utc(ev.added_at).astimezone(TAIPEI).date()


def gaps(session: Session, org: Organization, on: dt.date, months: int = 12,
         all_kinds: bool = False) -> dict[str, Any]:
    """Each record kind with its latest entry in the window ``(on − months, on]``; kinds with none
    are gaps."""
    if months <= 0:
        raise GeziError("--months 須為正整數 must be a positive number")
    since = add_months(on, -months)
    kinds = record_kinds(all_kinds)
    latest: dict[str, tuple[dt.date, int]] = {}
    total: dict[str, int] = {}
    rows = session.scalars(sa.select(Evidence).where(
        Evidence.org_id == org.id, Evidence.kind.in_([k.code for k in kinds])))
    for ev in rows:
        day = entry_day(ev)
        if not since < day <= on:
            continue
        total[ev.kind] = total.get(ev.kind, 0) + 1
        if ev.kind not in latest or day > latest[ev.kind][0]:
            latest[ev.kind] = (day, ev.id)
    out = []
    for k in kinds:
        last = latest.get(k.code)
        out.append({"code": k.code, "name": k.name.zh, "retention_years": k.retention_years,
                    "source": k.source.citation, "entries": total.get(k.code, 0),
                    "latest": last[0] if last else None, "latest_evidence_id": last[1] if last else None,
                    "gap": last is None})
    return {"org": org.name, "on": on, "since": since, "months": months,
            "gaps": sum(1 for r in out if r["gap"]), "kinds": out}


def _local(value: Any) -> Any:
    """Datetimes as Asia/Taipei wall time for a spreadsheet cell (Excel has no time zones)."""
    if isinstance(value, dt.datetime):
        return as_utc(value).astimezone(TAIPEI).replace(tzinfo=None)
    return value


def export_workbook(session: Session, org: Organization, path: Path, on: dt.date, months: int = 12) -> Path:
    """One workbook of the privacy registers for an inspector: requests, opt-outs (masked),
    vendors, transfers and the record gaps. Times are Asia/Taipei; no raw personal data."""
    wb = new_workbook()
    rules = requests.rules()
    reqs = [requests.request_dict(r) for r in requests.list_requests(session, org, include_closed=True)]
    add_sheet(wb, "當事人權利行使", ["編號", "類型", "當事人", "聯絡方式", "收件時間", "處理期限", "依據", "身分確認",
                                 "延長原因", "狀態", "決定", "理由", "費用", "結案時間", "逾期"],
              [[d["id"], d["type_zh"], d["subject"], d["contact"], _local(d["received_at"]), _local(d["due"]),
                d["source"], d["identity_method"], d["extension_reason"], REQUEST_STATUS_ZH[d["status"]],
                rules.decision(d["decision"]).name.zh if d["decision"] else None,
                d["decision_reason"], d["fee"], _local(d["closed_at"]), "是" if d["overdue"] else ""] for d in reqs])
    add_sheet(wb, "拒絕行銷", ["類型", "識別碼（遮罩）", "管道", "表示拒絕時間", "來源"],
              [[r.id_type, r.masked, optout.CHANNEL_ZH[r.channel], _local(r.since), r.source]
               for r in optout.list_optouts(session, org)])
    rows = []
    for v in vendors.list_vendors(session, org):
        st = vendors.vendor_status(session, v, on)
        rows.append([st["name"], st["service"], st["contract_start"], st["contract_end"],
                     [f"{c['name']}：{vendors.STATE_ZH[c['state']]}" for c in st["checklist"]],
                     [f"{c['standard']} {c['valid_until']}" for c in st["certifications"]],
                     st["reviews"][-1]["reviewed_on"] if st["reviews"] else None, st["next_review_due"],
                     vendors.DECISION_ZH[st["selection"][-1]["decision"]] if st["selection"] else "缺",
                     VENDOR_STATUS_ZH[st["status"]]])
    add_sheet(wb, "受託者", ["名稱", "委託範圍", "契約起日", "契約迄日", "監督項目", "驗證", "最近確認", "下次確認",
                          "選商評估", "狀態"], rows)
    add_sheet(wb, "國際傳輸", ["編號", "個資檔案", "目的地", "接收者", "原因", "依據", "方法", "風險分析", "開始"],
              [[t.id, t.inventory_ref, t.destination, t.recipient, t.purpose, t.legal_basis, t.method,
                t.risk_analysis, t.started_on] for t in transfers.list_transfers(session, org)])
    add_sheet(wb, "國際傳輸評估", ["編號", "傳輸", "類型", "版本", "結果", "理由", "評估者", "時間"],
              [[a.id, a.transfer_id, a.regime, a.rule_version, a.result, a.reasoning, a.assessed_by,
                _local(a.assessed_at)] for a in transfers.assessments_of(session, org)])
    doc = gaps(session, org, on, months)
    add_sheet(wb, "紀錄缺口", ["類型", "名稱", "保存年限", f"近{months}個月筆數", "最近一筆", "缺口"],
              [[k["code"], k["name"], k["retention_years"], k["entries"], k["latest"], "缺" if k["gap"] else ""]
               for k in doc["kinds"]])
    return save(wb, path)
