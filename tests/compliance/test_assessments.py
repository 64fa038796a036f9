"""Assessments, scores, findings, controls and evidence through the CLI."""

from pathlib import Path

import openpyxl
import sqlalchemy as sa

from gezi.core.db import engine_for


def _shop(cli):
    r = cli("org", "add", "--name", "測試購物", "--ubn", "04595252", "--industry", "ecommerce",
            "--capital", "15000000", "--records", "80000", "--json")
    assert r.code == 0, r.err


def _broker(cli, share="70"):
    r = cli("org", "add", "--name", "測試證券", "--ubn", "22099131", "--industry", "broker",
            "--broker-tier", "1", "--e-trading-share", share, "--json")
    assert r.code == 0, r.err


def _items(cli, aid):
    return cli("assess", "show", str(aid), "--json").json["items"]


def test_assessment_scores_exclude_na(cli, initialized, tmp_path):
    _broker(cli)
    aid = cli("assess", "start", "--framework", "twse-broker-infosec", "--period", "2026",
              "--json").json["id"]
    for item, result in [("RA-1", "compliant"), ("RA-2", "partial"), ("SP-1", "noncompliant"),
                         ("SP-2", "na"), ("SP-3", "compliant")]:
        r = cli("assess", "set", aid, item, "--result", result, "--note", f"{item} 說明")
        assert r.code == 0, r.err
    view = cli("assess", "show", aid, "--json").json
    domains = {d["id"]: d for d in view["scores"]["domains"]}
    risk = next(d for d in domains.values() if d["compliant"] + d["partial"] == 2
                and d["noncompliant"] == 0)
    assert risk["score"] == 75.0  # (1 + 0.5) / 2
    policy = next(d for d in domains.values() if d["na"] == 1)
    assert policy["score"] == 50.0  # na excluded: 1 compliant of 2
    assert view["scores"]["overall"]["applicable"] == 77
    assert view["scores"]["overall"]["unassessed"] == 72
    assert view["scores"]["deduction_points"] == 1.5
    assert view["scores"]["risk_block"]["key"] in {"high_low", "high_high"}


def test_noncompliant_opens_finding_tracked_to_closure(cli, initialized, monkeypatch):
    from gezi.cli.common import console

    monkeypatch.setattr(console, "width", 250)  # no wrapping inside table cells
    _shop(cli)
    aid = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    item = _items(cli, aid)[0]["id"]
    cli("assess", "set", aid, item, "--result", "noncompliant", "--note", "未訂定",
        "--owner", "資訊部 王經理", "--due", "115/03/31")
    findings = cli("findings", "list", "--json").json["findings"]
    assert len(findings) == 1
    f = findings[0]
    assert f["status"] == "open" and f["owner"] == "資訊部 王經理"
    assert f["due_date"] == "2026-03-31" and f["item_id"] == item
    listing = cli("findings", "list", "--roc").out  # zh-TW wording of a 缺失追蹤表
    assert all(w in listing for w in ("改善期限", "評鑑", "高", "待改善", "115年03月31日"))
    assert "high" not in listing and "assessment" not in listing
    # Closing needs a resolution
    assert cli("findings", "update", f["id"], "--status", "closed").code == 2
    done = cli("findings", "update", f["id"], "--status", "closed", "--resolution",
               "已訂定並公告", "--json").json
    assert done["status"] == "closed" and done["closed_at"]
    # regression: after reopening, closing again went through on the old resolution
    assert cli("findings", "update", f["id"], "--status", "open").code == 0
    stale = cli("findings", "update", f["id"], "--status", "accepted")
    assert stale.code == 2 and "--resolution" in stale.err
    assert cli("findings", "update", f["id"], "--status", "closed", "--resolution", "  ").code == 2
    assert cli("findings", "update", f["id"], "--status", "closed", "--resolution",
               "已重新訂定").code == 0
    # Re-assessing the same item as partial reopens a finding; compliant closes it again.
    cli("assess", "set", aid, item, "--result", "partial")
    assert cli("findings", "list", "--status", "open", "--json").json["findings"]
    cli("assess", "set", aid, item, "--result", "compliant")
    assert cli("findings", "list", "--status", "open", "--json").json["findings"] == []


def test_evidence_on_result_and_via_control(cli, initialized, tmp_path):
    _broker(cli)
    aid = cli("assess", "start", "--framework", "twse-broker-infosec", "--json").json["id"]
    report = tmp_path / "每日登入失敗檢視.txt"
    report.write_text("2026-11-22 登入失敗 12 筆，已檢視\n", encoding="utf-8")
    r = cli("assess", "set", aid, "NS-14", "--result", "compliant", "--evidence", report,
            "--evidence-kind", "log_review", "--json")
    assert r.code == 0, r.err
    sha = r.json["evidence"][0]["sha256"]
    c = cli("controls", "add", "--code", "LOG-DAILY", "--name", "每日檢視登入失敗紀錄",
            "--frequency", "daily", "--link", "twse-broker-infosec:NS-15", "--json")
    assert c.code == 0, c.err
    att = cli("controls", "attach", "LOG-DAILY", report, "--kind", "log_review", "--json")
    assert att.code == 0, att.err
    items = {i["id"]: i for i in _items(cli, aid)}
    assert [e["sha256"] for e in items["NS-14"]["evidence"]] == [sha]
    assert items["NS-15"]["evidence"][0]["via_control"] == "LOG-DAILY"
    assert items["NS-15"]["controls"] == ["LOG-DAILY"]
    # the blob is stored once, content-addressed
    blobs = [p for p in (Path(initialized["GEZI_DATA_DIR"]) / "evidence").rglob(sha)]
    assert len(blobs) == 1


def test_one_control_serves_several_frameworks(cli, initialized):
    _broker(cli)
    r = cli("controls", "add", "--code", "PWD", "--name", "密碼原則",
            "--link", "twse-broker-infosec:AC-4", "--with-mapped", "--json")
    assert r.code == 0, r.err
    frameworks = {ref.split(":")[0] for ref in r.json["links"]}
    assert "twse-broker-infosec" in frameworks and len(frameworks) >= 2
    for blank in (["--code", " ", "--name", "空白代碼"], ["--code", "X1", "--name", ""]):
        empty = cli("controls", "add", *blank)  # regression: an empty code was accepted
        assert empty.code == 2 and "不可空白" in empty.err


def test_missing_evidence_file_writes_nothing(cli, initialized, db_url):
    _shop(cli)
    aid = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    item = _items(cli, aid)[0]["id"]
    r = cli("assess", "set", aid, item, "--result", "compliant", "--evidence", "/nope/x.pdf")
    assert r.code == 2 and "not found" in r.err
    with engine_for(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM assessment_results")).scalar() == 0


def test_unknown_framework_and_item(cli, initialized):
    _shop(cli)
    r = cli("assess", "start", "--framework", "no-such")
    assert r.code == 2 and "unknown framework" in r.err
    aid = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    assert cli("assess", "set", aid, "ZZ-9", "--result", "compliant").code == 2
    assert cli("assess", "set", aid, _items(cli, aid)[0]["id"], "--result", "good").code == 2
    # regressions: an empty period silently became the current year, a blank one was stored;
    # listing evidence of a misspelt kind read as "no records"
    for period in ("", "  "):
        blank = cli("assess", "start", "--framework", "tw-pdpa-2023", "--period", period)
        assert blank.code == 2 and "--period" in blank.err
    bogus = cli("evidence", "list", "--kind", "backup_verificaton", "--json")
    assert bogus.code == 2 and bogus.out == "" and "unknown evidence kind" in bogus.err
    # a framework that does not apply to the profile needs --force
    assert cli("assess", "start", "--framework", "twse-broker-infosec").code == 2


def test_export_xlsx(cli, initialized, tmp_path):
    _shop(cli)
    aid = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    first = _items(cli, aid)[0]
    cli("assess", "set", aid, first["id"], "--result", "partial", "--note", "紀錄不完整")
    out = tmp_path / "評鑑.xlsx"
    r = cli("assess", "export", aid, "--xlsx", out, "--roc")
    assert r.code == 0, r.err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["評鑑結果", "構面分數", "缺失追蹤", "評鑑資訊"]
    rows = list(wb["評鑑結果"].iter_rows(values_only=True))
    assert rows[0][5] == "評鑑結果"
    assert any(r[1] == first["id"] and r[5] == "部分符合" for r in rows[1:])
    assert next(wb["構面分數"].iter_rows(values_only=True))[1] == "項目數"  # na items count here
    # regression: export and close had no --json; closing twice silently re-closed
    doc = cli("assess", "export", aid, "--xlsx", out, "--json").json
    assert doc["id"] == aid and doc["xlsx"] == str(out)
    closed = cli("assess", "close", aid, "--json")
    assert closed.code == 0 and closed.json["status"] == "closed"
    again = cli("assess", "close", aid, "--json")
    assert again.code == 2 and again.out == "" and "already closed" in again.err
    assert len(list(wb["缺失追蹤"].iter_rows())) == 2


def test_evidence_verify_detects_tampering(cli, initialized, tmp_path):
    _shop(cli)
    f = tmp_path / "備份紀錄.txt"
    f.write_text("backup ok\n", encoding="utf-8")
    added = cli("evidence", "add", f, "--kind", "backup_verification", "--effective",
                "2026-01-02", "--json").json["evidence"][0]
    assert added["expiry_date"] == "2031-01-02"  # 5-year retention of the kind
    assert cli("evidence", "verify").code == 0
    blob = next((Path(initialized["GEZI_DATA_DIR"]) / "evidence").rglob(added["sha256"]))
    blob.chmod(0o644)
    blob.write_text("tampered", encoding="utf-8")
    r = cli("evidence", "verify", "--json")
    assert r.code == 1 and r.json["problems"][0]["status"] == "changed"
    blob.unlink()
    assert cli("evidence", "verify", "--json").json["problems"][0]["status"] == "missing"
    assert cli("evidence", "add", f, "--kind", "no_such_kind").code == 2


def test_demo_creates_then_reuses(cli, gezi_env):
    first = cli("demo", "--json")
    assert first.code == 0, first.err
    assert first.json["created"] is True
    fws = {a["framework"]["id"] for a in first.json["assessments"]}
    assert "moda-pd-security-plan" in fws
    for a in first.json["assessments"]:
        o = a["scores"]["overall"]
        assert o["assessed"] > 0 and o["unassessed"] > 0  # partly completed
    again = cli("demo", "--json")
    assert again.json["created"] is False
    assert [a["id"] for a in again.json["assessments"]] == [a["id"] for a in first.json["assessments"]]
    human = cli("demo")
    assert "示範購物股份有限公司" in human.out and "構面" in human.out


def _audit_len(cli) -> int:
    return cli("audit", "verify", "--json").json["entries"]


def test_huge_numbers_and_empty_dates_are_bad_input(cli, initialized):
    """Regression: a number the database cannot hold gave a traceback; an empty --due was
    silently ignored. Both are one-line errors (exit 2) and nothing is written."""
    _shop(cli)
    aid = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    before = _audit_len(cli)
    for args in (["assess", "set", "99999999999999999999", "A05", "--result", "partial"],
                 ["org", "add", "--name", "大數", "--ubn", "04595257", "--industry", "other",
                  "--records", "9" * 30],
                 ["assess", "set", str(aid), "A05", "--result", "partial", "--due", ""]):
        r = cli(*args)
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err, r.err
    assert _audit_len(cli) == before


def test_evidence_odd_names_repair_and_dates(cli, initialized, tmp_path):
    """Regression: a non-UTF-8 file name crashed; re-adding the original file did not repair an
    altered stored copy; an expiry before the effective date was accepted."""
    import os

    _shop(cli)
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/\xb3\xf8\xa7i.txt"))  # 報告 in Big5
    odd.write_bytes(b"big5 named report\n")
    spaced = tmp_path / "稽核 報告 2026.txt"
    spaced.write_bytes(b"big5 named report\n")
    r = cli("evidence", "add", odd, spaced, "--kind", "other_record", "--json")
    assert r.code == 0, r.err
    first, second = r.json["evidence"]
    assert first["sha256"] == second["sha256"] and second["filename"] == "稽核 報告 2026.txt"
    assert first["filename"].endswith(".txt") and "\ufffd" in first["filename"]
    blobs = [p for p in (Path(initialized["GEZI_DATA_DIR"]) / "evidence").rglob("*") if p.is_file()]
    assert len(blobs) == 1  # same content stored once
    blobs[0].chmod(0o644)
    blobs[0].write_bytes(b"altered")
    assert cli("evidence", "verify").code == 1
    assert cli("evidence", "add", spaced, "--kind", "other_record").code == 0
    assert cli("evidence", "verify").code == 0  # the original content is back
    before = _audit_len(cli)
    bad = cli("evidence", "add", spaced, "--kind", "other_record", "--effective", "2026-01-01",
              "--expiry", "115/01/01")
    assert bad.code == 0
    bad = cli("evidence", "add", spaced, "--kind", "other_record", "--effective", "2026-01-02",
              "--expiry", "114/12/31")
    assert bad.code == 2 and "到期日" in bad.err
    assert _audit_len(cli) == before + 1
