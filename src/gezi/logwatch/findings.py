"""Alerts → findings in the register, deduplicated across runs by fingerprint."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from gezi.compliance.findings import upsert_finding
from gezi.logwatch.engine import Alert
from gezi.logwatch.mask import mask_value


def fingerprint(alert: Alert) -> str:
    """rule + key + local day; account names enter only as a hash (no raw personal data)."""
    if alert.rule.key == "user":
        key = "user#" + hashlib.sha256((alert.user or "").encode()).hexdigest()[:16]
    else:
        key = f"ip={alert.key}"  # an IPv6 network for rules counting by network
    return f"logwatch:{alert.rule.id}:{key}:{alert.day.isoformat()}"


def record_findings(session: Session, org_id: int, alerts: list[Alert]) -> dict[str, int]:
    """Upsert one finding per alert; returns how many were created and updated."""
    created = updated = 0
    for a in alerts:
        who = mask_value(a.user) if a.rule.key == "user" else a.key  # an IP or an IPv6 network
        title = f"{a.rule.title.zh}：{who}（{a.day.isoformat()}）"
        if a.rule.key == "user" and a.src_ips:  # an IP rule's title names its one IP already
            title += f"來源 IP {a.sources_zh(limit=3)}"
        _, new = upsert_finding(
            session, org_id=org_id, source="logwatch", fingerprint=fingerprint(a),
            title=title, severity=a.rule.severity,
            detail=a.to_dict(show_values=False), seen_at=a.last_seen)
        created += new
        updated += not new
    return {"created": created, "updated": updated}
