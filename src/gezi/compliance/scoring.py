"""Scores per domain and overall (na excluded), and the TWSE-style deduction and risk block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gezi.catalog.schema import Framework, Item
from gezi.compliance.models import Result


@dataclass
class Tally:
    """Counts of verdicts over a set of applicable items."""

    applicable: int = 0
    compliant: int = 0
    partial: int = 0
    noncompliant: int = 0
    na: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def assessed(self) -> int:
        return self.compliant + self.partial + self.noncompliant + self.na

    def add(self, result: str | None) -> None:
        self.applicable += 1
        if result:
            setattr(self, result, getattr(self, result) + 1)

    def score(self, partial_weight: float) -> float | None:
        """Percent of assessed, applicable (non-na) items met; partial counts partial_weight."""
        denom = self.compliant + self.partial + self.noncompliant
        if denom == 0:
            return None
        return round(100 * (self.compliant + partial_weight * self.partial) / denom, 1)

    def as_dict(self, partial_weight: float) -> dict[str, Any]:
        return {"applicable": self.applicable, "assessed": self.assessed,
                "unassessed": self.applicable - self.assessed, "compliant": self.compliant,
                "partial": self.partial, "noncompliant": self.noncompliant, "na": self.na,
                "score": self.score(partial_weight)}


def score(framework: Framework, items: list[Item], results: dict[str, Result],
          e_trading_share: float | None = None) -> dict[str, Any]:
    """Scores per domain and overall; plus deduction points and risk block when configured."""
    pw = framework.scoring.partial_weight
    overall = Tally()
    domains: dict[str, Tally] = {d.id: Tally() for d in framework.domains}
    for item in items:
        verdict = results[item.id].result if item.id in results else None
        overall.add(verdict)
        domains[item.domain].add(verdict)
    doc: dict[str, Any] = {
        "overall": overall.as_dict(pw),
        "domains": [{"id": d.id, "name": d.name.zh, "name_en": d.name.en,
                     **domains[d.id].as_dict(pw)} for d in framework.domains
                    if domains[d.id].applicable],
        "partial_weight": pw,
    }
    points = framework.scoring.deduction_points
    if points:
        deduction = (overall.noncompliant * points.get("noncompliant", 0)
                     + overall.partial * points.get("partial", 0))
        doc["deduction_points"] = deduction
        matrix = framework.scoring.risk_matrix
        if matrix and e_trading_share is not None:
            share = "high" if e_trading_share >= matrix.e_trading_share_high_pct else "low"
            ded = "high" if deduction >= matrix.deduction_high_points else "low"
            key = f"{share}_{ded}"
            doc["risk_block"] = {"key": key, "name": matrix.blocks[key].zh,
                                 "e_trading_share": e_trading_share,
                                 "source": matrix.source.citation,
                                 "note": matrix.source.note}
    return doc
