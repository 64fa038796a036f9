"""Assessments: a person's verdicts on a framework's items for one organization and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.applicability import applicable_items, framework_applies
from gezi.catalog.loader import load_catalogs
from gezi.catalog.schema import Framework, Item
from gezi.compliance.findings import upsert_finding
from gezi.compliance.models import RESULT_ZH, RESULTS, Assessment, Finding, Result
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, now_utc
from gezi.org.models import Organization

# A finding's default due date when the assessor gives none (editable per finding).
DEFAULT_FINDING_DAYS = {"noncompliant": 30, "partial": 90}
SEVERITY_FOR = {"noncompliant": "high", "partial": "medium"}


def start_assessment(session: Session, org: Organization, framework_id: str,
                     period: str | None = None, title: str | None = None,
                     force: bool = False) -> Assessment:
    """Open an assessment of a framework for a period (default: the current Taipei year)."""
    fw = load_catalogs().framework(framework_id)
    if not force and not framework_applies(fw, org.facts()):
        raise GeziError(f"框架 {framework_id} 不適用於此組織 does not apply to {org.name} "
                        f"(industry {org.industry}); use --force to assess anyway")
    if period is not None and not period.strip():
        raise GeziError("--period 不可空白 must not be empty (e.g. 2026 or 2026H1)")
    period = period.strip() if period is not None else str(now_utc().astimezone(TAIPEI).year)
    dup = session.scalar(sa.select(Assessment).where(
        Assessment.org_id == org.id, Assessment.framework_id == framework_id,
        Assessment.period == period, Assessment.status == "open"))
    if dup is not None:
        raise GeziError(f"已有進行中的評鑑 an open assessment #{dup.id} exists for "
                        f"{framework_id} {period}")
    a = Assessment(org_id=org.id, framework_id=fw.id, framework_version=fw.version,
                   period=period, title=title or f"{fw.name.zh} {period}", status="open")
    session.add(a)
    session.flush()
    return a


def get_assessment(session: Session, assessment_id: int, org: Organization | None = None) -> Assessment:
    """An assessment by id (optionally checked to belong to an organization)."""
    a = session.get(Assessment, assessment_id)
    if a is None or (org is not None and a.org_id != org.id):
        raise GeziError(f"找不到評鑑 no assessment #{assessment_id}")
    return a


def framework_of(a: Assessment) -> Framework:
    """The catalog framework an assessment was made against."""
    return load_catalogs().framework(a.framework_id)


def items_for(session: Session, a: Assessment) -> list[Item]:
    """The framework items that apply to the assessed organization."""
    org = session.get(Organization, a.org_id)
    return applicable_items(framework_of(a), org.facts() if org else {})


def set_result(session: Session, a: Assessment, item_id: str, result: str, note: str | None,
               actor: str, owner: str | None = None, due_date: dt.date | None = None) -> Result:
    """Record a verdict; a noncompliant or partial verdict opens (or updates) a finding."""
    if a.status != "open":
        raise GeziError(f"評鑑 #{a.id} 已結束 assessment is closed")
    if result not in RESULTS:
        raise GeziError(f"未知的結果 unknown result {result!r}; use {', '.join(RESULTS)}")
    fw = framework_of(a)
    item = fw.item(item_id)
    if item is None:
        raise GeziError(f"框架 {fw.id} 沒有項目 no item {item_id!r}")
    if item.id not in {i.id for i in items_for(session, a)} and result != "na":
        raise GeziError(f"項目 {item_id} 不適用於此組織 does not apply to this organization; "
                        "record it as na")
    row = session.scalar(sa.select(Result).where(Result.assessment_id == a.id,
                                                 Result.item_id == item.id))
    if row is None:
        row = Result(assessment_id=a.id, item_id=item.id, result=result, note=note,
                     assessed_by=actor)
        session.add(row)
    else:
        row.result, row.assessed_by, row.assessed_at = result, actor, now_utc()
        if note is not None:
            row.note = note
    session.flush()
    _sync_finding(session, a, fw, item, row, owner, due_date)
    return row


def _fingerprint(a: Assessment, item_id: str) -> str:
    return f"assessment:{a.id}:{item_id}"


def _sync_finding(session: Session, a: Assessment, fw: Framework, item: Item, row: Result,
                  owner: str | None, due_date: dt.date | None) -> None:
    fp = _fingerprint(a, item.id)
    existing = session.scalar(sa.select(Finding).where(Finding.org_id == a.org_id,
                                                       Finding.fingerprint == fp))
    if row.result in DEFAULT_FINDING_DAYS:
        fields: dict[str, Any] = {"assessment_id": a.id, "framework_id": fw.id,
                                  "item_id": item.id}
        if owner:
            fields["owner"] = owner
        if due_date or existing is None or existing.due_date is None:
            fields["due_date"] = due_date or (now_utc().astimezone(TAIPEI).date()
                                              + dt.timedelta(days=DEFAULT_FINDING_DAYS[row.result]))
        upsert_finding(
            session, org_id=a.org_id, source="assessment", fingerprint=fp,
            title=f"{fw.name.zh} {item.id} {item.name.zh}：{RESULT_ZH[row.result]}",
            # A severity the owner changed with `findings update` survives re-assessment.
            severity=existing.severity if existing is not None else SEVERITY_FOR[row.result],
            detail={"result": row.result, "note": row.note, "requirement": item.requirement.zh,
                    "source": item.source.citation},
            **fields)
    elif existing is not None and existing.status not in ("closed", "accepted"):
        # The item now passes (or is na): the deficiency is resolved by re-assessment.
        existing.status, existing.closed_at = "closed", now_utc()
        existing.resolution = f"複評結果：{RESULT_ZH[row.result]} re-assessed as {row.result}"
        session.flush()


def close_assessment(session: Session, a: Assessment) -> Assessment:
    """Close an assessment; its results are then read-only."""
    if a.status != "open":
        raise GeziError(f"評鑑 #{a.id} 已結束 assessment is already closed")
    a.status, a.closed_at = "closed", now_utc()
    session.flush()
    return a


def list_assessments(session: Session, org: Organization) -> list[Assessment]:
    """Assessments of an organization, newest first."""
    return list(session.scalars(sa.select(Assessment).where(Assessment.org_id == org.id)
                                .order_by(Assessment.id.desc())))


def results_by_item(session: Session, a: Assessment) -> dict[str, Result]:
    """The recorded results of an assessment keyed by item id."""
    rows = session.scalars(sa.select(Result).where(Result.assessment_id == a.id))
    return {r.item_id: r for r in rows}
