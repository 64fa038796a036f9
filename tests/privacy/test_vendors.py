"""Vendor register on SQLite and PostgreSQL: the ER Art 8 checklist from data, certifications,
periodic confirmations with reminders, the selection risk assessment and evidence."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from gezi.compliance.evidence import evidence_for
from gezi.compliance.models import Finding
from gezi.core.audit import AuditEntry
from gezi.core.db import session_scope
from gezi.core.errors import GeziError
from gezi.core.settings import get_settings
from gezi.org.service import add_org
from gezi.privacy import vendors as svc

UBN = "04595257"
ER_ART8 = ["scope", "security_measures", "subcontractors", "breach_notification", "reserved_instructions",
           "return_deletion"]


@pytest.fixture
def org_cli(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    return cli


def test_catalog_holds_the_six_er_art8_items_with_citations():
    cat = svc.catalog()
    assert [i.code for i in cat.supervision_items] == ER_ART8
    for n, item in enumerate(cat.supervision_items, start=1):
        assert item.source.citation == f"個人資料保護法施行細則第8條第1項第{n}款"
    assert {c.code for c in cat.selection.criteria} >= {"financial_status", "professional_capability"}
    assert {c.code for c in cat.certifications} >= {"iso27001", "iso27701", "bs10012"}


def test_add_check_and_show_the_checklist(org_cli):
    r = org_cli("vendors", "add", "--name", "雲端資服公司", "--service", "購物網站維運（會員、訂單）",
                "--contract-start", "2025-01-01", "--contract-end", "2026-12-31", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["missing_items"] == ER_ART8 and doc["review_interval_months"] == 12
    assert doc["next_review_due"] == "2026-01-01"
    for item in ER_ART8[:5]:
        assert org_cli("vendors", "check", "1", "--item", item, "--state", "agreed", "--clause", "第5條").code == 0
    doc = org_cli("vendors", "check", "雲端資服公司", "--item", "return_deletion", "--state", "missing",
                  "--note", "契約未約定刪除", "--json").json
    assert doc["missing_items"] == ["return_deletion"]
    doc = org_cli("vendors", "check", "1", "--item", "return_deletion", "--state", "agreed", "--json").json
    assert doc["missing_items"] == []
    states = {c["code"]: c["state"] for c in doc["checklist"]}
    assert states["audit_right"] == "missing"  # seed 003 clause, reported but not an ER Art 8 gap
    assert org_cli("vendors", "check", "1", "--item", "nonsense", "--state", "agreed").code == 2
    assert org_cli("vendors", "check", "1", "--item", "scope", "--state", "maybe").code == 2
    assert org_cli("vendors", "check", "9", "--item", "scope", "--state", "agreed").code == 2


def test_bad_vendor_input(org_cli):
    for args in (["--name", "X", "--service", "s", "--ubn", "12345678"],
                 ["--name", "X", "--service", "s", "--contract-start", "2026-02-01", "--contract-end", "2026-01-01"],
                 ["--name", "X", "--service", "s", "--review-every", "0"],
                 ["--name", " ", "--service", "s"],
                 ["--name", "X", "--service", "s", "--contract-start", "yesterday"]):
        r = org_cli("vendors", "add", *args, "--json")
        assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
    assert org_cli("vendors", "add", "--name", "X", "--service", "s").code == 0
    assert org_cli("vendors", "add", "--name", "X", "--service", "s").code == 2  # duplicate


def test_reviews_certificates_and_contract_end_drive_reminders(session):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    v = svc.add_vendor(session, org, name="物流商", service="配送（姓名、地址、電話）", actor="t",
                       contract_start=date(2025, 1, 31), contract_end=date(2026, 3, 15), review_months=6)
    today = date(2026, 1, 10)
    # Never reviewed: due six months after the contract start, clamped to the month's end.
    assert svc.vendor_status(session, v, today)["next_review_due"] == date(2025, 7, 31)
    svc.add_review(session, s, org, v, method="self_assessment", result="satisfactory", actor="t",
                   reviewed_on=date(2025, 8, 20))
    st = svc.vendor_status(session, v, today)
    assert st["next_review_due"] == date(2026, 2, 20) and not st["review_overdue"]
    svc.add_certification(session, v, standard="iso27001", valid_until=date(2026, 1, 31), actor="t",
                          certificate_no="TW-001")
    kinds = {r["kind"]: r for r in svc.reminders(session, org, today, within_days=30)}
    assert set(kinds) == {"certification", "checklist", "selection"}
    assert kinds["certification"]["due"] == date(2026, 1, 31) and not kinds["certification"]["overdue"]
    later = {r["kind"]: r for r in svc.reminders(session, org, date(2026, 2, 25), within_days=30)}
    assert later["review"]["overdue"] and later["certification"]["overdue"]
    assert later["contract_end"]["due"] == date(2026, 3, 15)
    # A renewed certificate replaces the expiring one in the reminders.
    svc.add_certification(session, v, standard="iso27001", valid_until=date(2029, 1, 31), actor="t",
                          certificate_no="TW-002")
    assert "certification" not in {r["kind"] for r in svc.reminders(session, org, date(2026, 2, 25), 30)}
    made = svc.record_findings(session, org, svc.reminders(session, org, date(2026, 2, 25), 30))
    again = svc.record_findings(session, org, svc.reminders(session, org, date(2026, 2, 25), 30))
    assert made == 1 and again == 0
    finding = session.scalar(sa.select(Finding).where(Finding.source == "vendors"))
    assert "物流商" in finding.title and finding.detail["kind"] == "review"
    with pytest.raises(GeziError):
        svc.add_review(session, s, org, v, method="gut_feeling", result="satisfactory", actor="t",
                       reviewed_on=today)
    with pytest.raises(GeziError):
        svc.add_certification(session, v, standard="iso9001", valid_until=today, actor="t")


def test_selection_assessment_needs_financial_and_professional_ratings(org_cli, tmp_path):
    org_cli("vendors", "add", "--name", "資服商", "--service", "系統開發")
    missing = org_cli("vendors", "select", "1", "--rate", "financial_status=adequate", "--decision", "selected")
    assert missing.code == 2 and "professional_capability" in missing.err
    assert org_cli("vendors", "select", "1", "--rate", "financial_status=great", "--rate",
                   "professional_capability=adequate", "--decision", "selected").code == 2
    assert org_cli("vendors", "select", "1", "--rate", "financial_status", "--decision", "selected").code == 2
    report = tmp_path / "選商評估.txt"
    report.write_text("近三年財報、ISO 27001 證書、專案經歷", encoding="utf-8")
    r = org_cli("vendors", "select", "1", "--rate", "financial_status=adequate:近三年獲利",
                "--rate", "professional_capability=concerns:僅一名資安人員", "--decision", "conditional",
                "--file", str(report), "--on", "114/12/01", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["assessed_on"] == "2025-12-01" and doc["decision"] == "conditional"
    assert doc["ratings"]["professional_capability"] == {"rating": "concerns", "note": "僅一名資安人員"}
    with session_scope(get_settings()) as session:
        linked = evidence_for(session, "vendor", ["1"])["1"]
    assert [(e.id, e.kind) for e in linked] == [(doc["evidence_id"], "vendor_assessment")]
    reminders = org_cli("vendors", "due", "--within", "400", "--json").json["reminders"]
    assert "selection" not in {x["kind"] for x in reminders}


def test_review_report_is_kept_as_evidence_and_changes_are_audited(session, tmp_path):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    v = svc.add_vendor(session, org, name="客服外包", service="客服（會員資料）", actor="t")
    report = tmp_path / "audit.pdf"
    report.write_bytes(b"%PDF-1.4 onsite audit report")
    review = svc.add_review(session, s, org, v, method="onsite_audit", result="issues", actor="t",
                            reviewed_on=date(2026, 6, 1), note="權限未定期檢視", file=report)
    linked = evidence_for(session, "vendor", [str(v.id)])[str(v.id)]
    assert [e.id for e in linked] == [review.evidence_id] and linked[0].kind == "other_record"
    session.flush()
    tables = {e.table_name for e in session.scalars(sa.select(AuditEntry))}
    assert {"vendors", "vendor_reviews", "evidence"} <= tables


def test_termination_stays_on_the_reminders_until_return_and_deletion_are_confirmed(org_cli, tmp_path):
    org_cli("vendors", "add", "--name", "舊客服商", "--service", "客服（會員資料）")
    r = org_cli("vendors", "terminate", "1", "--returned", "--on", "2026-10-31", "--json")
    assert r.code == 0, r.err
    assert r.json["status"] == "terminated"
    assert r.json["termination"] == {"on": "2026-10-31", "data_returned": True, "data_deleted": False,
                                     "note": None, "evidence_id": None}
    pending = org_cli("vendors", "due", "--json").json["reminders"]
    assert [(x["kind"], x["due"], x["overdue"]) for x in pending] == [("termination", "2026-10-31", True)]
    proof = tmp_path / "刪除證明.pdf"
    proof.write_bytes(b"%PDF-1.4 deletion certificate")
    r = org_cli("vendors", "terminate", "舊客服商", "--returned", "--deleted", "--file", str(proof),
                "--note", "廠商出具銷毀證明", "--json")
    assert r.code == 0, r.err
    assert r.json["termination"]["on"] == "2026-10-31" and r.json["termination"]["data_deleted"] is True
    assert org_cli("vendors", "due", "--json").json["reminders"] == []
    with session_scope(get_settings()) as session:
        kinds = [e.kind for e in evidence_for(session, "vendor", ["1"])["1"]]
    assert kinds == ["deletion_destruction"]


def test_text_longer_than_its_column_is_a_one_line_error_on_both_databases(org_cli):
    r = org_cli("vendors", "add", "--name", "廠" * 201, "--service", "s", "--json")
    assert r.code == 2 and r.out == "" and "too long" in r.err and len(r.err.strip().splitlines()) == 1
    assert org_cli("vendors", "add", "--name", "廠" * 200, "--service", "s").code == 0
    long_clause = org_cli("vendors", "check", "1", "--item", "scope", "--state", "agreed", "--clause", "條" * 301)
    assert long_clause.code == 2 and "clause" in long_clause.err


def _audit_count() -> int:
    with session_scope(get_settings()) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def _refused(cli, *args: str) -> None:
    before = _audit_count()
    r = cli(*args)
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
    assert "Traceback" not in r.err and _audit_count() == before, args


def test_odd_vendor_refs_and_intervals_beyond_the_calendar_are_one_line_errors(org_cli):
    assert org_cli("vendors", "add", "--name", "雲端資服公司", "--service", "主機代管").code == 0
    # "²" is a digit to str.isdigit but not an int; a huge interval runs past year 9999.
    _refused(org_cli, "vendors", "show", "²")
    _refused(org_cli, "vendors", "add", "--name", "X", "--service", "s", "--review-every", "2000000")
    with pytest.raises(GeziError):
        svc.add_months(date(9999, 6, 1), 12)
    assert svc.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_future_review_selection_or_termination_dates_are_refused(org_cli, tmp_path):
    assert org_cli("vendors", "add", "--name", "雲端資服公司", "--service", "主機代管").code == 0
    # A review dated next year would push the next confirmation out and hide an overdue one.
    _refused(org_cli, "vendors", "review", "1", "--method", "onsite_audit", "--result", "issues",
             "--on", "2099-01-01")
    _refused(org_cli, "vendors", "select", "1", "--rate", "financial_status=adequate",
             "--rate", "professional_capability=adequate", "--decision", "selected", "--on", "2099-01-01")
    _refused(org_cli, "vendors", "terminate", "1", "--returned", "--deleted", "--on", "2099-01-01")
    _refused(org_cli, "vendors", "review", "1", "--method", "onsite_audit", "--result", "issues", "--on", "")
    ok = org_cli("vendors", "review", "1", "--method", "onsite_audit", "--result", "satisfactory",
                 "--on", "114/11/20", "--json")
    assert ok.code == 0 and ok.json["next_review_due"] == "2026-11-20"


def test_recording_a_renewed_certificate_with_the_same_number_updates_its_expiry(org_cli):
    assert org_cli("vendors", "add", "--name", "雲端資服公司", "--service", "主機代管").code == 0
    cert = ["vendors", "cert", "1", "--standard", "iso27001", "--number", "TW-12345"]
    assert org_cli(*cert, "--valid-until", "2026-06-30").code == 0
    r = org_cli(*cert, "--valid-until", "2029-06-30", "--json")
    assert r.code == 0, r.err
    certs = org_cli("vendors", "show", "1", "--json").json["certifications"]
    assert [(c["certificate_no"], c["valid_until"]) for c in certs] == [("TW-12345", "2029-06-30")]
    with session_scope(get_settings()) as s:
        trail = [e.action for e in s.scalars(sa.select(AuditEntry)) if e.table_name == "vendor_certifications"]
    assert trail == ["insert", "update"]


def test_a_vendor_named_by_a_number_too_big_for_an_id_is_found_by_name(org_cli):
    assert org_cli("vendors", "add", "--name", "99999999999", "--service", "s").code == 0
    r = org_cli("vendors", "show", "99999999999", "--json")
    assert r.code == 0, r.err
    assert r.json["name"] == "99999999999"


def test_reminder_kinds_and_opt_out_dates_read_in_zh_tw(org_cli):
    added = org_cli("vendors", "add", "--name", "物流商", "--service", "配送", "--contract-start", "2024-01-01")
    assert added.code == 0
    shown = org_cli("vendors", "due")
    assert shown.code == 0 and "定期確認" in shown.out and "選商評估" in shown.out
    assert "│ selection " not in shown.out
    org_cli("optout", "add", "--phone", "0912345678", "--since", "2026-11-01T09:30")
    check = org_cli("optout", "check", "--phone", "0912345678", "--roc")
    assert "115年11月01日" in check.out and "+08:00" not in check.out


def test_reminder_edges_expiry_day_is_still_valid_and_the_horizon_day_is_included(session):
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    v = svc.add_vendor(session, org, name="金流商", service="刷卡（卡號末四碼）", actor="t",
                       contract_start=date(2025, 2, 28), review_months=12)
    today = date(2026, 2, 28)
    svc.add_certification(session, v, standard="iso27001", valid_until=today, actor="t", certificate_no="A")
    svc.add_certification(session, v, standard="bs10012", valid_until=date(2026, 3, 30), actor="t",
                          certificate_no="B")
    st = svc.vendor_status(session, v, today)
    assert [c["expired"] for c in st["certifications"]] == [False, False]  # valid through its last day
    assert st["next_review_due"] == today and not st["review_overdue"]  # due today, not yet overdue
    dated = [(r["kind"], r["due"], r["overdue"]) for r in svc.reminders(session, org, today, 30) if r["due"]]
    # 2026-03-30 is exactly today + 30 days: included; none is overdue yet.
    assert sorted(dated) == [("certification", date(2026, 2, 28), False),
                             ("certification", date(2026, 3, 30), False), ("review", today, False)]
    assert not any("bs10012" in r["detail"] for r in svc.reminders(session, org, today, within_days=29))
    next_day = svc.reminders(session, org, date(2026, 3, 1), within_days=0)
    assert {(r["kind"], r["overdue"]) for r in next_day if r["due"]} == {("review", True), ("certification", True)}


def test_adding_the_deletion_proof_later_keeps_the_earlier_return_confirmation(org_cli, tmp_path):
    org_cli("vendors", "add", "--name", "舊客服商", "--service", "客服（會員資料）")
    assert org_cli("vendors", "terminate", "1", "--returned", "--on", "2026-10-31").code == 0
    proof = tmp_path / "刪除證明.pdf"
    proof.write_bytes(b"%PDF-1.4 deletion certificate")
    r = org_cli("vendors", "terminate", "1", "--deleted", "--file", str(proof), "--json")
    assert r.code == 0, r.err
    assert r.json["termination"]["data_returned"] is True and r.json["termination"]["data_deleted"] is True
    assert org_cli("vendors", "due", "--json").json["reminders"] == []
    fresh = org_cli("vendors", "add", "--name", "新廠商", "--service", "s", "--json").json["id"]
    first = org_cli("vendors", "terminate", str(fresh), "--on", "2026-11-01", "--json").json["termination"]
    assert first["data_returned"] is False and first["data_deleted"] is False
