"""Findings (缺失): created from assessments and sensors, deduplicated, tracked to closure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.compliance.models import FINDING_STATUSES, SEVERITIES, Finding
from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc


def upsert_finding(session: Session, *, org_id: int, source: str, fingerprint: str, title: str,
                   severity: str = "medium", detail: dict[str, Any] | None = None,
                   seen_at: dt.datetime | None = None, **fields: Any) -> tuple[Finding, bool]:
    """Create a finding, or update the existing one with the same fingerprint.

    Returns (finding, created). A re-detected finding counts one more occurrence and updates
    last_seen; a closed finding that recurs is reopened, so a repeat attack is not lost.
    """
    if severity not in SEVERITIES:
        raise GeziError(f"未知的嚴重度 unknown severity {severity!r}")
    existing = session.scalar(sa.select(Finding).where(Finding.org_id == org_id,
                                                       Finding.fingerprint == fingerprint))
    when = seen_at or now_utc()
    if existing is None:
        finding = Finding(org_id=org_id, source=source, fingerprint=fingerprint, title=title,
                          severity=severity, detail=detail or {}, last_seen=when, occurrences=1,
                          status="open", **fields)
        session.add(finding)
        session.flush()
        return finding, True
    existing.title = title
    existing.severity = severity
    existing.detail = detail or existing.detail
    existing.last_seen = when
    existing.occurrences = (existing.occurrences or 0) + 1
    for key, value in fields.items():
        setattr(existing, key, value)
    if existing.status == "closed":
        existing.status, existing.closed_at = "open", None
    session.flush()
    return existing, False


def list_findings(session: Session, org_id: int, *, status: str | None = None,
                  source: str | None = None, assessment_id: int | None = None) -> list[Finding]:
    """Findings of an organization, open ones first, then by due date."""
    q = sa.select(Finding).where(Finding.org_id == org_id)
    if status:
        if status not in FINDING_STATUSES:
            raise GeziError(f"未知的狀態 unknown status {status!r}; use {', '.join(FINDING_STATUSES)}")
        q = q.where(Finding.status == status)
    if source:
        q = q.where(Finding.source == source)
    if assessment_id is not None:
        q = q.where(Finding.assessment_id == assessment_id)
    rows = list(session.scalars(q.order_by(Finding.id)))
    order = {s: n for n, s in enumerate(FINDING_STATUSES)}
    return sorted(rows, key=lambda f: (order.get(f.status, 9), f.due_date or dt.date.max, f.id))


def get_finding(session: Session, org_id: int, finding_id: int) -> Finding:
    """One finding of an organization, or a one-line error."""
    finding = session.get(Finding, finding_id)
    if finding is None or finding.org_id != org_id:
        raise GeziError(f"找不到缺失 no finding #{finding_id}")
    return finding


def update_finding(session: Session, finding: Finding, *, owner: str | None = None,
                   due_date: dt.date | None = None, status: str | None = None,
                   severity: str | None = None, resolution: str | None = None) -> Finding:
    """Assign, schedule or move a finding through open → in_progress → closed / accepted.

    Closing or accepting a finding needs a resolution text, so the record says why.
    """
    if status is not None and status not in FINDING_STATUSES:
        raise GeziError(f"未知的狀態 unknown status {status!r}; use {', '.join(FINDING_STATUSES)}")
    if severity is not None and severity not in SEVERITIES:
        raise GeziError(f"未知的嚴重度 unknown severity {severity!r}")
    # Each closure or acceptance states its own reason: a resolution left over from an earlier
    # closure (before the finding was reopened) does not explain this one.
    if status in ("closed", "accepted") and status != finding.status \
            and not (resolution and resolution.strip()):
        raise GeziError("結案或風險接受須說明 --resolution is required to close or accept")
    if resolution is not None and not resolution.strip():
        raise GeziError("--resolution 不可空白 must not be empty")
    if owner is not None:
        finding.owner = owner
    if due_date is not None:
        finding.due_date = due_date
    if severity is not None:
        finding.severity = severity
    if resolution is not None:
        finding.resolution = resolution
    if status is not None:
        finding.status = status
        finding.closed_at = now_utc() if status in ("closed", "accepted") else None
    session.flush()
    return finding


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as a JSON-ready dict."""
    return {"id": f.id, "source": f.source, "title": f.title, "severity": f.severity,
            "status": f.status, "owner": f.owner, "due_date": f.due_date,
            "framework_id": f.framework_id, "item_id": f.item_id,
            "assessment_id": f.assessment_id, "occurrences": f.occurrences,
            "created_at": f.created_at, "last_seen": f.last_seen, "closed_at": f.closed_at,
            "resolution": f.resolution, "detail": f.detail}
