"""Data-subject requests on SQLite and PostgreSQL: due moments at the clock edges, the one
extension with its written notice, decisions, fees, overdue listing and masked subjects."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from docx import Document

from gezi.compliance.evidence import blob_path, evidence_for
from gezi.compliance.models import Evidence
from gezi.core.audit import AuditEntry
from gezi.core.errors import GeziError
from gezi.core.settings import get_settings
from gezi.core.timeutil import TAIPEI, as_utc, now_utc
from gezi.org.service import add_org
from gezi.privacy import clocks
from gezi.privacy import requests as svc
from gezi.privacy.ops_models import DataSubjectRequest

UBN = "04595257"


def taipei(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


@pytest.fixture(autouse=True)
def _fresh_clocks():
    clocks.clear_cache()
    yield
    clocks.clear_cache()


@pytest.fixture
def org_cli(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    return cli


def new(cli, *args: str):
    return cli("requests", "new", "--subject", "王小明", "--contact", "0912345678", *args, "--json")


def test_received_2359_taipei_due_end_of_day_15_calendar_days_later_even_on_a_saturday(org_cli):
    # Friday 2026-11-20 23:59 Taipei (15:59 UTC): the receipt day is not counted; 15 calendar days
    # end on Saturday 2026-12-05 at 23:59:59 Taipei — calendar counting does not move weekends.
    r = new(org_cli, "--type", "copy", "--received", "2026-11-20T23:59:00+08:00", "--channel", "web")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["due"] == "2026-12-05T23:59:59+08:00"
    assert datetime.fromisoformat(doc["due"]).weekday() == 5
    assert doc["counting"] == "calendar" and doc["clock"] == "TW-PDPA-A13-1"
    assert doc["received_at"] == "2026-11-20T23:59:00+08:00"
    # One minute later is the next Taipei day although UTC is still 2026-11-20.
    later = new(org_cli, "--type", "copy", "--received", "2026-11-20T16:00:00Z").json
    assert later["due"] == "2026-12-06T23:59:59+08:00"
    # Art 11 requests run 30 days.
    delete = new(org_cli, "--type", "delete", "--received", "2026-11-20T23:59").json
    assert delete["due"] == "2026-12-20T23:59:59+08:00" and delete["clock"] == "TW-PDPA-A13-2"


def test_business_day_counting_is_a_data_setting(org_cli, tmp_path, monkeypatch):
    data = yaml.safe_load((clocks.CLOCK_DIR / "pdpa-2023.yaml").read_text(encoding="utf-8"))
    for clock in data["clocks"]:
        if clock["purpose"] == "request":
            clock["counting"] = "business"
    folder = tmp_path / "cat" / "privacy" / "clocks"
    folder.mkdir(parents=True)
    (folder / "pdpa-2023.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(tmp_path / "cat"))
    clocks.clear_cache()
    doc = new(org_cli, "--type", "copy", "--received", "2026-11-20T23:59").json
    # 15 working days after Friday 2026-11-20: Friday 2026-12-11.
    assert doc["due"] == "2026-12-11T23:59:59+08:00" and doc["counting"] == "business"


def test_extension_once_with_reason_and_written_notice_kept_as_evidence(org_cli):
    rid = new(org_cli, "--type", "copy", "--received", now_iso(-2)).json["id"]
    before = org_cli("requests", "list", "--json").json["requests"][0]["due"]
    assert org_cli("requests", "extend", str(rid), "--reason", "  ").code == 2
    r = org_cli("requests", "extend", str(rid), "--reason", "調閱備份資料需時", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["extended"] and doc["extension_reason"] == "調閱備份資料需時"
    assert datetime.fromisoformat(doc["due"]) - datetime.fromisoformat(before) == timedelta(days=15)
    text = doc["notice"]["text"]
    assert "延長處理期限通知書" in text and "調閱備份資料需時" in text and "王○明" in text
    assert "王小明" not in text and "個人資料保護法第13條第1項" in text and "民國" in text
    names = sorted(e["filename"].rsplit(".", 1)[1] for e in doc["notice"]["evidence"])
    assert names == ["docx", "txt"]
    docx_ev = next(e for e in doc["notice"]["evidence"] if e["filename"].endswith(".docx"))
    paragraphs = [p.text for p in Document(str(blob_path(get_settings(), docx_ev["sha256"]))).paragraphs]
    assert "延長處理期限通知書" in paragraphs[0] and any("調閱備份資料需時" in p for p in paragraphs)
    again = org_cli("requests", "extend", str(rid), "--reason", "再延一次", "--json")
    assert again.code == 2 and "一次" in again.err and again.out == ""


def now_iso(days: int) -> str:
    return (now_utc() + timedelta(days=days)).isoformat()


def test_no_extension_after_the_period_ran_out(session):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    req = svc.new_request(session, s, org, request_type="query", received_at=taipei(2026, 1, 5, 10, 0),
                          subject="王小明", actor="t", now=taipei(2026, 1, 5, 10, 0))
    assert req.due_at == taipei(2026, 1, 20, 23, 59, 59)
    with pytest.raises(GeziError, match="逾處理期限"):
        svc.extend_request(session, s, org, req, "太晚了", "t", now=taipei(2026, 1, 21, 0, 0))
    text, evidence = svc.extend_request(session, s, org, req, "資料量大", "t", now=taipei(2026, 1, 20, 23, 0))
    assert as_utc(req.due_at) == taipei(2026, 2, 4, 23, 59, 59)
    assert {e.kind for e in evidence} == {"data_subject_request"}
    linked = evidence_for(session, "privacy_request", [str(req.id)])[str(req.id)]
    assert len(linked) == 2
    assert "115年02月04日" in text


def test_decisions_need_identity_reasons_and_fees_only_for_access(org_cli):
    copy_id = new(org_cli, "--type", "copy", "--received", now_iso(-1)).json["id"]
    delete_id = new(org_cli, "--type", "delete", "--received", now_iso(-1)).json["id"]
    granted = org_cli("requests", "close", str(copy_id), "--decision", "granted", "--fee", "50")
    assert granted.code == 2 and "verify-identity" in granted.err
    assert org_cli("requests", "verify-identity", str(copy_id), "--method", "會員登入後台核對").code == 0
    assert org_cli("requests", "verify-identity", str(delete_id), "--method", "臨櫃核對身分證").code == 0
    again = org_cli("requests", "verify-identity", str(delete_id), "--method", "電話回撥")
    assert again.code == 2 and "已於" in again.err and len(again.err.strip().splitlines()) == 1
    shown = org_cli("requests", "show", str(delete_id), "--json").json
    assert shown["identity_method"] == "臨櫃核對身分證"  # the first check is kept
    refused = org_cli("requests", "close", str(delete_id), "--decision", "refused")
    assert refused.code == 2 and "理由" in refused.err
    partial = org_cli("requests", "close", str(delete_id), "--decision", "partially")
    assert partial.code == 2
    fee_on_delete = org_cli("requests", "close", str(delete_id), "--decision", "granted", "--fee", "100")
    assert fee_on_delete.code == 2 and "第14條" in fee_on_delete.err
    r = org_cli("requests", "close", str(copy_id), "--decision", "granted", "--fee", "50", "--json")
    assert r.code == 0, r.err
    assert r.json["status"] == "closed" and r.json["fee"] == 50 and not r.json["overdue"]
    r = org_cli("requests", "close", str(delete_id), "--decision", "refused", "--reason",
                "依法令應保存之交易紀錄", "--json")
    assert r.code == 0 and r.json["decision_reason"] == "依法令應保存之交易紀錄"
    assert org_cli("requests", "close", str(delete_id), "--decision", "granted").code == 2  # already closed
    assert org_cli("requests", "close", "999", "--decision", "granted").code == 2
    assert org_cli("requests", "close", str(copy_id), "--decision", "maybe").code == 2


def test_list_due_within_flags_overdue_and_hides_later_ones(org_cli):
    overdue = new(org_cli, "--type", "query", "--received", now_iso(-20)).json["id"]
    soon = new(org_cli, "--type", "query", "--received", now_iso(-13)).json["id"]
    later = new(org_cli, "--type", "delete", "--received", now_iso(-1)).json["id"]
    doc = org_cli("requests", "list", "--due-within", "3", "--json").json
    ids = [d["id"] for d in doc["requests"]]
    assert ids == [overdue, soon] and later not in ids
    flags = {d["id"]: d["overdue"] for d in doc["requests"]}
    assert flags == {overdue: True, soon: False} and doc["overdue"] == 1
    assert len(org_cli("requests", "list", "--json").json["requests"]) == 3
    assert org_cli("requests", "list", "--due-within", "-1").code == 2
    table = org_cli("requests", "list", "--due-within", "3")
    assert table.code == 0 and "逾期" in table.out


def test_bad_input_is_one_line_exit_2(org_cli):
    for args in (["--type", "erase", "--received", "2026-11-20T10:00"],
                 ["--type", "copy", "--received", "yesterday"],
                 ["--type", "copy", "--received", now_iso(3)]):
        r = new(org_cli, *args)
        assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
    r = org_cli("requests", "new", "--type", "copy", "--received", "2026-11-20T10:00", "--subject", " ", "--json")
    assert r.code == 2


def test_subject_and_contact_are_stored_masked_and_hashed_only(org_cli):
    doc = new(org_cli, "--type", "view", "--received", now_iso(-1)).json
    assert doc["subject"] == "王○明" and doc["contact"] == "0912-***-678"
    listed = org_cli("requests", "list", "--json").out
    assert "王小明" not in listed and "0912345678" not in listed
    # Found again by the same name through the keyed digest.
    assert len(org_cli("requests", "list", "--subject", "王小明", "--json").json["requests"]) == 1
    assert org_cli("requests", "list", "--subject", "李大華", "--json").json["requests"] == []
    from gezi.core.db import session_scope

    with session_scope(get_settings()) as s:
        row = s.scalar(sa.select(DataSubjectRequest))
        dumped = " ".join(str(v) for v in row.__dict__.values())
        trail = [e for e in s.scalars(sa.select(AuditEntry)) if e.table_name == "privacy_requests"]
        trail_text = " ".join(f"{e.before} {e.after}" for e in trail)
    for raw in ("王小明", "0912345678", "+886912345678"):
        assert raw not in dumped and raw not in trail_text
    assert trail and trail[0].action == "insert"


def test_every_step_is_on_the_audit_trail_and_closing_keeps_a_handling_record(session):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    req = svc.new_request(session, s, org, request_type="correct", received_at=now_utc() - timedelta(days=2),
                          subject="陳美麗", actor="t")
    svc.verify_identity(session, req, "電話回撥確認", "t")
    svc.extend_request(session, s, org, req, "需向門市調閱紙本", "t")
    ev = svc.close_request(session, s, org, req, "partially", "部分欄位為交易憑證須保存", "t")
    assert ev.kind == "data_subject_request"
    record = Path(blob_path(s, ev.sha256)).read_text(encoding="utf-8")
    assert "部分准予" in record and "陳○麗" in record and "需向門市調閱紙本" in record and "是否於期限內：是" in record
    assert "；日曆天）" in record and "calendar" not in record
    session.flush()
    actions = [e.action for e in session.scalars(sa.select(AuditEntry).where(
        AuditEntry.table_name == "privacy_requests").order_by(AuditEntry.seq))]
    assert actions[0] == "insert" and actions.count("update") >= 3
    kinds = {e.kind for e in session.scalars(sa.select(Evidence))}
    assert kinds == {"data_subject_request"}


def test_overdue_requests_become_findings_once_and_show_lists_evidence(org_cli):
    late = new(org_cli, "--type", "stop", "--received", now_iso(-40)).json["id"]
    new(org_cli, "--type", "stop", "--received", now_iso(-1))
    doc = org_cli("requests", "list", "--record-findings", "--json").json
    assert doc["findings_created"] == 1 and doc["overdue"] == 1
    assert org_cli("requests", "list", "--record-findings", "--json").json["findings_created"] == 0
    from gezi.compliance.models import Finding
    from gezi.core.db import session_scope

    with session_scope(get_settings()) as s:
        finding = s.scalar(sa.select(Finding).where(Finding.source == "requests"))
        assert finding.severity == "high" and finding.detail["request_id"] == late
    org_cli("requests", "verify-identity", str(late), "--method", "臨櫃")
    org_cli("requests", "close", str(late), "--decision", "granted")
    shown = org_cli("requests", "show", str(late), "--json").json
    assert shown["overdue"] is True and shown["status"] == "closed"  # decided after the due moment
    assert [e["kind"] for e in shown["evidence"]] == ["data_subject_request"]
    assert org_cli("requests", "show", str(late)).code == 0
    assert org_cli("requests", "show", "404").code == 2


def test_empty_subject_search_or_contact_is_an_error_not_everything(org_cli):
    assert new(org_cli, "--type", "view", "--received", now_iso(-1)).code == 0
    r = org_cli("requests", "list", "--subject", "", "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1
    r = org_cli("requests", "new", "--type", "view", "--received", now_iso(-1), "--subject", "李大華",
                "--contact", " ", "--json")
    assert r.code == 2 and r.out == "" and "--contact" in r.err


def test_fee_and_id_beyond_an_integer_column_are_refused_alike_on_both_databases(org_cli):
    rid = new(org_cli, "--type", "copy", "--received", now_iso(-1)).json["id"]
    assert org_cli("requests", "verify-identity", str(rid), "--method", "臨櫃核對身分證").code == 0
    # SQLite would have stored NT$9,999,999,999; PostgreSQL's integer refuses it.
    r = org_cli("requests", "close", str(rid), "--decision", "granted", "--fee", "9999999999", "--json")
    assert r.code == 2 and r.out == "" and "--fee" in r.err
    r = org_cli("requests", "show", "2147483648", "--json")
    assert r.code == 2 and "#2147483648" in r.err and len(r.err.strip().splitlines()) == 1
    assert org_cli("requests", "show", str(rid), "--json").json["status"] == "open"


def test_listing_and_fee_refusal_speak_the_officers_language(org_cli):
    rid = new(org_cli, "--type", "delete", "--received", now_iso(-1)).json["id"]
    listing = org_cli("requests", "list")
    assert listing.code == 0 and "處理中" in listing.out and "open" not in listing.out
    org_cli("requests", "verify-identity", str(rid), "--method", "臨櫃核對身分證")
    r = org_cli("requests", "close", str(rid), "--decision", "granted", "--fee", "50")
    assert r.code == 2 and "刪除 不得收費" in r.err and "個人資料保護法第14條" in r.err
    assert "tw-legal-catalog" not in r.err


def test_subject_search_finds_the_person_however_the_name_was_spaced_or_typed(org_cli):
    for name in ("王 小明", "Wang Xiao-Ming"):
        r = org_cli("requests", "new", "--type", "view", "--received", now_iso(-1), "--subject", name, "--json")
        assert r.code == 0, r.err
    for query, want in (("王小明", 1), ("王　小明", 1), ("ＷＡＮＧ ＸＩＡＯ-ＭＩＮＧ", 2), ("wangxiao-ming", 2)):
        found = org_cli("requests", "list", "--subject", query, "--json").json["requests"]
        assert [d["id"] for d in found] == [want], query


def test_a_full_width_e_mail_contact_is_taken_as_an_e_mail(org_cli):
    r = org_cli("requests", "new", "--type", "view", "--received", now_iso(-1), "--subject", "王小明",
                "--contact", "ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "--json")
    assert r.code == 0, r.err
    assert r.json["contact"] == "w***@example.com"


def test_due_within_counts_taipei_days_so_a_deadline_at_day_end_is_included(session):
    s = get_settings()
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    req = svc.new_request(session, s, org, request_type="query", received_at=taipei(2026, 11, 1, 10, 0),
                          subject="陳美麗", actor="t", now=taipei(2026, 11, 1, 10, 0))
    assert as_utc(req.due_at) == as_utc(taipei(2026, 11, 16, 23, 59, 59))
    morning = taipei(2026, 11, 13, 9, 0)  # 3 days and 15 hours before the deadline
    assert [r.id for r in svc.list_requests(session, org, due_within=3, now=morning)] == [req.id]
    assert svc.list_requests(session, org, due_within=2, now=morning) == []


@pytest.mark.parametrize("step", ["extend", "close", "verify"])
def test_two_commands_at_once_extend_or_close_once(initialized, cli, step):
    """Regression: two `requests extend` (or `close`, or `verify-identity`) at once both read the
    row unchanged and both went through (two extensions, two notices; two identity checks, the
    second overwriting the first). The row is locked first, so the second waits, reads the first
    one's commit and is refused."""
    import threading

    from gezi.core.db import session_scope
    from gezi.org.service import resolve_org

    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    rid = new(cli, "--type", "copy", "--received", now_iso(-2)).json["id"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(n: int) -> None:
        s = get_settings()
        try:
            with session_scope(s) as session:
                org = resolve_org(session, None)
                req = svc.get_request(session, org, rid)
                barrier.wait()  # both have read the request before either writes
                if step == "extend":
                    svc.extend_request(session, s, org, req, f"理由{n}", "t")
                elif step == "verify":
                    svc.verify_identity(session, req, f"方式{n}", f"t{n}")
                else:
                    svc.close_request(session, s, org, req, "refused", f"理由{n}", "t")
            outcomes.append("ok")
        except GeziError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes)[0] == "ok" and len(outcomes) == 2
    refusal = {"extend": "已延長過一次", "close": "已結案", "verify": "完成身分確認"}[step]
    assert refusal in sorted(outcomes)[1]
    with session_scope(get_settings()) as session:
        linked = evidence_for(session, "privacy_request", [str(rid)]).get(str(rid), [])
        # one notice (txt + docx) / one handling record / none
        assert len(linked) == {"extend": 2, "close": 1, "verify": 0}[step]
        updates = [(e.before, e.after) for e in session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name == "privacy_requests", AuditEntry.action == "update"))]
        key = {"extend": "extended", "close": "status", "verify": "identity_verified_by"}[step]
        # one extension / one closing / one identity check, never overwritten
        assert len([after[key] for before, after in updates if before[key] != after[key]]) == 1
