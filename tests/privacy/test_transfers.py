"""Cross-border transfers on SQLite and PostgreSQL: records per inventory file and destination,
and the GDPR Art 3(2) / CCPA / APEC CBPR helper with its stored result and reasoning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from gezi.compliance.evidence import blob_path, evidence_for
from gezi.core.audit import AuditEntry
from gezi.core.errors import GeziError
from gezi.core.settings import get_settings
from gezi.org.service import add_org
from gezi.pii.inventory_models import PdFile
from gezi.privacy import transfers as svc

UBN = "04595257"


@pytest.fixture
def org_cli(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    return cli


def test_catalog_has_nine_edpb_offering_indicators_and_versioned_ccpa():
    cat = svc.catalog()
    assert len(cat.gdpr_art3_2.offering_indicators) == 9
    assert "Guidelines 3/2018" in cat.gdpr_art3_2.source.citation
    versions = {v.id: v for v in cat.ccpa.versions}
    assert versions["ccpa@2020"].status == "repealed" and versions["ccpa-cpra@2023"].status == "in_force"
    revenue = versions["ccpa-cpra@2023"].thresholds[0]
    assert revenue.value_on(date(2024, 12, 31)) == 25_000_000
    assert revenue.value_on(date(2025, 1, 1)) == 26_625_000
    assert cat.ccpa.version_on(date(2021, 6, 1)).id == "ccpa@2020"
    assert cat.ccpa.version_on(date(2023, 1, 1)).id == "ccpa-cpra@2023"
    assert "TW" in cat.apec_cbpr.participating_economies


def test_transfer_links_the_inventory_entry_and_keeps_the_record_as_evidence(session):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    entry = PdFile(org_id=org.id, name="會員資料庫", location_kind="db_table", location="pg://shop/members")
    session.add(entry)
    session.flush()
    t = svc.record_transfer(session, s, org, inventory=str(entry.id), destination="sg", recipient="SG 客服中心",
                            purpose="客戶服務", legal_basis="委託契約第3條", method="VPN", actor="t",
                            risk_analysis="SG PDPA 保護水準相當；加密傳輸", started_on=date(2026, 3, 1))
    assert (t.pd_file_id, t.inventory_ref, t.destination) == (entry.id, "會員資料庫", "SG")
    by_name = svc.record_transfer(session, s, org, inventory="會員資料庫", destination="JP", recipient="JP 倉儲",
                                  purpose="出貨", actor="t")
    free = svc.record_transfer(session, s, org, inventory="紙本訂購單掃描檔", destination="US",
                               recipient="US 雲端", purpose="備份", actor="t")
    assert by_name.pd_file_id == entry.id and free.pd_file_id is None
    assert [x.id for x in svc.list_transfers(session, org, str(entry.id))] == [t.id, by_name.id]
    ev = evidence_for(session, "data_transfer", [str(t.id)])[str(t.id)][0]
    assert ev.kind == "transfer_to_third_party" and ev.effective_date == date(2026, 3, 1)
    record = Path(blob_path(s, ev.sha256)).read_text(encoding="utf-8")
    for part in ("SG 客服中心", "委託契約第3條", "VPN", "2026-03-01", "客戶服務", "清冊 #"):
        assert part in record
    for bad in ("USA", "1", "", "XX", "EU"):
        with pytest.raises(GeziError):
            svc.record_transfer(session, s, org, inventory="x", destination=bad, recipient="r", purpose="p",
                                actor="t")


def test_ccpa_thresholds_follow_the_version_and_adjustment_of_the_day():
    facts = {"does_business_in_ca": True, "annual_revenue_usd": 26_000_000.0}
    on_2024 = svc.assess("ccpa", facts, date(2024, 6, 1))
    on_2026 = svc.assess("ccpa", facts | {"consumers_per_year": 60_000.0, "selling_revenue_pct": 0.0},
                         date(2026, 6, 1))
    assert on_2024.result == "in_scope" and on_2024.rule_version == "ccpa-cpra@2023"
    assert on_2026.result == "out_of_scope"  # US$26M ≤ 26,625,000; 60,000 < 100,000
    assert any("26,625,000" in line for line in on_2026.reasoning)
    on_2021 = svc.assess("ccpa", {"does_business_in_ca": True, "consumers_per_year": 60_000.0}, date(2021, 6, 1))
    assert on_2021.result == "in_scope" and on_2021.rule_version == "ccpa@2020"
    assert svc.assess("ccpa", {"does_business_in_ca": False, "annual_revenue_usd": 9e9},
                      date(2026, 1, 1)).result == "out_of_scope"
    assert svc.assess("ccpa", {"annual_revenue_usd": 9e9}, date(2026, 1, 1)).result == "incomplete"
    assert svc.assess("ccpa", {"does_business_in_ca": True}, date(2026, 1, 1)).result == "incomplete"


def test_gdpr_indicators_need_review_when_any_is_met():
    none = {q["id"]: False for q in svc.questions("gdpr")}
    assert svc.assess("gdpr", none, date(2026, 1, 1)).result == "no_indicator"
    assert svc.assess("gdpr", {"eu_delivery": False}, date(2026, 1, 1)).result == "incomplete"
    out = svc.assess("gdpr", none | {"eu_delivery": True, "cookies_tracking": True}, date(2026, 1, 1))
    assert out.result == "review_required"
    assert sum("符合" in line for line in out.reasoning) == 2


def test_cbpr_status_from_destination_and_recipient_certification():
    assert svc.assess("cbpr", {}, date(2026, 1, 1), "JP").result == "participating_economy"
    assert svc.assess("cbpr", {"recipient_prp_certified": True}, date(2026, 1, 1), "DE").result == \
        "recipient_certified"
    out = svc.assess("cbpr", {}, date(2026, 1, 1), "DE")
    assert out.result == "not_in_list" and any("2020" in line for line in out.reasoning)
    assert svc.assess("cbpr", {}, date(2026, 1, 1), None).result == "incomplete"


def test_cli_assessment_is_stored_with_answers_result_and_reasoning(org_cli):
    r = org_cli("transfers", "add", "--inventory", "會員資料庫", "--destination", "US", "--recipient", "AWS",
                "--purpose", "雲端主機", "--json")
    assert r.code == 0, r.err
    tid = r.json["id"]
    assert r.json["risk_analysis_recorded"] is False
    r = org_cli("transfers", "assess", "--regime", "ccpa", "--transfer", str(tid), "--set", "does_business_in_ca=是",
                "--set", "consumers_per_year=120,000", "--on", "2026-11-01", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["result"] == "in_scope" and doc["transfer_id"] == tid
    assert doc["answers"] == {"does_business_in_ca": True, "consumers_per_year": 120000.0, "destination": "US"}
    assert any("100,000" in line for line in doc["reasoning"])
    cb = org_cli("transfers", "assess", "--regime", "cbpr", "--transfer", str(tid), "--json").json
    assert cb["result"] == "participating_economy"
    listed = org_cli("transfers", "list", "--json").json["transfers"][0]
    assert listed["assessments"]["ccpa"]["result"] == "in_scope"
    assert [a["regime"] for a in org_cli("transfers", "assessments", "--json").json["assessments"]] == ["cbpr", "ccpa"]
    for args in (["--regime", "gdpr", "--set", "unknown_fact=yes"], ["--regime", "gdpr", "--set", "eu_tld=perhaps"],
                 ["--regime", "ccpa", "--set", "annual_revenue_usd=-5"], ["--regime", "ccpa", "--set", "noequals"],
                 ["--regime", "pipl"], ["--regime", "ccpa", "--transfer", "99"]):
        bad = org_cli("transfers", "assess", *args, "--json")
        assert bad.code == 2 and bad.out == "" and len(bad.err.strip().splitlines()) == 1, (args, bad.err)
    assert org_cli("transfers", "indicators", "--regime", "gdpr", "--json").json["questions"][0]["id"] == "eu_named"


def test_assessments_are_on_the_audit_trail(session):
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    out = svc.assess("gdpr", {"eu_tld": True}, date(2026, 1, 1))
    row = svc.save_assessment(session, org, out, {"eu_tld": True}, "t")
    session.flush()
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.table_name == "transfer_assessments"))
    assert entry.action == "insert" and entry.after["result"] == "review_required" and row.reasoning


def test_interactive_walk_asks_each_remaining_question_in_catalog_order(org_cli, monkeypatch):
    import sys

    import typer

    asked: list[str] = []
    replies = iter(["yes", "", "n"] + [""] * 20)

    def fake_prompt(text, **_kw):
        asked.append(text)
        return next(replies)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(typer, "prompt", fake_prompt)
    r = org_cli("transfers", "assess", "--regime", "gdpr", "--set", "eu_named=no", "-i", "--json")
    assert r.code == 0, r.err
    questions = [q["question"] for q in svc.questions("gdpr")]
    assert [a.split(" (")[0] for a in asked] == questions[1:]  # eu_named was answered already
    assert r.json["answers"] == {"eu_named": False, "search_ads": True, "eu_contact": False}
    assert r.json["result"] == "review_required"


def test_an_inventory_ref_that_only_looks_numeric_is_taken_as_a_name(org_cli):
    r = org_cli("transfers", "add", "--inventory", "²", "--destination", "US", "--recipient", "r",
                "--purpose", "p", "--json")
    assert r.code == 0, r.err
    assert r.json["inventory"] == "²" and r.json["pd_file_id"] is None


def test_non_finite_numbers_and_unknown_cbpr_destinations_are_refused_and_nothing_is_stored(org_cli):
    # nan would fail every threshold silently and make the stored answers invalid JSON.
    for args in (["--regime", "ccpa", "--set", "annual_revenue_usd=nan"],
                 ["--regime", "ccpa", "--set", "annual_revenue_usd=inf"],
                 ["--regime", "ccpa", "--set", "annual_revenue_usd=1e400"],
                 ["--regime", "cbpr", "--destination", "ZZ"],
                 ["--regime", "cbpr", "--destination", ""]):
        r = org_cli("transfers", "assess", *args, "--json")
        assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
    assert org_cli("transfers", "assessments", "--json").json["assessments"] == []
    ok = org_cli("transfers", "assess", "--regime", "cbpr", "--destination", " jp ", "--json")
    assert ok.code == 0 and ok.json["answers"] == {"destination": "JP"}


def test_an_empty_inventory_filter_is_an_error_not_every_transfer(org_cli):
    assert org_cli("transfers", "add", "--inventory", "會員資料", "--destination", "US", "--recipient", "r",
                   "--purpose", "p").code == 0
    r = org_cli("transfers", "list", "--inventory", " ", "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1
    assert len(org_cli("transfers", "list", "--inventory", " 會員資料 ", "--json").json["transfers"]) == 1


def test_a_share_of_revenue_above_100_percent_is_refused(org_cli):
    r = org_cli("transfers", "assess", "--regime", "ccpa", "--set", "selling_revenue_pct=150%", "--json")
    assert r.code == 2 and r.out == "" and "selling_revenue_pct" in r.err
    ok = org_cli("transfers", "assess", "--regime", "ccpa", "--set", "selling_revenue_pct=100%", "--json")
    assert ok.code == 0 and ok.json["answers"] == {"selling_revenue_pct": 100.0}
