"""Vendor register (委外監督): the Enforcement Rules Art 8 supervision items as a checklist,
certifications with expiry, contract dates, periodic confirmations with reminders, and the
selection risk assessment (seed 003 系統開發及維護 2: 財務狀況、專業能力).

The items, review methods, selection criteria and certification standards are data
(``catalog/data/privacy/vendor-items.yaml``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_data
from gezi.catalog.schema import LText, Source, Status, Strict
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.compliance.findings import upsert_finding
from gezi.compliance.models import Evidence
from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import now_utc
from gezi.core.twid import ubn_is_valid
from gezi.org.models import Organization
from gezi.privacy.clocks import taipei_day
from gezi.privacy.ops_models import (
    Vendor,
    VendorCertification,
    VendorItemCheck,
    VendorReview,
    VendorSelection,
    fits_int,
)

CATALOG_FILE = "privacy/vendor-items.yaml"
ITEM_STATES = ("agreed", "missing", "na")
REVIEW_RESULTS = ("satisfactory", "issues", "unsatisfactory")
SELECTION_DECISIONS = ("selected", "conditional", "rejected")
STATE_ZH = {"agreed": "已約定", "missing": "未約定", "na": "不適用"}
DECISION_ZH = {"selected": "選定", "conditional": "有條件選定", "rejected": "不予選定"}
TARGET = "vendor"


# --- catalog (data) --------------------------------------------------------------------------

class Coded(Strict):
    """A coded entry with a name and an optional source."""

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name: LText
    source: Source | None = None


class ReviewRule(Strict):
    """ER Art 8 III: periodic confirmation, its methods and gezi's default interval."""

    requirement: LText
    source: Source
    default_interval_months: int = Field(gt=0)
    default_interval_source: Source
    methods: list[Coded] = Field(min_length=1)
    methods_source: Source


class SelectionRule(Strict):
    """The selection risk assessment and its criteria."""

    requirement: LText
    source: Source
    criteria: list[Coded] = Field(min_length=1)
    required: list[str] = Field(default_factory=list)
    ratings: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> SelectionRule:
        unknown = set(self.required) - {c.code for c in self.criteria}
        if unknown:
            raise ValueError(f"required names unknown criteria {sorted(unknown)}")
        return self


class VendorCatalog(Strict):
    """Schema of vendor-items.yaml."""

    schema_: Literal["gezi.vendor-items/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    status: Status
    source: Source
    supervision_items: list[Coded] = Field(min_length=1)
    review: ReviewRule
    selection: SelectionRule
    contract_clauses: list[Coded] = Field(default_factory=list)
    certifications: list[Coded] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def checklist(self) -> list[tuple[str, Coded]]:
        """Every checklist entry as (group, item): the ER Art 8 items, then contract clauses."""
        return ([("er_art8", i) for i in self.supervision_items]
                + [("contract", c) for c in self.contract_clauses])


def catalog() -> VendorCatalog:
    """The vendor-supervision catalog (shipped, or replaced via GEZI_CATALOG_DIR), validated."""
    return load_data(CATALOG_FILE, VendorCatalog)


def _codes(entries: list[Coded]) -> list[str]:
    return [e.code for e in entries]


def _one_of(value: str, allowed: list[str] | tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise GeziError(f"未知的{what} unknown {value!r}; use {', '.join(allowed)}")
    return value


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise GeziError(f"日期超出範圍 date out of range: {day.isoformat()} {months:+d} months")
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _not_future(day: dt.date, what: str) -> dt.date:
    """A review, selection or termination is recorded once it happened: a future date would push
    the next confirmation out and hide an overdue one."""
    if day > taipei_day(now_utc()):
        raise GeziError(f"{what}日期在未來 --on is in the future: {day.isoformat()}")
    return day


# --- service ---------------------------------------------------------------------------------

def add_vendor(session: Session, org: Organization, *, name: str, service: str, actor: str,
               ubn: str | None = None, contract_start: dt.date | None = None,
               contract_end: dt.date | None = None, review_months: int | None = None) -> Vendor:
    """Register a vendor; the review interval defaults to the catalog's."""
    name, service = name.strip(), service.strip()
    if not name or not service:
        raise GeziError("--name 與 --service 不可空白 name and service are required")
    if ubn is not None and not ubn_is_valid(ubn.strip()):
        raise GeziError(f"統一編號檢查碼錯誤 invalid 統一編號 (UBN): {ubn!r}")
    if contract_start and contract_end and contract_end < contract_start:
        raise GeziError("契約終止日早於起始日 --contract-end is before --contract-start")
    if review_months is not None and review_months <= 0:
        raise GeziError("--review-every 須為正整數 must be a positive number of months")
    if session.scalar(sa.select(Vendor).where(Vendor.org_id == org.id, Vendor.name == name)):
        raise GeziError(f"受託者已存在 vendor {name!r} already registered")
    vendor = Vendor(org_id=org.id, name=name, ubn=ubn.strip() if ubn else None, service=service,
                    contract_start=contract_start, contract_end=contract_end,
                    review_interval_months=review_months or catalog().review.default_interval_months,
                    created_by=actor)
    session.add(vendor)
    session.flush()
    return vendor


def get_vendor(session: Session, org: Organization, ref: str) -> Vendor:
    """A vendor of the organization by id or exact name."""
    q = sa.select(Vendor).where(Vendor.org_id == org.id)
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    by_id = ref.isdecimal() and fits_int(int(ref))
    vendor = session.scalar(q.where(Vendor.id == int(ref))) if by_id else None
    vendor = vendor or session.scalar(q.where(Vendor.name == ref))
    if vendor is None:
        raise GeziError(f"找不到受託者 no vendor {ref!r}")
    return vendor


def check_item(session: Session, vendor: Vendor, item_code: str, state: str, actor: str,
               clause: str | None = None, note: str | None = None) -> VendorItemCheck:
    """Record whether the contract covers a checklist item (the latest answer replaces the last;
    the audit trail keeps the history)."""
    _one_of(item_code, [i.code for _, i in catalog().checklist()], "監督項目 item")
    _one_of(state, ITEM_STATES, "狀態 state")
    row = session.scalar(sa.select(VendorItemCheck).where(
        VendorItemCheck.vendor_id == vendor.id, VendorItemCheck.item_code == item_code))
    if row is None:
        row = VendorItemCheck(vendor_id=vendor.id, item_code=item_code, state=state, checked_by=actor)
        session.add(row)
    row.state, row.clause, row.note, row.checked_by = state, clause, note, actor
    row.checked_at = now_utc()
    session.flush()
    return row


def add_certification(session: Session, vendor: Vendor, *, standard: str, valid_until: dt.date,
                      actor: str, certificate_no: str | None = None,
                      issuer: str | None = None) -> VendorCertification:
    """Record a certification the vendor holds and until when it is valid. Recording the same
    certificate (standard and number) again, as after a renewal that keeps its number, updates its
    expiry and issuer; the audit trail keeps the earlier values."""
    _one_of(standard, _codes(catalog().certifications), "驗證標準 standard")
    number = (certificate_no or "").strip()
    cert = session.scalar(sa.select(VendorCertification).where(
        VendorCertification.vendor_id == vendor.id, VendorCertification.standard == standard,
        VendorCertification.certificate_no == number))
    if cert is None:
        cert = VendorCertification(vendor_id=vendor.id, standard=standard, certificate_no=number)
        session.add(cert)
    cert.valid_until, cert.issuer, cert.added_by = valid_until, issuer or cert.issuer, actor
    session.flush()
    return cert


def _attach(session: Session, settings: Settings, org: Organization, vendor: Vendor, path: Path | None,
            kind: str, title: str, actor: str, day: dt.date) -> Evidence | None:
    if path is None:
        return None
    ev = add_evidence(session, settings, org_id=org.id, path=path, kind=kind, actor=actor, title=title,
                      effective_date=day)
    link_evidence(session, ev, TARGET, str(vendor.id))
    return ev


def add_review(session: Session, settings: Settings, org: Organization, vendor: Vendor, *,
               method: str, result: str, actor: str, reviewed_on: dt.date,
               note: str | None = None, file: Path | None = None) -> VendorReview:
    """Record a periodic confirmation (ER Art 8 III), optionally with its report as evidence."""
    _one_of(method, _codes(catalog().review.methods), "確認方式 method")
    _one_of(result, REVIEW_RESULTS, "結果 result")
    _not_future(reviewed_on, "定期確認")
    ev = _attach(session, settings, org, vendor, file, "other_record",
                 f"受託者定期確認 vendor review: {vendor.name}", actor, reviewed_on)
    review = VendorReview(vendor_id=vendor.id, reviewed_on=reviewed_on, method=method, result=result,
                          note=note, evidence_id=ev.id if ev else None, reviewer=actor)
    session.add(review)
    session.flush()
    return review


def add_selection(session: Session, settings: Settings, org: Organization, vendor: Vendor, *,
                  ratings: dict[str, str], decision: str, actor: str, assessed_on: dt.date,
                  notes: dict[str, str] | None = None, note: str | None = None,
                  file: Path | None = None) -> VendorSelection:
    """Record the selection risk assessment; the catalog's required criteria must be rated."""
    sel = catalog().selection
    _one_of(decision, SELECTION_DECISIONS, "決定 decision")
    _not_future(assessed_on, "選商評估")
    for code, rating in ratings.items():
        _one_of(code, _codes(sel.criteria), "評估項目 criterion")
        _one_of(rating, sel.ratings, "評等 rating")
    missing = [c for c in sel.required if c not in ratings]
    if missing:
        raise GeziError(f"缺少必要評估項目 required criteria not rated: {', '.join(missing)}")
    ev = _attach(session, settings, org, vendor, file, "vendor_assessment",
                 f"資訊服務供應商選定風險評估 vendor selection: {vendor.name}", actor, assessed_on)
    stored = {c: {"rating": r, "note": (notes or {}).get(c)} for c, r in ratings.items()}
    row = VendorSelection(vendor_id=vendor.id, assessed_on=assessed_on, ratings=stored, decision=decision,
                          note=note, evidence_id=ev.id if ev else None, assessor=actor)
    session.add(row)
    session.flush()
    return row


def terminate_vendor(session: Session, settings: Settings, org: Organization, vendor: Vendor, *,
                     terminated_on: dt.date, returned: bool | None, deleted: bool | None, actor: str,
                     note: str | None = None, file: Path | None = None) -> Vendor:
    """End the entrustment and record whether carriers were returned and stored data deleted
    (ER Art 8 I(6)); proof given with ``file`` is kept as deletion evidence. Running it again on a
    terminated vendor updates the confirmation (e.g. when the deletion proof arrives later) and
    keeps the first termination day; ``returned``/``deleted`` left as None keep the earlier answer
    (no answer yet counts as not confirmed)."""
    _not_future(terminated_on, "終止")
    ev = _attach(session, settings, org, vendor, file, "deletion_destruction",
                 f"委託終止：返還及刪除證明 termination proof: {vendor.name}", actor, terminated_on)
    vendor.status, vendor.terminated_on = "terminated", vendor.terminated_on or terminated_on
    vendor.data_returned = returned if returned is not None else bool(vendor.data_returned)
    vendor.data_deleted = deleted if deleted is not None else bool(vendor.data_deleted)
    vendor.termination_note = note or vendor.termination_note
    vendor.termination_evidence_id = ev.id if ev else vendor.termination_evidence_id
    session.flush()
    return vendor


def list_vendors(session: Session, org: Organization) -> list[Vendor]:
    """Vendors of an organization, by name."""
    return list(session.scalars(sa.select(Vendor).where(Vendor.org_id == org.id).order_by(Vendor.name)))


def _rows(session: Session, model: Any, vendor: Vendor, order: Any) -> list[Any]:
    return list(session.scalars(sa.select(model).where(model.vendor_id == vendor.id).order_by(order)))


def next_review_due(vendor: Vendor, last: VendorReview | None) -> dt.date:
    """When the next confirmation is due: one interval after the last one, or after the contract
    start (registration day when no contract date) if there has been none."""
    base = last.reviewed_on if last else (vendor.contract_start or taipei_day(vendor.created_at))
    return add_months(base, vendor.review_interval_months)


def vendor_status(session: Session, vendor: Vendor, today: dt.date) -> dict[str, Any]:
    """Everything an inspector asks about a vendor: checklist, certifications, reviews, selection."""
    cat = catalog()
    checks = {c.item_code: c for c in _rows(session, VendorItemCheck, vendor, VendorItemCheck.id)}
    checklist = []
    for group, item in cat.checklist():
        c = checks.get(item.code)
        checklist.append({"group": group, "code": item.code, "name": item.name.zh,
                          "source": item.source.citation if item.source else None,
                          "state": c.state if c else "missing", "answered": c is not None,
                          "clause": c.clause if c else None, "note": c.note if c else None})
    certs = [{"id": c.id, "standard": c.standard, "certificate_no": c.certificate_no or None,
              "issuer": c.issuer, "valid_until": c.valid_until, "expired": c.valid_until < today}
             for c in _rows(session, VendorCertification, vendor, VendorCertification.valid_until)]
    reviews = _rows(session, VendorReview, vendor, VendorReview.reviewed_on)
    selections = _rows(session, VendorSelection, vendor, VendorSelection.assessed_on)
    last = reviews[-1] if reviews else None
    due = next_review_due(vendor, last)
    return {
        "id": vendor.id, "name": vendor.name, "ubn": vendor.ubn, "service": vendor.service,
        "status": vendor.status, "contract_start": vendor.contract_start, "contract_end": vendor.contract_end,
        "termination": {"on": vendor.terminated_on, "data_returned": vendor.data_returned,
                        "data_deleted": vendor.data_deleted, "note": vendor.termination_note,
                        "evidence_id": vendor.termination_evidence_id} if vendor.terminated_on else None,
        "review_interval_months": vendor.review_interval_months,
        "checklist": checklist,
        "missing_items": [c["code"] for c in checklist if c["group"] == "er_art8" and c["state"] == "missing"],
        "certifications": certs,
        "reviews": [{"id": r.id, "reviewed_on": r.reviewed_on, "method": r.method, "result": r.result,
                     "note": r.note, "evidence_id": r.evidence_id, "reviewer": r.reviewer} for r in reviews],
        "next_review_due": due, "review_overdue": due < today,
        "selection": [{"id": s.id, "assessed_on": s.assessed_on, "ratings": s.ratings, "decision": s.decision,
                       "note": s.note, "evidence_id": s.evidence_id, "assessor": s.assessor} for s in selections],
    }


def reminders(session: Session, org: Organization, today: dt.date, within_days: int) -> list[dict[str, Any]]:
    """What needs doing for active vendors: reviews and certifications due or overdue within
    ``within_days``, contracts ending, missing ER Art 8 items and missing selection records."""
    if within_days < 0:
        raise GeziError("--within 不可為負數 must not be negative")
    horizon = today + dt.timedelta(days=within_days)
    out: list[dict[str, Any]] = []

    def add(vendor: Vendor, kind: str, due: dt.date | None, detail: str) -> None:
        out.append({"vendor_id": vendor.id, "vendor": vendor.name, "kind": kind, "due": due,
                    "overdue": due is not None and due < today, "detail": detail})

    for vendor in list_vendors(session, org):
        if vendor.status != "active":
            if not (vendor.data_returned and vendor.data_deleted):
                add(vendor, "termination", vendor.terminated_on,
                    "委託已終止，尚未確認返還載體及刪除資料 return/deletion not confirmed (ER Art 8 I(6))")
            continue
        st = vendor_status(session, vendor, today)
        if st["next_review_due"] <= horizon:
            add(vendor, "review", st["next_review_due"], "定期確認受託者執行狀況 periodic confirmation (ER Art 8 III)")
        latest: dict[str, dict[str, Any]] = {}
        for c in st["certifications"]:  # the latest certificate of each standard counts
            latest[c["standard"]] = c
        for c in latest.values():
            if c["valid_until"] <= horizon:
                add(vendor, "certification", c["valid_until"], f"驗證到期 certificate {c['standard']} expires")
        if vendor.contract_end and vendor.contract_end <= horizon:
            add(vendor, "contract_end", vendor.contract_end,
                "契約到期：返還載體並刪除資料 contract ends: return carriers, delete data (ER Art 8 I(6))")
        if st["missing_items"]:
            add(vendor, "checklist", None, "未約定監督事項 missing ER Art 8 items: " + ", ".join(st["missing_items"]))
        if not st["selection"]:
            add(vendor, "selection", None, "缺選商風險評估紀錄 no selection risk-assessment record (seed 003)")
    far = dt.date.max
    out.sort(key=lambda r: (r["due"] or far, r["vendor"], r["kind"]))
    return out


def record_findings(session: Session, org: Organization, items: list[dict[str, Any]]) -> int:
    """Turn overdue reminders into findings (deduplicated per vendor, kind and due date)."""
    made = 0
    for r in items:
        if not r["overdue"]:
            continue
        _, created = upsert_finding(
            session, org_id=org.id, source="vendors",
            fingerprint=f"vendor:{r['vendor_id']}:{r['kind']}:{r['due'].isoformat()}",
            title=f"受託者 {r['vendor']}：{r['detail']}（{r['due'].isoformat()} 到期）", severity="medium",
            detail={"vendor_id": r["vendor_id"], "kind": r["kind"], "due": r["due"].isoformat()})
        made += created
    return made
