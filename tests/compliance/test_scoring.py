"""Scores at their edges: na excluded, unassessed items, empty domains, the broker risk block at
its thresholds (pure computation on the shipped TWSE catalog; no register needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gezi.catalog.loader import load_catalogs
from gezi.compliance.scoring import score


def _results(verdicts: dict[str, str]) -> dict[str, SimpleNamespace]:
    return {item: SimpleNamespace(result=v) for item, v in verdicts.items()}


@pytest.fixture
def twse():
    return load_catalogs().framework("twse-broker-infosec")


def test_na_only_and_unassessed_domains(twse):
    risk = [i for i in twse.items if i.domain == "risk"]
    s = score(twse, risk, _results({risk[0].id: "na"}))
    assert [d["id"] for d in s["domains"]] == ["risk"]  # domains without applicable items left out
    d = s["domains"][0]
    assert d["score"] is None and d["na"] == 1 and d["unassessed"] == len(risk) - 1
    assert s["overall"]["score"] is None and s["deduction_points"] == 0


@pytest.mark.parametrize("share,bad,key", [
    (50.0, 5, "high_high"),   # both thresholds are inclusive (>=)
    (49.99, 5, "low_high"),
    (50.0, 4, "high_low"),
    (0.0, 0, "low_low"),
    (100.0, 0, "high_low"),
])
def test_risk_block_at_its_thresholds(twse, share, bad, key):
    items = twse.items[:10]
    verdicts = {i.id: "noncompliant" for i in items[:bad]}
    verdicts |= {i.id: "na" for i in items[bad:]}  # na never adds deduction points
    s = score(twse, items, _results(verdicts), e_trading_share=share)
    assert s["deduction_points"] == bad
    assert s["risk_block"]["key"] == key


def test_partial_counts_half_a_point_and_half_a_score(twse):
    items = twse.items[:4]
    s = score(twse, items, _results({items[0].id: "partial", items[1].id: "compliant",
                                     items[2].id: "noncompliant"}), e_trading_share=None)
    assert s["deduction_points"] == 1.5 and "risk_block" not in s  # no share, no block
    assert s["overall"]["score"] == 50.0 and s["overall"]["unassessed"] == 1
