"""Records and evidence (紀錄與證據留存): which of the record kinds of seed 000 §十 have no
evidence in a recent window, so a 個資管理人員 sees the gaps before an inspector does.

The record kinds are the evidence kinds catalogued from seed 000 §十 (their source citation says
so); retention comes with each kind. An entry counts on its effective date, or on the day it was
added when it has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_catalogs
from gezi.catalog.schema import EvidenceKind
from gezi.compliance.models import Evidence
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc
from gezi.org.models import Organization
from gezi.privacy.vendors import add_months

# Kinds whose source cites seed 000 §十 are the twelve record kinds of the e-commerce plan.
SECTION_MARK = "seed 000 §十"


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
