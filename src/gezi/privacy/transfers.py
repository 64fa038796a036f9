"""Cross-border transfers (國際傳輸): a record per personal-data file and destination, and an
assessment helper that walks the indicators of a foreign regime (GDPR Art 3(2) per the EDPB's
guidelines, the CCPA business thresholds, APEC CBPR/PRP) and stores the result with its reasoning.

The indicators and thresholds are data (``catalog/data/privacy/transfer-indicators.yaml``). The
helper reports which indicators the facts meet; deciding that a foreign law applies is a person's
legal judgement, so the results say "review required", never "GDPR applies".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import phonenumbers
import sqlalchemy as sa
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_data
from gezi.catalog.schema import Dated, LText, Source, Status, Strict
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import iso, now_utc
from gezi.org.models import Organization
from gezi.pii.inventory_models import PdFile
from gezi.privacy.clocks import taipei_day
from gezi.privacy.ops_models import DataTransfer, TransferAssessment, fits_int

CATALOG_FILE = "privacy/transfer-indicators.yaml"
REGIMES = ("gdpr", "ccpa", "cbpr")
EVIDENCE_KIND = "transfer_to_third_party"
TARGET = "data_transfer"
DEST_RE = re.compile(r"^[A-Z]{2}$")


# --- catalog (data) --------------------------------------------------------------------------

class Question(Strict):
    """A yes/no or numeric fact the helper asks about."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    question: LText


class Adjusted(Strict):
    """A threshold value adjusted from a date (e.g. the CCPA's CPI adjustment)."""

    from_: dt.date = Field(alias="from")
    value: float
    verified: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Threshold(Strict):
    """One numeric threshold: fact ``id`` compared with ``op`` against ``value``."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    op: Literal["gt", "gte"]
    value: float
    adjusted: list[Adjusted] = Field(default_factory=list)
    label: LText
    max: float | None = None  # the largest meaningful answer (100 for a percentage)

    def value_on(self, day: dt.date) -> float:
        """The threshold in force on a day (the latest adjustment that started by then)."""
        current = self.value
        for adj in sorted(self.adjusted, key=lambda a: a.from_):
            if adj.from_ <= day:
                current = adj.value
        return current

    def met(self, fact: float, day: dt.date) -> bool:
        """Whether a fact meets the threshold on a day."""
        limit = self.value_on(day)
        return fact > limit if self.op == "gt" else fact >= limit


class CcpaVersion(Dated):
    """One version of the CCPA business definition."""

    id: str
    name: LText
    source: Source
    thresholds: list[Threshold] = Field(min_length=1)


class Ccpa(Strict):
    """The CCPA thresholds, versioned by effective dates."""

    name: LText
    precondition: Question
    versions: list[CcpaVersion] = Field(min_length=1)

    def version_on(self, day: dt.date) -> CcpaVersion:
        """The version whose dates cover a day (status describes today, dates decide the past)."""
        for v in self.versions:
            if (v.effective_from is None or v.effective_from <= day) and (
                    v.effective_to is None or day <= v.effective_to):
                return v
        raise GeziError(f"{day.isoformat()} 無適用之 CCPA 版本 no CCPA version covers this day")


class GdprArt32(Dated):
    """EDPB indicators for GDPR Art 3(2)(a) (offering) and (b) (monitoring)."""

    id: str
    name: LText
    source: Source
    offering_indicators: list[Question] = Field(min_length=1)
    monitoring_indicators: list[Question] = Field(min_length=1)


class Cbpr(Strict):
    """APEC CBPR/PRP: a dated list of participating economies and the recipient's status."""

    status: Status
    name: LText
    source: Source
    snapshot_date: dt.date
    participating_economies: list[str]
    facts: list[Question]


class TwPdpa(Strict):
    """PDPA Art 21 and the pre-transfer risk analysis."""

    status: Status
    requirement: LText
    source: Source
    restriction_grounds: list[LText]


class TransferCatalog(Strict):
    """Schema of transfer-indicators.yaml."""

    schema_: Literal["gezi.transfer-indicators/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    source: Source
    tw_pdpa: TwPdpa
    gdpr_art3_2: GdprArt32
    ccpa: Ccpa
    apec_cbpr: Cbpr

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def catalog() -> TransferCatalog:
    """The transfer-indicator catalog (shipped, or replaced via GEZI_CATALOG_DIR), validated."""
    return load_data(CATALOG_FILE, TransferCatalog)


def questions(regime: str, day: dt.date | None = None) -> list[dict[str, Any]]:
    """The facts the helper asks for a regime, in order, with their kind (bool or number)."""
    cat = catalog()
    if regime == "gdpr":
        g = cat.gdpr_art3_2
        return ([{"id": q.id, "kind": "bool", "group": "offering", "question": q.question.zh,
                  "en": q.question.en} for q in g.offering_indicators]
                + [{"id": q.id, "kind": "bool", "group": "monitoring", "question": q.question.zh,
                    "en": q.question.en} for q in g.monitoring_indicators])
    if regime == "ccpa":
        v = cat.ccpa.version_on(day or taipei_day(now_utc()))
        pre = cat.ccpa.precondition
        return ([{"id": pre.id, "kind": "bool", "group": "precondition", "question": pre.question.zh,
                  "en": pre.question.en}]
                + [{"id": t.id, "kind": "number", "group": "threshold", "question": t.label.zh,
                    "en": t.label.en, "op": t.op, "value": t.value_on(day or taipei_day(now_utc())), "max": t.max}
                   for t in v.thresholds])
    if regime == "cbpr":
        return [{"id": q.id, "kind": "bool", "group": "recipient", "question": q.question.zh,
                 "en": q.question.en} for q in cat.apec_cbpr.facts]
    raise GeziError(f"未知的評估類型 unknown regime {regime!r}; use {', '.join(REGIMES)}")


# --- answers ---------------------------------------------------------------------------------

_TRUE = {"y", "yes", "true", "1", "是", "有"}
_FALSE = {"n", "no", "false", "0", "否", "無"}


def parse_answers(regime: str, pairs: dict[str, str], day: dt.date) -> dict[str, Any]:
    """Typed answers from KEY=VALUE text; unknown keys and malformed values are errors."""
    qs = questions(regime, day)
    kinds, limits = {q["id"]: q["kind"] for q in qs}, {q["id"]: q.get("max") for q in qs}
    out: dict[str, Any] = {}
    for key, raw in pairs.items():
        if key not in kinds:
            raise GeziError(f"未知的指標 unknown fact {key!r} for {regime}; see `gezi transfers indicators "
                            f"--regime {regime}`")
        text = raw.strip().lower()
        if kinds[key] == "bool":
            if text not in _TRUE | _FALSE:
                raise GeziError(f"{key} 須為 yes/no must be yes or no, got {raw!r}")
            out[key] = text in _TRUE
        else:
            try:
                number = float(text.replace(",", "").replace("%", ""))
            except ValueError:
                raise GeziError(f"{key} 須為數字 must be a number, got {raw!r}") from None
            if not math.isfinite(number):  # nan/inf/1e400: no threshold comparison, and not JSON
                raise GeziError(f"{key} 須為有限數字 must be a finite number, got {raw!r}")
            if number < 0:
                raise GeziError(f"{key} 不可為負數 must not be negative")
            if limits[key] is not None and number > limits[key]:
                raise GeziError(f"{key} 不可大於 {limits[key]:g} must not exceed {limits[key]:g}, got {raw!r}")
            out[key] = number
    return out


# --- assessment ------------------------------------------------------------------------------

@dataclass
class Outcome:
    """The result of walking one regime's indicators, with the reasoning to store."""

    regime: str
    rule_version: str
    result: str
    reasoning: list[str] = field(default_factory=list)


def _assess_gdpr(answers: dict[str, Any]) -> Outcome:
    g = catalog().gdpr_art3_2
    out = Outcome("gdpr", g.id, "")
    groups = (("offering", "提供商品或服務 Art 3(2)(a)", g.offering_indicators),
              ("monitoring", "監控行為 Art 3(2)(b)", g.monitoring_indicators))
    met: dict[str, list[str]] = {}
    unanswered = 0
    for key, label, qs in groups:
        met[key] = [q.id for q in qs if answers.get(q.id) is True]
        unanswered += sum(1 for q in qs if q.id not in answers)
        for q in qs:
            if answers.get(q.id) is True:
                out.reasoning.append(f"符合 {label} 指標：{q.question.zh}")
    if met["offering"] or met["monitoring"]:
        out.result = "review_required"
        out.reasoning.append(f"有 {len(met['offering'])} 項提供商品服務指標、{len(met['monitoring'])} 項監控指標"
                             "成立；EDPB 指標須綜合考量，請由法務判斷是否適用 GDPR 第3條第2項。")
    elif unanswered:
        out.result = "incomplete"
        out.reasoning.append(f"尚有 {unanswered} 項指標未回答 unanswered indicators.")
    else:
        out.result = "no_indicator"
        out.reasoning.append("所有指標均不成立；依現有事實，未見以歐盟境內當事人為對象或監控其行為之跡象。")
    out.reasoning.append(f"依據 source: {g.source.citation}")
    return out


def _assess_ccpa(answers: dict[str, Any], day: dt.date) -> Outcome:
    c = catalog().ccpa
    v = c.version_on(day)
    out = Outcome("ccpa", v.id, "")
    pre = answers.get(c.precondition.id)
    met, unknown = [], []
    for t in v.thresholds:
        fact = answers.get(t.id)
        if fact is None:
            unknown.append(t.id)
            continue
        limit = t.value_on(day)
        hit = t.met(fact, day)
        sign = {"gt": ">", "gte": "≥"}[t.op]
        out.reasoning.append(f"{'符合' if hit else '未達'}：{t.label.zh}（申報 {fact:,.0f}；門檻 {sign} {limit:,.0f}）")
        if hit:
            met.append(t.id)
    if pre is False:
        out.result = "out_of_scope"
        out.reasoning.insert(0, "未於加州營業：CCPA 之「事業」以於加州營業為前提。")
    elif met and pre is True:
        out.result = "in_scope"
        out.reasoning.append("於加州營業且符合至少一項門檻：屬 CCPA 所稱事業（business）。")
    elif met:
        out.result = "incomplete"
        out.reasoning.append("符合門檻，但尚未確認是否於加州營業 does_business_in_ca unanswered.")
    elif unknown:
        out.result = "incomplete"
        out.reasoning.append(f"尚未回答 unanswered: {', '.join(unknown)}")
    else:
        out.result = "out_of_scope"
        out.reasoning.append(f"{len(v.thresholds)} 項門檻均未達：非 CCPA 所稱事業。")
    out.reasoning.append(f"版本 version {v.id} ({v.status}); 依據 source: {v.source.citation}")
    return out


def _assess_cbpr(answers: dict[str, Any], destination: str | None) -> Outcome:
    c = catalog().apec_cbpr
    out = Outcome("cbpr", f"apec-cbpr@{c.snapshot_date.isoformat()}", "")
    certified = [k for k in ("recipient_cbpr_certified", "recipient_prp_certified") if answers.get(k) is True]
    listed = destination in c.participating_economies if destination else None
    if destination:
        state = "列於" if listed else "未列於"
        out.reasoning.append(f"目的地 {destination} {state} {c.snapshot_date.isoformat()} 之 CBPR 參與經濟體名單。")
    if certified:
        out.result = "recipient_certified"
        out.reasoning.append("接收者已取得 " + "、".join(k.split("_")[1].upper() for k in certified)
                             + " 認證，可作為其保護水準之佐證。")
    elif listed:
        out.result = "participating_economy"
        out.reasoning.append("目的地為參與經濟體，但接收者未取得（或未回答）CBPR/PRP 認證。")
    elif destination is None:
        out.result = "incomplete"
        out.reasoning.append("未指定目的地 no destination given (--destination or --transfer).")
    else:
        out.result = "not_in_list"
        out.reasoning.append("名單為 2020 年之快照，之後之變動（Global CBPR Forum）未經查證，請自行確認。")
    out.reasoning.append(f"依據 source: {c.source.citation}")
    return out


def assess(regime: str, answers: dict[str, Any], day: dt.date, destination: str | None = None) -> Outcome:
    """Walk a regime's indicators with the given typed answers (see ``parse_answers``)."""
    if regime == "gdpr":
        return _assess_gdpr(answers)
    if regime == "ccpa":
        return _assess_ccpa(answers, day)
    if regime == "cbpr":
        return _assess_cbpr(answers, destination)
    raise GeziError(f"未知的評估類型 unknown regime {regime!r}; use {', '.join(REGIMES)}")


# --- transfers -------------------------------------------------------------------------------

def country_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 code (upper-cased), or a one-line error."""
    code = text.strip().upper()
    # The regions of the phonenumbers metadata are ISO 3166-1 alpha-2 codes shipped offline.
    if not DEST_RE.match(code) or code not in phonenumbers.SUPPORTED_REGIONS:
        raise GeziError(f"目的地須為 ISO 3166 兩碼國家或地區代碼 --destination must be a 2-letter country "
                        f"or region code, got {code!r}")
    return code


def _inventory_entry(session: Session, org: Organization, ref: str) -> PdFile | None:
    q = sa.select(PdFile).where(PdFile.org_id == org.id)
    if ref.isdecimal() and fits_int(int(ref)):  # not isdigit: "²" is a digit that int() refuses
        entry = session.scalar(q.where(PdFile.id == int(ref)))
        if entry is not None:
            return entry
    return session.scalar(q.where(PdFile.name == ref))


def record_transfer(session: Session, settings: Settings, org: Organization, *, inventory: str,
                    destination: str, recipient: str, purpose: str, actor: str,
                    data_categories: str | None = None, legal_basis: str | None = None,
                    method: str | None = None, safeguards: str | None = None,
                    risk_analysis: str | None = None, started_on: dt.date | None = None) -> DataTransfer:
    """Record a transfer of a personal-data file to a destination; the record (對象、依據、原因、
    方法、時間、地點, seed 000 §十 第1款) is also kept as evidence."""
    destination = country_code(destination)
    inventory, recipient, purpose = inventory.strip(), recipient.strip(), purpose.strip()
    if not inventory or not recipient or not purpose:
        raise GeziError("--inventory、--recipient、--purpose 不可空白 must not be empty")
    entry = _inventory_entry(session, org, inventory)
    row = DataTransfer(org_id=org.id, inventory_ref=entry.name if entry else inventory,
                       pd_file_id=entry.id if entry else None, destination=destination, recipient=recipient,
                       purpose=purpose, data_categories=data_categories, legal_basis=legal_basis, method=method,
                       safeguards=safeguards, risk_analysis=risk_analysis, started_on=started_on,
                       created_by=actor)
    session.add(row)
    session.flush()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"transfer-{row.id}.txt"
        path.write_text(transfer_record(row), encoding="utf-8")
        ev = add_evidence(session, settings, org_id=org.id, path=path, kind=EVIDENCE_KIND, actor=actor,
                          title=f"國際傳輸紀錄 transfer #{row.id} → {destination}",
                          effective_date=started_on or taipei_day(now_utc()))
    link_evidence(session, ev, TARGET, str(row.id))
    return row


def transfer_record(t: DataTransfer) -> str:
    """The written record of a transfer, as seed 000 §十 第1款 lists its contents."""
    rows = [("個資檔案", t.inventory_ref + (f"（清冊 #{t.pd_file_id}）" if t.pd_file_id else "（未列入清冊）")),
            ("對象 recipient", t.recipient), ("地點 destination", t.destination),
            ("原因 purpose", t.purpose), ("依據 legal basis", t.legal_basis or "—"),
            ("方法 method", t.method or "—"), ("時間 since", t.started_on.isoformat() if t.started_on else "—"),
            ("資料類別", t.data_categories or "—"), ("保護措施", t.safeguards or "—"),
            ("傳輸前影響及風險分析", t.risk_analysis or "未記錄 not recorded"),
            ("記錄者", t.created_by)]
    return "個人資料國際傳輸紀錄\n\n" + "\n".join(f"{k}：{v}" for k, v in rows) + "\n"


def get_transfer(session: Session, org: Organization, transfer_id: int) -> DataTransfer:
    """A transfer of the organization by id."""
    row = session.get(DataTransfer, transfer_id) if fits_int(transfer_id) else None
    if row is None or row.org_id != org.id:
        raise GeziError(f"找不到國際傳輸紀錄 no transfer #{transfer_id}")
    return row


def list_transfers(session: Session, org: Organization, inventory: str | None = None) -> list[DataTransfer]:
    """Transfers of an organization, optionally of one personal-data file (id or name)."""
    q = sa.select(DataTransfer).where(DataTransfer.org_id == org.id)
    if inventory is not None:
        inventory = inventory.strip()
        if not inventory:
            raise GeziError("--inventory 不可空白 name an inventory entry, or leave the option out")
        entry = _inventory_entry(session, org, inventory)
        q = q.where(DataTransfer.pd_file_id == entry.id) if entry else q.where(DataTransfer.inventory_ref == inventory)
    return list(session.scalars(q.order_by(DataTransfer.id)))


def save_assessment(session: Session, org: Organization, outcome: Outcome, answers: dict[str, Any],
                    actor: str, transfer: DataTransfer | None = None) -> TransferAssessment:
    """Store an assessment's answers, result and reasoning (on the audit trail)."""
    row = TransferAssessment(org_id=org.id, transfer_id=transfer.id if transfer else None, regime=outcome.regime,
                             rule_version=outcome.rule_version, answers=answers, result=outcome.result,
                             reasoning=outcome.reasoning, assessed_by=actor)
    session.add(row)
    session.flush()
    return row


def assessments_of(session: Session, org: Organization, transfer_id: int | None = None) -> list[TransferAssessment]:
    """Stored assessments, newest first."""
    q = sa.select(TransferAssessment).where(TransferAssessment.org_id == org.id)
    if transfer_id is not None:
        q = q.where(TransferAssessment.transfer_id == transfer_id)
    return list(session.scalars(q.order_by(TransferAssessment.id.desc())))


def transfer_dict(t: DataTransfer) -> dict[str, Any]:
    """A transfer as a JSON-ready dict."""
    return {"id": t.id, "inventory": t.inventory_ref, "pd_file_id": t.pd_file_id, "destination": t.destination,
            "recipient": t.recipient, "purpose": t.purpose, "data_categories": t.data_categories,
            "legal_basis": t.legal_basis, "method": t.method, "safeguards": t.safeguards,
            "risk_analysis": t.risk_analysis, "risk_analysis_recorded": bool(t.risk_analysis),
            "started_on": t.started_on, "created_by": t.created_by, "created_at": t.created_at}


def assessment_dict(a: TransferAssessment) -> dict[str, Any]:
    """An assessment as a JSON-ready dict."""
    return {"id": a.id, "transfer_id": a.transfer_id, "regime": a.regime, "rule_version": a.rule_version,
            "answers": a.answers, "result": a.result, "reasoning": a.reasoning, "assessed_by": a.assessed_by,
            "assessed_at": iso(a.assessed_at)}
