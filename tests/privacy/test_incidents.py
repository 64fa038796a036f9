"""`gezi incidents`: duties from the clock catalog, timeline, closing, notices (SQLite + PG)."""

from __future__ import annotations

from datetime import datetime, timedelta

import docx
import pytest
from pypdf import PdfReader

from gezi.core.timeutil import TAIPEI, parse_datetime

UBN = "04595257"  # a valid 統一編號 (checksum)
DETECTED = "2026-03-06T23:59:00+08:00"


def _org(cli, industry: str = "ecommerce") -> None:
    r = cli("org", "add", "--name", "好物網購股份有限公司", "--ubn", UBN, "--industry", industry)
    assert r.code == 0, r.err


def _new(cli, *extra: str):
    r = cli("incidents", "new", "--title", "會員資料遭駭客竊取", "--detected-at", DETECTED,
            *extra, "--json")
    assert r.code == 0, r.err
    return r.json


def _by_id(doc):
    return {o["id"]: o for o in doc["obligations"]}


def _due(doc, clock_id):
    return parse_datetime(_by_id(doc)[clock_id]["due"])


def test_new_ecommerce_breach_lists_binding_then_advisory(initialized, cli):
    _org(cli)
    doc = _new(cli, "--affected", "150", "--data", "姓名,電話")
    ob = _by_id(doc)
    assert ob["TW-MODA-DE-A08-report"]["binding"] is True
    assert _due(doc, "TW-MODA-DE-A08-report") == \
        datetime(2026, 3, 9, 23, 59, tzinfo=TAIPEI)
    assert ob["TW-MODA-DE-A08-report"]["source"].startswith("數位經濟相關產業")
    assert ob["TW-PDPA-A12@2023"]["binding"] is True and ob["TW-PDPA-A12@2023"]["due"] is None
    assert ob["TW-PDPC-DRAFT-INC-A03-report"]["binding"] is False
    assert ob["TW-PDPA-A12@2025-notice"]["binding"] is False
    flags = [o["binding"] for o in doc["obligations"]]
    assert flags == sorted(flags, reverse=True)  # never interleaved
    for o in doc["obligations"]:
        assert set(o) >= {"id", "description", "due", "binding", "source"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in o["description"])  # zh-TW text
    assert doc["data_categories"] == ["姓名", "電話"]


def test_affected_below_draft_threshold_and_update_recomputes(initialized, cli):
    _org(cli)
    doc = _new(cli, "--affected", "99")
    assert "TW-PDPC-DRAFT-INC-A03-report" not in _by_id(doc)
    r = cli("incidents", "update", str(doc["id"]), "--affected", "100", "--json")
    assert r.code == 0, r.err
    assert r.json["changed"] == ["affected"]
    assert "TW-PDPC-DRAFT-INC-A03-report" in _by_id(r.json)
    r = cli("incidents", "update", str(doc["id"]), "--not-major", "--json")
    assert "TW-MODA-DE-A08-report" not in _by_id(r.json)
    r = cli("incidents", "show", str(doc["id"]), "--json")
    updates = [e for e in r.json["timeline"] if e["kind"] == "update"]
    assert len(updates) == 3 and "affected" in updates[1]["text"]


def test_broker_security_incident_follows_seed_003(initialized, cli):
    _org(cli, "broker")
    doc = _new(cli, "--kind", "security", "--affected", "0")
    start = parse_datetime(DETECTED)
    assert _due(doc, "TWSE-BROKER-INC-initial") == start + timedelta(minutes=30)
    assert _due(doc, "TWSE-BROKER-INC-formal") == start + timedelta(hours=24)
    assert _due(doc, "TWSE-BROKER-INC-closure") == start + timedelta(days=3)
    assert _by_id(doc)["TWSE-BROKER-INC-initial"]["caveat"]
    assert "TW-CSMA-INC-A04-A11" not in _by_id(doc)
    assert "TW-PDPA-A12@2023" not in _by_id(doc)  # no personal data affected
    r = cli("incidents", "settings", "--csma-specific-agency", "--json")
    assert r.json["csma_specific_agency"] is True
    doc2 = _new(cli, "--kind", "security")
    assert _due(doc2, "TW-CSMA-INC-A04-A11") == start + timedelta(hours=1)


def test_government_gets_one_hour_and_advisory_can_be_hidden(initialized, cli):
    _org(cli, "government")
    doc = _new(cli, "--kind", "security", "--affected", "20000", "--special-categories")
    assert _by_id(doc)["TW-CSMA-INC-A04-A11"]["binding"] is True
    assert _by_id(doc)["TW-PDPC-DRAFT-INC-A03-report"]["binding"] is False
    assert cli("incidents", "settings", "--hide-advisory").code == 0
    doc2 = _new(cli, "--kind", "security", "--affected", "20000")
    assert all(o["binding"] for o in doc2["obligations"])


def test_timeline_done_and_close(initialized, cli, session):
    _org(cli)
    doc = _new(cli, "--affected", "3")
    iid = str(doc["id"])
    r = cli("incidents", "timeline", iid, "--add", "委請資安公司鑑識", "--json")
    assert r.code == 0 and r.json["timeline"][-1]["kind"] == "investigation"
    assert cli("incidents", "timeline", iid, "--add", "致電數位發展部承辦人", "--kind",
               "contact").code == 0
    r = cli("incidents", "close", iid, "--note", "處理完畢")
    assert r.code == 2 and "binding duties still open" in r.err
    late = cli("incidents", "done", iid, "TW-MODA-DE-A08-report", "--note", "已通報數位部",
               "--at", "2026-03-10T09:00", "--json")
    assert late.code == 0 and late.json["late"] is True
    # regressions: a duty recorded twice overwrote the first record; a future or pre-detection
    # completion time was accepted (a future one hides lateness)
    again = cli("incidents", "done", iid, "TW-MODA-DE-A08-report", "--note", "改寫")
    assert again.code == 2 and "already recorded" in again.err
    report = next(o["id"] for o in doc["obligations"] if o["binding"] and o["id"] !=
                  "TW-MODA-DE-A08-report")
    for at, needle in (("2099-01-01T00:00", "in the future"), ("2026-03-01T00:00", "before")):
        bad = cli("incidents", "done", iid, report, "--note", "x", "--at", at)
        assert bad.code == 2 and needle in bad.err
    assert cli("incidents", "timeline", iid, "--add", "x", "--at", "2099-01-01T00:00").code == 2
    for o in doc["obligations"]:
        if o["binding"] and o["id"] != "TW-MODA-DE-A08-report":
            r = cli("incidents", "done", iid, o["id"], "--note", "已完成", "--json")
            assert r.code == 0 and r.json["done_at"] and r.json["late"] is False
    shown = cli("incidents", "show", iid, "--roc")
    assert shown.code == 0 and "115年03月09日 23:59" in shown.out and "已完成" in shown.out
    assert cli("incidents", "list").code == 0
    r = cli("incidents", "close", iid, "--note", "處理完畢", "--json")
    assert r.code == 0 and r.json["status"] == "closed"
    kinds = [e["kind"] for e in cli("incidents", "show", iid, "--json").json["timeline"]]
    assert {"investigation", "contact", "report", "notice", "update"} <= set(kinds)

    from gezi.core.audit import history

    assert {e.table_name for e in history(session, None, limit=500)} >= {
        "incidents", "incident_duties", "incident_events"}


@pytest.mark.parametrize("args,needle", [
    (["--detected-at", "yesterday"], "unrecognized datetime"),
    (["--detected-at", DETECTED, "--kind", "fire"], "unknown incident kind"),
    (["--detected-at", "2999-01-01T00:00"], "in the future"),
    (["--detected-at", DETECTED, "--investigator", "某" * 201], "longer than 200"),
    (["--detected-at", DETECTED, "--affected", "-1"], "must not be negative"),
    (["--detected-at", DETECTED, "--system-records", "99999999999999999999"], "larger than"),
    (["--detected-at", DETECTED, "--occurred-from", "2026-03-05", "--occurred-to",
      "2026-03-01"], "ends before it starts"),
    # regressions: a year-1 time crashed; an incident starting after detection and a contact
    # e-mail that is no address (printed on every notice) were accepted
    (["--detected-at", "0001-01-01T00:00"], "out of range"),
    (["--detected-at", "2026-03-06T10:00", "--occurred-from", "2026-03-07"], "after it was detected"),
    (["--detected-at", DETECTED, "--contact-email", "service.example.com"], "not an e-mail"),
    (["--detected-at", "115/02/30 10:00"], "invalid date"),
])
def test_bad_input_is_one_line_exit_2(initialized, cli, args, needle):
    _org(cli)
    r = cli("incidents", "new", "--title", "x", *args, "--json")
    assert r.code == 2 and r.out == ""
    assert needle in r.err and len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err


def test_unknown_incident_and_kind(initialized, cli):
    _org(cli)
    assert cli("incidents", "show", "99").code == 2
    doc = _new(cli)
    r = cli("incidents", "timeline", str(doc["id"]), "--add", "x", "--kind", "gossip")
    assert r.code == 2 and "unknown --kind" in r.err


def _complete_incident(cli):
    doc = _new(cli, "--affected", "1234", "--data", "姓名、電話、電子信箱",
               "--occurred-from", "2026-02-01", "--occurred-to", "2026-03-05",
               "--how-found", "接獲消費者投訴", "--cause", "員工電腦遭植入惡意程式",
               "--investigator", "某資安公司", "--fraud-warning", "假冒客服解除分期付款",
               "--contact-phone", "02-2345-6789", "--contact-email", "dpo@shop.example",
               "--contact-hours", "週一至週五 09:00–18:00", "--contact-after-hours", "官網線上客服")
    iid = str(doc["id"])
    assert cli("incidents", "timeline", iid, "--add", "完成弱點掃描與漏洞修補",
               "--kind", "measure").code == 0
    assert cli("incidents", "timeline", iid, "--add", "強制重設會員密碼",
               "--kind", "measure").code == 0
    return iid


REQUIRED = ["115年03月06日", "115年02月01日至115年03月05日", "1,234人", "姓名、電話、電子信箱",
            "完成弱點掃描與漏洞修補", "強制重設會員密碼", "165", "反詐騙", "假冒客服解除分期付款",
            "02-2345-6789", "dpo@shop.example", "官網線上客服", "中華民國115年03月08日",
            "個人資料保護法第12條", "施行細則第22條", "某資安公司", "員工電腦遭植入惡意程式"]


def test_notice_lists_what_er_22_and_seed_000_require(initialized, cli, tmp_path):
    _org(cli)
    iid = _complete_incident(cli)
    texts = {}
    for fmt in ("txt", "html", "docx", "pdf"):
        out = tmp_path / f"notice.{fmt}"
        r = cli("incidents", "notice", iid, "--format", fmt, "--out", out, "--date",
                "115/03/08", "--json")
        assert r.code == 0, r.err
        assert r.json["evidence_id"] and len(r.json["sha256"]) == 64
        if fmt in ("txt", "html"):
            texts[fmt] = out.read_text(encoding="utf-8")
        elif fmt == "docx":
            texts[fmt] = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        else:
            reader = PdfReader(str(out))
            texts[fmt] = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
            fonts = {str(f.get_object()["/BaseFont"])
                     for p in reader.pages for f in p["/Resources"]["/Font"].values()}
            assert any("Noto-Sans-CJK-TC" in f for f in fonts), fonts
    for fmt, text in texts.items():
        for needle in REQUIRED:
            assert needle in text, (fmt, needle)
    assert "<ol>" in texts["html"] and "<li>強制重設會員密碼</li>" in texts["html"]
    timeline = cli("incidents", "show", iid, "--json").json["timeline"]
    assert sum(e["kind"] == "notice" for e in timeline) == 4


def test_incomplete_notice_is_refused(initialized, cli, tmp_path):
    _org(cli)
    doc = _new(cli, "--affected", "5")
    out = tmp_path / "n.txt"
    r = cli("incidents", "notice", str(doc["id"]), "--format", "txt", "--out", out)
    assert r.code == 2 and not out.exists()
    assert "data categories" in r.err and "measures taken" in r.err and "contact" in r.err
    r = cli("incidents", "notice", str(doc["id"]), "--format", "rtf", "--out", out)
    assert r.code == 2 and "unknown format" in r.err
    iid = _complete_incident(cli)
    r = cli("incidents", "notice", iid, "--format", "txt", "--out", tmp_path)
    assert r.code == 2 and "cannot write" in r.err


def test_due_lists_overdue_and_upcoming_binding_duties(initialized, cli):
    _org(cli)
    old = _new(cli, "--affected", "5")  # detected 2026-03-06: its 72 h report is long overdue
    now = datetime.now(TAIPEI).replace(microsecond=0)
    r = cli("incidents", "new", "--title", "剛發生", "--detected-at", now.isoformat(),
            "--affected", "5", "--json")
    fresh = r.json
    r = cli("incidents", "due", "--within", "1", "--json")
    assert r.code == 0
    listed = {(d["incident_id"], d["id"]): d for d in r.json["duties"]}
    assert listed[(old["id"], "TW-MODA-DE-A08-report")]["overdue"] is True
    assert (fresh["id"], "TW-MODA-DE-A08-report") not in listed
    assert all(d["binding"] for d in r.json["duties"])  # advisory duties never show up here
    r = cli("incidents", "due", "--within", "80", "--json")
    upcoming = {(d["incident_id"], d["id"]): d for d in r.json["duties"]}
    assert upcoming[(fresh["id"], "TW-MODA-DE-A08-report")]["overdue"] is False
    r = cli("incidents", "due", "--record-findings", "--json")
    assert r.json["findings_created"] == 1
    audit_len = cli("audit", "verify", "--json").json["entries"]
    assert cli("incidents", "due", "--record-findings", "--json").json["findings_created"] == 0
    # regressions: a re-run rewrote the open finding each time (audit noise from a cron job);
    # the finding had no 改善期限, so `findings list --overdue` never showed it
    assert cli("audit", "verify", "--json").json["entries"] == audit_len
    findings = cli("findings", "list", "--source", "incidents", "--json")
    assert findings.code == 0 and "TW-MODA-DE-A08-report" in findings.out
    overdue = cli("findings", "list", "--overdue", "--json").json["findings"]
    assert [f["due_date"] for f in overdue if f["source"] == "incidents"] == ["2026-03-09"]
    cli("incidents", "done", str(old["id"]), "TW-MODA-DE-A08-report", "--note", "補通報")
    r = cli("incidents", "due", "--json")
    assert (old["id"], "TW-MODA-DE-A08-report") not in {
        (d["incident_id"], d["id"]) for d in r.json["duties"]}
    assert cli("incidents", "due", "--within", "-1").code == 2


def test_detected_at_accepts_roc_date_and_time(initialized, cli):
    """A 個資管理人員 writes 115/03/06 23:59: that is Taipei time, the same moment as ISO."""
    _org(cli)
    roc = cli("incidents", "new", "--title", "民國日期", "--detected-at", "115/03/06 23:59", "--json")
    assert roc.code == 0, roc.err
    assert roc.json["detected_at"] == "2026-03-06T23:59:00+08:00"


def test_listings_in_zh_tw_with_roc_dates(initialized, cli, monkeypatch):
    """Regression: `incidents list` printed pd_breach/open, `timeline` had no --roc."""
    from gezi.cli.common import console

    monkeypatch.setattr(console, "width", 250)
    _org(cli)
    doc = _new(cli)
    listing = cli("incidents", "list", "--roc").out
    assert "個資事故" in listing and "處理中" in listing and "115年03月06日 23:59" in listing
    assert "pd_breach" not in listing
    r = cli("incidents", "timeline", str(doc["id"]), "--add", "已重設密碼", "--kind", "measure",
            "--at", "115/03/07 09:30", "--roc")
    assert r.code == 0, r.err
    assert "115年03月07日 09:30" in r.out


def test_titles_with_brackets_are_printed_as_written(initialized, cli):
    """A title such as 外洩[/]測試 made Rich raise MarkupError (a traceback) when printed."""
    _org(cli)
    title = "外洩[/]測試 [red]x[/red]"
    r = cli("incidents", "new", "--title", title, "--detected-at", DETECTED)
    assert r.code == 0, r.err
    assert title in r.out
    shown = cli("incidents", "show", "1")
    assert shown.code == 0 and title in shown.out
    listed = cli("incidents", "list")
    assert listed.code == 0 and "外洩[/]" in listed.out
