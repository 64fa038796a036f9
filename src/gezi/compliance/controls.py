"""Controls: what the organization does, linked to the items of several frameworks it satisfies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_catalogs
from gezi.catalog.schema import FREQUENCY_ZH
from gezi.compliance.evidence import evidence_for
from gezi.compliance.models import Control, ControlLink, Evidence
from gezi.core.errors import GeziError
from gezi.org.models import Organization


def add_control(session: Session, org: Organization, *, code: str, name: str,
                description: str | None = None, frequency: str | None = None,
                owner: str | None = None) -> Control:
    """Define a control of an organization (code unique per organization)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise GeziError("控制措施代碼與名稱不可空白 --code and --name must not be empty")
    if frequency is not None and frequency not in FREQUENCY_ZH:
        raise GeziError(f"未知的頻率 unknown frequency {frequency!r}; use {', '.join(FREQUENCY_ZH)}")
    if session.scalar(sa.select(Control).where(Control.org_id == org.id, Control.code == code)):
        raise GeziError(f"控制措施 {code} 已存在 control already exists")
    c = Control(org_id=org.id, code=code, name=name, description=description,
                frequency=frequency, owner=owner)
    session.add(c)
    session.flush()
    return c


def get_control(session: Session, org: Organization, ref: str) -> Control:
    """A control by code or id."""
    q = sa.select(Control).where(Control.org_id == org.id)
    c = session.scalar(q.where(Control.code == ref))
    if c is None and ref.isdigit():
        c = session.scalar(q.where(Control.id == int(ref)))
    if c is None:
        raise GeziError(f"找不到控制措施 no control {ref!r}")
    return c


def mapped_equivalents(ref: str) -> list[str]:
    """Item refs ('framework:item') the cross-framework mappings say ask for the same thing."""
    out: list[str] = []
    for mapping in load_catalogs().mappings.values():
        for group in mapping.groups:
            if ref in group.items:
                out += [r for r in group.items if r != ref and r not in out]
    return out


def link_control(session: Session, control: Control, ref: str,
                 with_mapped: bool = False) -> list[str]:
    """Link a control to 'framework:item' (and, optionally, every mapped equivalent).

    Returns the refs newly linked.
    """
    if ":" not in ref:
        raise GeziError(f"項目請寫成 FRAMEWORK:ITEM, e.g. twse-broker-infosec:AC-4 (got {ref!r})")
    cats = load_catalogs()
    refs = [ref, *(mapped_equivalents(ref) if with_mapped else [])]
    added = []
    for r in refs:
        fw_id, item_id = r.split(":", 1)
        if cats.framework(fw_id).item(item_id) is None:
            raise GeziError(f"框架 {fw_id} 沒有項目 no item {item_id!r}")
        exists = session.scalar(sa.select(ControlLink).where(
            ControlLink.control_id == control.id, ControlLink.framework_id == fw_id,
            ControlLink.item_id == item_id))
        if exists is None:
            session.add(ControlLink(control_id=control.id, framework_id=fw_id, item_id=item_id))
            added.append(r)
    session.flush()
    return added


def list_controls(session: Session, org: Organization) -> list[Control]:
    """Controls of an organization by code."""
    return list(session.scalars(sa.select(Control).where(Control.org_id == org.id)
                                .order_by(Control.code)))


def controls_for_items(session: Session, org_id: int, framework_id: str) -> dict[str, list[Control]]:
    """Controls linked to each item of a framework."""
    rows = session.execute(
        sa.select(ControlLink.item_id, Control)
        .join(Control, Control.id == ControlLink.control_id)
        .where(Control.org_id == org_id, ControlLink.framework_id == framework_id)
        .order_by(Control.code)).all()
    out: dict[str, list[Control]] = {}
    for item_id, control in rows:
        out.setdefault(item_id, []).append(control)
    return out


def control_evidence(session: Session, controls: list[Control]) -> dict[int, list[Evidence]]:
    """Evidence attached to each control."""
    found = evidence_for(session, "control", [str(c.id) for c in controls])
    return {c.id: found.get(str(c.id), []) for c in controls}


def control_dict(session: Session, c: Control) -> dict[str, Any]:
    """A control with its links and evidence as a JSON-ready dict."""
    ev = control_evidence(session, [c])[c.id]
    return {"id": c.id, "code": c.code, "name": c.name, "description": c.description,
            "frequency": c.frequency, "owner": c.owner,
            "links": [f"{link.framework_id}:{link.item_id}" for link in c.links],
            "evidence": [{"id": e.id, "filename": e.filename, "sha256": e.sha256, "kind": e.kind}
                         for e in ev]}
