"""Map each tool's detections to the injected scenarios (attacker IP or account + time)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from peers import Detection, parse_ts

SLACK_S = 600.0  # a detection may start/end up to 10 min outside the injected window


@dataclass
class Truth:
    """One ground-truth scenario with its window as epoch seconds."""

    name: str
    category: str
    src_ip: str
    user: str | None
    start: float
    end: float

    @classmethod
    def load(cls, doc: dict) -> list[Truth]:
        """Read the `scenarios` list of scenarios.json."""
        return [cls(s["name"], s["category"], s["src_ip"], s.get("user"),
                    parse_ts(s["start"]) or 0.0, parse_ts(s["end"]) or 0.0)
                for s in doc["scenarios"]]


def masked_match(shown: str, real: str) -> bool:
    """True if `shown` is `real` or a masked form of it (runs of * or ○ hide characters)."""
    if shown == real:
        return True
    parts = re.split(r"[*○]+", shown)
    if len(parts) == 1:
        return False
    return re.fullmatch(".*".join(map(re.escape, parts)), real) is not None


def same_actor(d: Detection, t: Truth) -> bool:
    """Same attacker IP, or (for account-keyed alerts without an IP) the same account."""
    if d.src_ip:
        return d.src_ip == t.src_ip
    return bool(d.user and t.user and masked_match(d.user, t.user))


def overlaps(d: Detection, t: Truth) -> bool:
    """Detection time span intersects the scenario window widened by SLACK_S."""
    return d.first <= t.end + SLACK_S and d.last >= t.start - SLACK_S


def score(truths: list[Truth], detections: list[Detection], by_category: bool) -> dict:
    """Per scenario: found / other rule on the same actor / missed; plus unmatched detections.

    With `by_category` (gezi) a scenario counts as found only if an alert of the scenario's own
    category matches; peers have their own rule names, so any detection of the actor counts.
    """
    per: dict[str, dict] = {}
    matched: set[int] = set()
    for t in truths:
        hits = [(i, d) for i, d in enumerate(detections) if same_actor(d, t) and overlaps(d, t)]
        matched.update(i for i, _ in hits)
        rules = sorted({d.category or d.tool_rule for _, d in hits})
        exact = [d for _, d in hits if not by_category or d.category == t.category]
        status = "found" if exact else ("other" if hits else "missed")
        per[t.name] = {"status": status, "rules": rules, "alerts": len(hits)}
    scenario_ips = {t.src_ip for t in truths}
    unmatched = [d for i, d in enumerate(detections) if i not in matched]
    # Alerts on an attacker's IP outside its window are secondary, not false positives.
    false_pos = [d for d in unmatched if d.src_ip not in scenario_ips
                 and not any(d.user and t.user and masked_match(d.user, t.user) for t in truths)]
    kinds = Counter(d.category or d.tool_rule for d in false_pos)
    samples = [{"rule": d.category or d.tool_rule, "src_ip": d.src_ip, "user": d.user,
                "count": d.count} for d in false_pos[:10]]
    return {
        "scenarios": per,
        "found": sum(1 for v in per.values() if v["status"] == "found"),
        "total": len(truths),
        "unmatched_alerts": len(false_pos),
        "unmatched_by_rule": dict(kinds.most_common()),
        "unmatched_samples": samples,
    }
