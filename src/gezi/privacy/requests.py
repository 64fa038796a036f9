"""Data-subject requests (當事人權利行使, PDPA Art 3) handled on the Art 13 clock.

The due moment comes from the legal-clock catalog (``gezi.privacy.clocks``); the other handling
rules (fees, which decisions need a reason or an identity check, the extension) come from
``catalog/data/privacy/request-rules.yaml``. The subject and contact are kept only masked and as
keyed digests (``gezi.privacy.optout.identify``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_data
from gezi.catalog.schema import LText, Source, Status, Strict
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.compliance.findings import upsert_finding
from gezi.compliance.models import Evidence
from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import TAIPEI, as_utc, iso, now_utc, roc_date
from gezi.org.models import Organization
from gezi.pii.masking import partial
from gezi.privacy.clocks import REQUEST_TYPES, request_deadline, taipei_day
from gezi.privacy.ops_models import DataSubjectRequest, fits_int
from gezi.privacy.optout import Identifier, digest, identify

RULES_FILE = "privacy/request-rules.yaml"
EVIDENCE_KIND = "data_subject_request"
TARGET = "privacy_request"
COUNTING_ZH = {"calendar": "日曆天", "business": "工作天"}


# --- rules (data) ----------------------------------------------------------------------------

class TypeRule(Strict):
    """A request type and its name."""

    code: Literal[REQUEST_TYPES]  # type: ignore[valid-type]
    name: LText
    source: Source


class FeeRule(Strict):
    """PDPA Art 14: which request types may be charged the necessary cost."""

    allowed_for: list[str]
    source: Source
    notice: LText
    notice_source: Source


class DecisionRule(Strict):
    """A decision and what it needs before it can be recorded."""

    code: Literal["granted", "partially", "refused"]
    name: LText
    reason_required: bool
    identity_required: bool


class ExtensionRule(Strict):
    """How an extension is granted and what its notice is called."""

    reason_required: bool
    before_due_only: bool
    notice_title: LText
    source: Source


class RequestRules(Strict):
    """Schema of request-rules.yaml."""

    schema_: Literal["gezi.request-rules/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    status: Status
    source: Source
    types: list[TypeRule]
    fees: FeeRule
    decisions: list[DecisionRule]
    decisions_source: Source
    extension: ExtensionRule

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def type_name(self, code: str) -> str:
        """zh-TW name of a request type."""
        return next((t.name.zh for t in self.types if t.code == code), code)

    def decision(self, code: str) -> DecisionRule:
        """The rule of a decision, or a one-line error."""
        for d in self.decisions:
            if d.code == code:
                return d
        known = ", ".join(d.code for d in self.decisions)
        raise GeziError(f"未知的決定 unknown decision {code!r}; use {known}")


def rules() -> RequestRules:
    """The request-handling rules (shipped, or replaced via GEZI_CATALOG_DIR), validated."""
    return load_data(RULES_FILE, RequestRules)


# --- identifiers -----------------------------------------------------------------------------

def subject_digest(settings: Settings, subject: str) -> str:
    """Keyed digest of a subject's name, to find their other requests. The name is NFKC-folded,
    case-folded and stripped of all spaces, so 王小明, 王 小明 (full-width space) and ＷＡＮＧ／wang
    find each other; a rare false match only shows one more request to the officer."""
    if not subject.strip():
        raise GeziError("--subject 不可空白 must name the data subject")
    return digest(settings, "subject", "".join(unicodedata.normalize("NFKC", subject).casefold().split()))


def _contact(settings: Settings, contact: str) -> Identifier:
    if not contact.strip():
        raise GeziError("--contact 不可空白 give an e-mail or phone, or leave the option out")
    kind = "email" if "@" in unicodedata.normalize("NFKC", contact) else "phone"  # ＠ typed full-width
    return identify(settings, kind, contact)


# --- service ---------------------------------------------------------------------------------

def new_request(session: Session, settings: Settings, org: Organization, *, request_type: str,
                received_at: dt.datetime, subject: str, actor: str, contact: str | None = None,
                channel: str | None = None, now: dt.datetime | None = None) -> DataSubjectRequest:
    """Register a request; its due moment comes from the clock that binds on the day received."""
    if not subject.strip():
        raise GeziError("--subject 不可空白 must name the data subject")
    if as_utc(received_at) > (now or now_utc()) + dt.timedelta(minutes=5):
        raise GeziError(f"收件時間在未來 --received is in the future: {iso(received_at)}")
    deadline = request_deadline(request_type, received_at, extended=False)
    norm_subject = " ".join(subject.split())
    contact_id = _contact(settings, contact) if contact is not None else None
    req = DataSubjectRequest(
        org_id=org.id, request_type=request_type, channel=(channel or "").strip() or None,
        subject_masked=partial("PERSON_NAME", norm_subject),
        subject_digest=subject_digest(settings, norm_subject),
        contact_masked=contact_id.masked if contact_id else None,
        contact_digest=contact_id.digest if contact_id else None,
        received_at=as_utc(received_at), due_at=deadline.due, clock_id=deadline.clock_id,
        clock_source=deadline.source, counting=deadline.calendar, created_by=actor)
    session.add(req)
    session.flush()
    return req


def get_request(session: Session, org: Organization, request_id: int) -> DataSubjectRequest:
    """A request of the organization by id."""
    req = session.get(DataSubjectRequest, request_id) if fits_int(request_id) else None
    if req is None or req.org_id != org.id:
        raise GeziError(f"找不到請求 no request #{request_id}")
    return req


def _lock(session: Session, req: DataSubjectRequest) -> None:
    """Hold the request's row until the transaction ends, then read it afresh.

    Two ``extend`` (or ``close``, or ``verify-identity``) commands at once both read the row
    unchanged; without a lock both would pass the checks and extend twice. A no-op UPDATE is the one lock both databases
    take: PostgreSQL's row lock (the second transaction waits, then reads the first one's
    commit; a SELECT … FOR UPDATE would do the same there but is ignored by SQLite) and SQLite's
    database write lock.
    """
    t = DataSubjectRequest.__table__
    session.flush()  # the refresh below would drop changes not yet written
    session.execute(t.update().where(t.c.id == req.id).values(status=t.c.status))
    session.refresh(req)


def _open(req: DataSubjectRequest) -> None:
    if req.status != "open":
        raise GeziError(f"請求 #{req.id} 已結案 request is already closed")


def verify_identity(session: Session, req: DataSubjectRequest, method: str, actor: str,
                    at: dt.datetime | None = None) -> DataSubjectRequest:
    """Record how the requester was confirmed to be the data subject or an authorized agent.

    Once: the first record is the check a grant relies on (seed 000 五、9(2)) and is not
    overwritten; two commands at once are serialized by the row lock, and the second is refused.
    """
    if not method.strip():
        raise GeziError("--method 不可空白 say how identity was verified")
    _lock(session, req)
    _open(req)
    if req.identity_verified_at is not None:
        raise GeziError(f"請求 #{req.id} 已於 {iso(req.identity_verified_at)} 由 {req.identity_verified_by} "
                        "完成身分確認 identity was already verified")
    req.identity_method = method.strip()
    req.identity_verified_at = as_utc(at or now_utc())
    req.identity_verified_by = actor
    session.flush()
    return req


def extend_request(session: Session, settings: Settings, org: Organization,
                   req: DataSubjectRequest, reason: str, actor: str,
                   now: dt.datetime | None = None) -> tuple[str, list[Evidence]]:
    """Extend once, with a reason, while the period runs; the written notice (text and DOCX) is
    stored as evidence of the request. Returns the notice text and the evidence rows."""
    rule = rules().extension
    now = now or now_utc()
    _lock(session, req)
    _open(req)
    if req.extended:
        raise GeziError(f"請求 #{req.id} 已延長過一次 the period was already extended once")
    if rule.reason_required and not reason.strip():
        raise GeziError("--reason 不可空白 an extension needs a written reason")
    if rule.before_due_only and as_utc(now) > as_utc(req.due_at):
        raise GeziError(f"已逾處理期限 {iso(req.due_at)}，不得延長 the period has already run out")
    old_due = as_utc(req.due_at)
    deadline = request_deadline(req.request_type, req.received_at, extended=True,
                                on=taipei_day(req.received_at))
    req.extended, req.extension_reason, req.extended_at = True, reason.strip(), as_utc(now)
    req.due_at = deadline.due
    session.flush()
    text = extension_notice_text(org, req, old_due, deadline.extend_days, now)
    evidence = _store_notice(session, settings, org, req, text, actor, now)
    return text, evidence


def extension_notice_text(org: Organization, req: DataSubjectRequest, old_due: dt.datetime,
                          extend_days: int, now: dt.datetime) -> str:
    """The written notice of extension (zh-TW, ROC dates) sent to the requester."""
    r = rules()
    new_due = as_utc(req.due_at).astimezone(TAIPEI)
    lines = [
        r.extension.notice_title.zh,
        "",
        f"受文者：{req.subject_masked} 君",
        f"案號：第 {req.id} 號（{r.type_name(req.request_type)}）",
        "",
        f"本公司（{org.name}，統一編號 {org.ubn}）於{roc_date(req.received_at)}收到台端依"
        f"個人資料保護法第3條請求{r.type_name(req.request_type)}之申請。",
        f"依{req.clock_source}，本公司原應於{roc_date(old_due)}前為准駁之決定；"
        f"因有下列必要原因，延長處理期限 {extend_days} 日，並以書面通知台端：",
        "",
        f"延長原因：{req.extension_reason}",
        f"延長後處理期限：{roc_date(new_due)} {new_due:%H:%M}（臺北時間）前",
        "",
        "如有疑問，請與本公司個人資料保護聯絡窗口聯繫。",
        "",
        f"{org.name} 敬上",
        f"中華民國{roc_date(now)}",
    ]
    return "\n".join(lines) + "\n"


def _docx(text: str, path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Microsoft JhengHei"
    style.font.size = Pt(12)
    # East Asian text uses the eastAsia font slot, which python-docx does not set by itself.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Microsoft JhengHei")
    title, *body = text.rstrip("\n").split("\n")
    doc.add_heading(title, level=1)
    for line in body:
        doc.add_paragraph(line)
    doc.save(str(path))


def _store_notice(session: Session, settings: Settings, org: Organization,
                  req: DataSubjectRequest, text: str, actor: str,
                  now: dt.datetime) -> list[Evidence]:
    stamp = as_utc(now).astimezone(TAIPEI).strftime("%Y%m%d-%H%M%S")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / f"request-{req.id}-extension-{stamp}"
        txt, docx = base.with_suffix(".txt"), base.with_suffix(".docx")
        txt.write_text(text, encoding="utf-8")
        _docx(text, docx)
        for path in (txt, docx):
            ev = add_evidence(session, settings, org_id=org.id, path=path, kind=EVIDENCE_KIND,
                              actor=actor, title=f"延長處理期限通知 request #{req.id}",
                              effective_date=taipei_day(now))
            link_evidence(session, ev, TARGET, str(req.id))
            out.append(ev)
    return out


def close_request(session: Session, settings: Settings, org: Organization,
                  req: DataSubjectRequest, decision: str, reason: str | None, actor: str,
                  fee: int | None = None, now: dt.datetime | None = None) -> Evidence:
    """Record the decision; the handling record is kept as evidence of the request."""
    r = rules()
    rule = r.decision(decision)
    now = now or now_utc()
    _lock(session, req)
    _open(req)
    reason = (reason or "").strip() or None
    if rule.reason_required and not reason:
        raise GeziError(f"決定為 {rule.name.zh} 時須載明理由 --reason is required for {decision}")
    if rule.identity_required and req.identity_verified_at is None:
        raise GeziError(f"請先確認當事人身分 verify identity first: "
                        f"`gezi requests verify-identity {req.id} --method …`")
    if fee is not None:
        if fee < 0:
            raise GeziError("--fee 不可為負數 must not be negative")
        if not fits_int(fee):
            raise GeziError(f"--fee 金額過大 too large: NT${fee:,}")
        if fee and req.request_type not in r.fees.allowed_for:
            raise GeziError(f"{r.type_name(req.request_type)} 不得收費 no fee may be charged for "
                            f"{req.request_type} ({r.fees.source.citation})")
    req.status, req.decision, req.decision_reason = "closed", decision, reason
    req.fee, req.closed_at = fee, as_utc(now)
    session.flush()
    return _store_record(session, settings, org, req, actor, now)


def handling_record(req: DataSubjectRequest, now: dt.datetime) -> str:
    """The record of the request and its handling (seed 000 §十 第3款)."""
    r = rules()
    on_time = as_utc(req.closed_at or now) <= as_utc(req.due_at)
    rows = [
        ("案號", str(req.id)),
        ("請求類型", f"{r.type_name(req.request_type)} ({req.request_type})"),
        ("當事人", req.subject_masked),
        ("聯絡方式", req.contact_masked or "—"),
        ("受理管道", req.channel or "—"),
        ("收件時間", iso(req.received_at)),
        ("處理期限", f"{iso(req.due_at)}（{req.clock_source}；{COUNTING_ZH.get(req.counting, req.counting)}）"),
        ("身分確認", f"{req.identity_method} / {iso(req.identity_verified_at)} / "
                     f"{req.identity_verified_by}" if req.identity_verified_at else "未確認"),
        ("延長", f"是：{req.extension_reason}（{iso(req.extended_at)}）" if req.extended else "否"),
        ("決定", r.decision(req.decision).name.zh if req.decision else "—"),
        ("理由", req.decision_reason or "—"),
        ("費用", f"NT${req.fee}" if req.fee is not None else "—"),
        ("結案時間", iso(req.closed_at)),
        ("是否於期限內", "是" if on_time else "否（逾期）"),
    ]
    return "當事人權利行使處理紀錄\n\n" + "\n".join(f"{k}：{v}" for k, v in rows) + "\n"


def _store_record(session: Session, settings: Settings, org: Organization,
                  req: DataSubjectRequest, actor: str, now: dt.datetime) -> Evidence:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"request-{req.id}-record.txt"
        path.write_text(handling_record(req, now), encoding="utf-8")
        ev = add_evidence(session, settings, org_id=org.id, path=path, kind=EVIDENCE_KIND,
                          actor=actor, title=f"當事人權利行使處理紀錄 request #{req.id}",
                          effective_date=taipei_day(now))
    link_evidence(session, ev, TARGET, str(req.id))
    return ev


def list_requests(session: Session, org: Organization, *, due_within: int | None = None,
                  include_closed: bool = False, now: dt.datetime | None = None,
                  subject_digest: str | None = None) -> list[DataSubjectRequest]:
    """Requests by due moment; ``due_within`` keeps open ones due by the end of the Taipei day N days
    from today (overdue too)."""
    now = now or now_utc()
    q = sa.select(DataSubjectRequest).where(DataSubjectRequest.org_id == org.id)
    if not include_closed or due_within is not None:
        q = q.where(DataSubjectRequest.status == "open")
    if due_within is not None:
        if due_within < 0:
            raise GeziError("--due-within 不可為負數 must not be negative")
        # Deadlines end at 23:59:59 Taipei, so "within 3 days" on Monday morning includes Thursday's.
        last_day = taipei_day(now) + dt.timedelta(days=due_within)
        horizon = dt.datetime.combine(last_day, dt.time(23, 59, 59), TAIPEI)
        q = q.where(DataSubjectRequest.due_at <= as_utc(horizon))
    if subject_digest:
        q = q.where(DataSubjectRequest.subject_digest == subject_digest)
    return list(session.scalars(q.order_by(DataSubjectRequest.due_at, DataSubjectRequest.id)))


def request_dict(req: DataSubjectRequest, now: dt.datetime | None = None) -> dict[str, Any]:
    """A request as a JSON-ready dict (datetimes print as ISO 8601 Asia/Taipei): masked subject,
    due moment and an overdue flag (open past due, or closed after due)."""
    now = as_utc(now or now_utc())
    due = as_utc(req.due_at)
    end = as_utc(req.closed_at) if req.closed_at else now
    return {
        "id": req.id, "type": req.request_type, "type_zh": rules().type_name(req.request_type),
        "channel": req.channel, "subject": req.subject_masked, "contact": req.contact_masked,
        "received_at": as_utc(req.received_at), "due": due, "counting": req.counting,
        "clock": req.clock_id, "source": req.clock_source, "status": req.status,
        "overdue": end > due,
        "seconds_left": int((due - now).total_seconds()) if req.status == "open" else None,
        "identity_verified": req.identity_verified_at is not None,
        "identity_method": req.identity_method, "extended": req.extended,
        "extension_reason": req.extension_reason, "decision": req.decision,
        "decision_reason": req.decision_reason, "fee": req.fee,
        "closed_at": as_utc(req.closed_at) if req.closed_at else None,
    }


def record_overdue_findings(session: Session, org: Organization, rows: list[DataSubjectRequest],
                            now: dt.datetime | None = None) -> int:
    """Open requests past their due moment become findings (one per request, deduplicated): a
    missed Art 13 deadline is what an inspector fines (PDPA Art 48)."""
    now = as_utc(now or now_utc())
    made = 0
    for req in rows:
        if req.status != "open" or as_utc(req.due_at) >= now:
            continue
        _, created = upsert_finding(
            session, org_id=org.id, source="requests", fingerprint=f"request:{req.id}:overdue",
            title=f"當事人請求 #{req.id}（{rules().type_name(req.request_type)}）已逾處理期限 {iso(req.due_at)}",
            severity="high", seen_at=now,
            detail={"request_id": req.id, "type": req.request_type, "due": iso(req.due_at),
                    "source": req.clock_source})
        made += created
    return made
