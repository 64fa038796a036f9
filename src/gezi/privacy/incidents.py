"""Incidents (個資事故): record one, derive its legal duties from the clock catalog, keep the
timeline of investigation, measures, contacts, notices and reports."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.compliance.findings import upsert_finding
from gezi.compliance.models import Finding
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc, iso, now_utc
from gezi.org.models import Organization
from gezi.privacy.clocks import incident_obligations
from gezi.privacy.incident_models import (
    EVENT_KINDS,
    INCIDENT_KINDS,
    Incident,
    IncidentDuty,
    IncidentEvent,
)

# Organization settings this module reads (gezi incidents settings writes them).
SETTING_CSMA = "csma_specific_agency"  # designated 特定非公務機關 under the CSMA
SETTING_ADVISORY = "incidents_show_advisory"  # list duties of rules not in force (default yes)

# Incident fields a user may set on `new` and change on `update`.
EDITABLE = ("title", "kind", "detected_at", "occurred_from", "occurred_to", "affected",
            "special_categories", "system_records", "major", "data_categories", "cause",
            "how_found", "investigator", "fraud_warning", "contact")
CONTACT_KEYS = ("phone", "email", "hours", "after_hours")
LENGTHS = {"title": 300, "how_found": 300, "investigator": 200}  # column sizes
MAX_COUNT = 10**15  # far above any real count, well inside a 64-bit column


def _check(values: dict[str, Any]) -> None:
    """Raise GeziError for impossible incident facts; nothing is written."""
    if "kind" in values and values["kind"] not in INCIDENT_KINDS:
        raise GeziError(f"未知的事故類型 unknown incident kind {values['kind']!r}; "
                        f"use {', '.join(INCIDENT_KINDS)}")
    for key in ("affected", "system_records"):
        if values.get(key) is not None and not 0 <= values[key] <= MAX_COUNT:
            raise GeziError(f"--{key.replace('_', '-')} 須介於 0 與 {MAX_COUNT:,} "
                            f"must not be negative or larger than {MAX_COUNT:,}")
    detected = values.get("detected_at")
    if detected is not None and as_utc(detected) > now_utc() + dt.timedelta(minutes=5):
        raise GeziError("--detected-at 不可晚於現在 the detection time is in the future")
    for key, limit in LENGTHS.items():
        if values.get(key) is not None and len(values[key]) > limit:
            raise GeziError(f"--{key.replace('_', '-')} 過長 longer than {limit} characters")
    if "title" in values and not str(values["title"]).strip():
        raise GeziError("--title 不可空白 must not be empty")
    bad = set(values.get("contact") or {}) - set(CONTACT_KEYS)
    if bad:
        raise GeziError(f"未知的聯絡欄位 unknown contact field(s) {sorted(bad)}")
    email = (values.get("contact") or {}).get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        # it is printed on the notice to every data subject: a typo must not get that far
        raise GeziError(f"--contact-email 格式錯誤 not an e-mail address: {email!r}")


def _check_period(incident: Incident) -> None:
    if incident.occurred_from and incident.occurred_to and \
            incident.occurred_to < incident.occurred_from:
        raise GeziError("--occurred-to 早於 --occurred-from the period ends before it starts")
    if incident.occurred_from and incident.detected_at and \
            incident.occurred_from > as_utc(incident.detected_at).astimezone(TAIPEI).date():
        raise GeziError("--occurred-from 晚於知悉日 the incident cannot start after it was detected "
                        "(--detected-at)")


def facts(org: Organization, incident: Incident) -> dict[str, Any]:
    """What the clock conditions test: the org profile, its settings and the incident facts."""
    settings = org.settings or {}
    return {
        **org.facts(),
        SETTING_CSMA: bool(settings.get(SETTING_CSMA, False)),
        "kind": incident.kind,
        # a security incident that exposes people's data is a personal-data incident as well
        "personal_data": incident.kind == "pd_breach" or incident.affected > 0
        or incident.special_categories,
        "affected": incident.affected,
        "special_categories": incident.special_categories,
        "system_records": incident.system_records,
        "major": incident.major,
    }


def refresh_duties(session: Session, org: Organization, incident: Incident) -> None:
    """Bring the incident's duties in line with the clock catalog and its current facts.

    Duties already met are kept as they are (they are the record of what was done); open duties
    that no longer apply (e.g. the affected count was corrected) are dropped.
    """
    advisory = bool((org.settings or {}).get(SETTING_ADVISORY, True))
    wanted = {o.id: o for o in incident_obligations(facts(org, incident), incident.detected_at,
                                                    include_advisory=advisory)}
    for duty in list(incident.duties):
        if duty.clock_id not in wanted and duty.done_at is None:
            incident.duties.remove(duty)
    have = {d.clock_id: d for d in incident.duties}
    for ob in wanted.values():
        duty = have.get(ob.id)
        if duty is None:
            duty = IncidentDuty(clock_id=ob.id)
            incident.duties.append(duty)
        duty.purpose, duty.description, duty.source = ob.purpose, ob.description, ob.source
        duty.status, duty.binding, duty.due, duty.caveat = ob.status, ob.binding, ob.due, ob.caveat
    session.flush()


def open_incident(session: Session, org: Organization, actor: str, **values: Any) -> Incident:
    """Record a new incident and its duties; ``values`` are fields of EDITABLE."""
    _check(values)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise GeziError(f"未知的欄位 unknown field(s) {sorted(unknown)}")
    values.setdefault("kind", "pd_breach")
    values.setdefault("affected", 0)
    incident = Incident(org_id=org.id, status="open", recipient_salt=secrets.token_hex(16),
                        special_categories=bool(values.pop("special_categories", False)),
                        data_categories=list(values.pop("data_categories", None) or []),
                        contact=dict(values.pop("contact", None) or {}), **values)
    _check_period(incident)
    session.add(incident)
    session.flush()
    incident.events.append(IncidentEvent(kind="update", text="建立事故紀錄 incident recorded",
                                         actor=actor, at=now_utc()))
    refresh_duties(session, org, incident)
    return incident


def get_incident(session: Session, org: Organization, incident_id: int) -> Incident:
    """The organization's incident with this id."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.org_id != org.id:
        raise GeziError(f"找不到事故 no incident {incident_id}")
    return incident


def list_incidents(session: Session, org: Organization) -> list[Incident]:
    """The organization's incidents, newest detection first."""
    return list(session.scalars(sa.select(Incident).where(Incident.org_id == org.id)
                                .order_by(Incident.detected_at.desc(), Incident.id.desc())))


def update_incident(session: Session, org: Organization, incident: Incident, actor: str,
                    **changes: Any) -> list[str]:
    """Change incident facts, note the change on the timeline and recompute the duties.

    Returns the names of the fields that changed. ``contact`` is merged key by key.
    """
    _check(changes)
    changed: list[str] = []
    for key, value in changes.items():
        if key not in EDITABLE:
            raise GeziError(f"未知的欄位 unknown field {key!r}")
        if key == "contact":
            value = {**(incident.contact or {}), **value}
        current = getattr(incident, key)
        if isinstance(current, dt.datetime):  # SQLite returns naive UTC
            current = as_utc(current)
        if current != value:
            setattr(incident, key, value)
            changed.append(key)
    _check_period(incident)
    if changed:
        incident.events.append(IncidentEvent(
            kind="update", text="更新欄位 updated: " + ", ".join(changed), actor=actor,
            at=now_utc()))
        refresh_duties(session, org, incident)
    return changed


def close_incident(session: Session, incident: Incident, actor: str, note: str) -> None:
    """Close an incident; binding duties still open are an error, so none is forgotten."""
    open_binding = [d.clock_id for d in incident.duties if d.binding and d.done_at is None]
    if open_binding:
        raise GeziError(f"尚有未完成之法定義務 binding duties still open: {', '.join(open_binding)}"
                        " (use `gezi incidents done`)")
    incident.status, incident.closed_at = "closed", now_utc()
    incident.events.append(IncidentEvent(kind="update", text=f"結案 closed: {note}", actor=actor,
                                         at=incident.closed_at))
    session.flush()


def _not_future(at: dt.datetime | None, option: str) -> None:
    # a record of what was done cannot be dated later than now (it would also hide lateness)
    if at is not None and as_utc(at) > now_utc() + dt.timedelta(minutes=5):
        raise GeziError(f"{option} 不可晚於現在 the time is in the future")


def add_event(session: Session, incident: Incident, kind: str, text: str, actor: str,
              at: dt.datetime | None = None) -> IncidentEvent:
    """Append a timeline entry (investigation, measure, contact, notice, report)."""
    if kind not in EVENT_KINDS:
        raise GeziError(f"未知的紀錄類型 unknown timeline kind {kind!r}; use {', '.join(EVENT_KINDS)}")
    if not text.strip():
        raise GeziError("--add 內容不可空白 the timeline text must not be empty")
    _not_future(at, "--at")
    event = IncidentEvent(kind=kind, text=text.strip(), actor=actor, at=at or now_utc())
    incident.events.append(event)
    session.flush()
    return event


def mark_done(session: Session, incident: Incident, clock_id: str, actor: str, note: str,
              at: dt.datetime | None = None) -> IncidentDuty:
    """Record that a duty was met (e.g. the report filed), with a timeline entry."""
    duty = next((d for d in incident.duties if d.clock_id == clock_id), None)
    if duty is None:
        known = ", ".join(d.clock_id for d in incident.duties)
        raise GeziError(f"此事故無此義務 no duty {clock_id!r} on this incident; known: {known}")
    if duty.done_at is not None:  # the first record is the evidence; it is not overwritten
        raise GeziError(f"{clock_id} 已於 {iso(duty.done_at)} 登記完成 already recorded as done")
    _not_future(at, "--at")
    if at is not None and as_utc(at) < as_utc(incident.detected_at):
        raise GeziError("--at 早於知悉時間 a duty cannot be met before the incident was known "
                        f"({iso(incident.detected_at)})")
    duty.done_at, duty.done_note = at or now_utc(), note
    kind = duty.purpose if duty.purpose in ("notice", "report") else "measure"
    incident.events.append(IncidentEvent(kind=kind, text=f"完成 {clock_id}: {note}", actor=actor,
                                         at=duty.done_at))
    session.flush()
    return duty


def open_duties(session: Session, org: Organization, within: dt.timedelta,
                now: dt.datetime | None = None) -> list[IncidentDuty]:
    """Binding duties not yet met that are due before ``now + within`` (overdue ones too),
    soonest first — what a cron job or the dashboard checks so no deadline is missed."""
    limit = (now or now_utc()) + within
    rows = session.scalars(
        sa.select(IncidentDuty).join(Incident)
        .where(Incident.org_id == org.id, Incident.status == "open", IncidentDuty.binding,
               IncidentDuty.done_at.is_(None), IncidentDuty.due.is_not(None)))
    return sorted((d for d in rows if as_utc(d.due) <= limit), key=lambda d: as_utc(d.due))


def record_overdue(session: Session, org: Organization, duties: list[IncidentDuty],
                   now: dt.datetime | None = None) -> int:
    """Make each overdue duty a finding (one per incident and duty, deduplicated); returns
    how many findings were created."""
    now = now or now_utc()
    created = 0
    for duty in duties:
        if as_utc(duty.due) >= now:
            continue
        fingerprint = f"incident:{duty.incident_id}:{duty.clock_id}"
        existing = session.scalar(sa.select(Finding).where(Finding.org_id == org.id,
                                                           Finding.fingerprint == fingerprint))
        if existing is not None and existing.status in ("open", "in_progress"):
            continue  # already tracked: a cron job re-running this must not rewrite it each time
        # 改善期限 is the legal deadline itself, so `findings list --overdue` shows it; set only
        # when the finding is created, a date the officer set later is kept.
        due_date = {"due_date": as_utc(duty.due).astimezone(TAIPEI).date()} if existing is None else {}
        _, new = upsert_finding(
            session, org_id=org.id, source="incidents", fingerprint=fingerprint,
            title=f"事故 #{duty.incident_id} 逾期未完成法定義務 overdue duty {duty.clock_id}",
            severity="high", seen_at=now,
            detail={"incident_id": duty.incident_id, "clock_id": duty.clock_id,
                    "due": iso(duty.due), "source": duty.source}, **due_date)
        created += new
    return created


def duty_json(duty: IncidentDuty) -> dict[str, Any]:
    """One obligation as the CLI prints it."""
    return {"id": duty.clock_id, "description": duty.description, "due": iso(duty.due),
            "binding": duty.binding, "source": duty.source, "status": duty.status,
            "purpose": duty.purpose, "caveat": duty.caveat, "done_at": iso(duty.done_at)}


def _ordered(duties: list[IncidentDuty]) -> list[IncidentDuty]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(duties, key=lambda d: (not d.binding, as_utc(d.due) if d.due else far,
                                         d.clock_id))


def incident_json(incident: Incident, with_events: bool = False) -> dict[str, Any]:
    """An incident as JSON: facts, then obligations (binding ones first, advisory after)."""
    duties = _ordered(incident.duties)
    doc: dict[str, Any] = {
        "id": incident.id, "title": incident.title, "kind": incident.kind,
        "status": incident.status, "detected_at": iso(incident.detected_at),
        "occurred_from": iso(incident.occurred_from), "occurred_to": iso(incident.occurred_to),
        "affected": incident.affected, "special_categories": incident.special_categories,
        "system_records": incident.system_records, "major": incident.major,
        "data_categories": list(incident.data_categories or []), "cause": incident.cause,
        "how_found": incident.how_found, "investigator": incident.investigator,
        "fraud_warning": incident.fraud_warning, "contact": dict(incident.contact or {}),
        "closed_at": iso(incident.closed_at),
        "obligations": [duty_json(d) for d in duties],
    }
    if with_events:
        doc["timeline"] = [{"at": iso(e.at), "kind": e.kind, "text": e.text, "actor": e.actor}
                           for e in incident.events]
    return doc
