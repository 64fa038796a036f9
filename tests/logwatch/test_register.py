"""Alerts become findings (deduplicated across runs); the daily review is kept as evidence.

Runs on SQLite and PostgreSQL (db_url fixture).
"""

from __future__ import annotations

import sqlalchemy as sa
from lwdata import US_IP, at, auth, web
from openpyxl import load_workbook

from gezi.compliance.models import EvidenceLink, Finding
from gezi.core.db import session_scope
from gezi.core.settings import get_settings


def _org_with_control(code: str | None = "LOG-REVIEW") -> int:
    from gezi.compliance.controls import add_control, link_control
    from gezi.org.service import add_org

    with session_scope(get_settings()) as s:
        org = add_org(s, name="好物商店股份有限公司", ubn="22099131", industry="broker",
                      broker_tier=2)
        if code:
            c = add_control(s, org, code=code, name="每日檢視登入失敗紀錄", frequency="daily")
            link_control(s, c, "twse-broker-infosec:NS-14")
        return org.id


def _files(tmp_path):
    acc = tmp_path / "access.log"
    acc.write_text("\n".join([web(US_IP, at(0), "/admin/login", 200, method="POST"),
                              web(US_IP, at(9), "/admin/orders", 200)]) + "\n")
    au = tmp_path / "auth.jsonl"
    lines = [auth("203.0.113.7", at(i * 20), f"victim{i}@example.com") for i in range(12)]
    lines += [auth("203.0.113.9", at(i), "alice@example.com") for i in range(3)]
    lines += [auth("203.0.113.8", at(i), f"ghost{i}", result="unknown_user") for i in range(3)]
    lines += [auth("168.95.1.1", at(0, -1), "carol", result="success"),
              auth(US_IP, at(50), "carol", result="success")]
    au.write_text("\n".join(lines) + "\n")
    return acc, au


def test_findings_deduplicated_across_runs(tmp_path, cli, initialized):
    org_id = _org_with_control(None)
    acc, au = _files(tmp_path)
    first = cli("logs", "scan", acc, "--auth", au, "--json")
    assert first.code == 0, first.err
    doc = first.json
    n = len(doc["alerts"])
    assert {a["category"] for a in doc["alerts"]} >= {
        "foreign_admin_access", "credential_stuffing", "brute_force", "unknown_account",
        "new_location_login"}
    assert doc["register"] == {"written": True, "org_id": org_id, "created": n, "updated": 0}
    second = cli("logs", "scan", acc, "--auth", au, "--json").json
    assert second["register"] == {"written": True, "org_id": org_id, "created": 0, "updated": n}
    with session_scope(get_settings()) as s:
        rows = list(s.scalars(sa.select(Finding).where(Finding.source == "logwatch")))
        assert len(rows) == n
        assert all(f.occurrences == 2 for f in rows)
        text = " ".join(f"{f.title} {f.fingerprint} {f.detail}" for f in rows)
        assert "victim1@example.com" not in text and "alice@example.com" not in text
        assert any(f.severity == "critical" for f in rows)


def test_daily_review_saved_as_evidence_and_linked(tmp_path, cli, initialized):
    _org_with_control()
    acc, au = _files(tmp_path)
    r = cli("logs", "ingest", acc, "--auth", au, "--json")
    assert r.code == 0, r.err
    assert {f["status"] for f in r.json["files"]} == {"ingested"}
    again = cli("logs", "ingest", acc, "--json").json
    assert again["files"][0]["status"] == "already_ingested"
    xlsx, html = tmp_path / "review.xlsx", tmp_path / "review.html"
    rep = cli("logs", "report", "--day", "2026-03-02", "--xlsx", xlsx, "--html", html, "--json")
    assert rep.code == 0, rep.err
    doc = rep.json
    assert doc["failed_by_account"][0][:2] == ["a***@example.com", 3]
    assert any(row[0] == "203.0.113.7" and row[3] == 12 for row in doc["failed_by_ip"])
    assert len(doc["unknown_accounts"]) == 3
    assert doc["foreign_logins"] == [["c***l", US_IP, "US", "2026-03-02 10:00:50"]]
    assert {a[1] for a in doc["alerts"]} >= {"credential_stuffing", "foreign_admin_access"}
    assert doc["geo"]["data_date"]
    assert doc["register"]["saved"] and doc["register"]["controls"] == ["LOG-REVIEW"]
    wb = load_workbook(xlsx)
    assert "登入失敗（依帳號）" in wb.sheetnames
    assert "victim" not in html.read_text(encoding="utf-8")
    with session_scope(get_settings()) as s:
        links = list(s.scalars(sa.select(EvidenceLink).where(EvidenceLink.target_type == "control")))
        assert {lk.evidence_id for lk in links} == set(doc["register"]["evidence_ids"])


def test_report_and_findings_name_every_source_ip(tmp_path, cli, initialized):
    _org_with_control()
    au = tmp_path / "auth.jsonl"
    # one account guessed from three addresses (most failures first), one IP-keyed alert
    ips = ["203.0.113.30", "203.0.113.30", "203.0.113.31", "2a02:6b8::77"]
    lines = [auth(ip, at(i * 60), "dora@example.com") for i, ip in enumerate(ips)]
    lines += [auth("203.0.113.40", at(i), f"ghost{i}", result="unknown_user") for i in range(3)]
    au.write_text("\n".join(lines) + "\n")
    assert cli("logs", "scan", "--auth", au, "--json").code == 0
    assert cli("logs", "ingest", "--auth", au, "--json").code == 0
    xlsx, html = tmp_path / "review.xlsx", tmp_path / "review.html"
    doc = cli("logs", "report", "--day", "2026-03-02", "--xlsx", xlsx, "--html", html,
              "--json").json
    header = ["規則 rule", "類別 category", "嚴重度 severity", "來源IP source IPs", "來源IP數 IPs",
              "帳號 user", "國家 country", "次數 count", "首次 first"]
    rows = {a[1]: a for a in doc["alerts"]}
    many = "203.0.113.30、203.0.113.31、2a02:6b8::77（共 3 個）"
    assert rows["brute_force"][3:6] == [many, 3, "d***@example.com"]
    assert rows["unknown_account"][3:5] == ["203.0.113.40", 1]  # one IP: no count suffix
    sheet = load_workbook(xlsx)["警示"]
    assert [c.value for c in sheet[1]] == header
    assert many in [c.value for row in sheet.iter_rows() for c in row]
    assert many in html.read_text(encoding="utf-8")
    with session_scope(get_settings()) as s:
        titles = {f.title: f.detail for f in s.scalars(sa.select(Finding))}
    bf = next(t for t in titles if "d***@example.com" in t)
    assert bf.endswith("來源 IP 203.0.113.30、203.0.113.31、2a02:6b8::77（共 3 個）")
    assert titles[bf]["src_ip_count"] == 3 and "dora" not in bf
    ua = next(t for t in titles if "203.0.113.40" in t)
    assert "來源 IP" not in ua
