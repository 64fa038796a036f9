"""Read models of an assessment: every applicable item with verdict, controls, evidence, finding.

The CLI, the XLSX export and (later) the web pages all render this one structure.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.schema import FREQUENCY_ZH
from gezi.compliance.assessments import framework_of, items_for, results_by_item
from gezi.compliance.controls import control_evidence, controls_for_items
from gezi.compliance.evidence import evidence_for
from gezi.compliance.models import Assessment, Finding
from gezi.compliance.scoring import score
from gezi.org.models import Organization


def _ev(e) -> dict[str, Any]:
    return {"id": e.id, "filename": e.filename, "sha256": e.sha256, "kind": e.kind,
            "effective_date": e.effective_date, "expiry_date": e.expiry_date}


def assessment_view(session: Session, a: Assessment) -> dict[str, Any]:
    """The whole assessment as a JSON-ready dict (items, scores, findings)."""
    fw = framework_of(a)
    org = session.get(Organization, a.org_id)
    items = items_for(session, a)
    results = results_by_item(session, a)
    domain_names = {d.id: d.name.zh for d in fw.domains}
    controls = controls_for_items(session, a.org_id, fw.id)
    all_controls = {c.id: c for cs in controls.values() for c in cs}
    ctrl_ev = control_evidence(session, list(all_controls.values()))
    direct = evidence_for(session, "assessment_item", [f"{a.id}:{i.id}" for i in items])
    findings = {f.item_id: f for f in session.scalars(
        sa.select(Finding).where(Finding.assessment_id == a.id))}
    rows = []
    for item in items:
        r = results.get(item.id)
        linked = controls.get(item.id, [])
        evidence = [_ev(e) for e in direct.get(f"{a.id}:{item.id}", [])]
        for c in linked:
            evidence += [_ev(e) | {"via_control": c.code} for e in ctrl_ev[c.id]]
        f = findings.get(item.id)
        rows.append({
            "id": item.id, "domain": item.domain, "domain_name": domain_names[item.domain],
            "name": item.name.zh, "requirement": item.requirement.zh,
            "frequency": FREQUENCY_ZH.get(item.frequency or "", None),
            "source": item.source.citation,
            "result": r.result if r else None, "note": r.note if r else None,
            "assessed_by": r.assessed_by if r else None, "assessed_at": r.assessed_at if r else None,
            "controls": [c.code for c in linked], "evidence": evidence,
            "finding": {"id": f.id, "status": f.status, "owner": f.owner,
                        "due_date": f.due_date} if f else None,
        })
    return {
        "id": a.id, "org": {"id": org.id, "name": org.name, "ubn": org.ubn},
        "framework": {"id": fw.id, "version": a.framework_version, "name": fw.name.zh,
                      "status": fw.status or "in_force"},
        "period": a.period, "title": a.title, "status": a.status,
        "started_at": a.started_at, "closed_at": a.closed_at,
        "scores": score(fw, items, results, org.e_trading_share),
        "items": rows,
    }
