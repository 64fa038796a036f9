"""JSON access logs as real servers write them: nginx `$time_local`, the request line, local times
without a zone (read in the site's zone), extra timing keys."""

from __future__ import annotations

import json

import pytest
from lwdata import US_IP, alerts_of, at

from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan
from gezi.logwatch.store import ingest

CLF = "%d/%b/%Y:%H:%M:%S %z"


def nginx(ip: str, seconds: float, request: str, status: int = 200, **extra) -> str:
    """A line of nginx `log_format json escape=json` with the usual timing fields."""
    return json.dumps({"time_local": at(seconds).strftime(CLF), "remote_addr": ip,
                       "request": request, "status": str(status), "body_bytes_sent": "512",
                       "request_time": "0.003", "upstream_response_time": "0.002, 0.001",
                       "http_referer": "", "http_user_agent": "Mozilla/5.0", **extra})


def _rows(tmp_path, lines: list[str], tz: str = "Asia/Taipei") -> tuple[list[tuple], dict]:
    """(ts_ms, ip, method, target) of the parsed lines, and the parse summary."""
    path = tmp_path / "access.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace(tz=tz) as ws:
        ws.add_file(path, "json")
        rows = ws.con.execute(f"SELECT ts_ms, ip, method, target FROM ({ws.parsed_union()}) "
                              "ORDER BY rid").fetchall()
        return rows, {"by_reason": dict(ws.summary.by_reason),
                      "assumed_zone": ws.summary.assumed_zone()}


def _ms(seconds: float) -> int:
    return int(at(seconds).timestamp() * 1000)


def test_nginx_time_local_and_request_line(tmp_path):
    rows, s = _rows(tmp_path, [nginx("203.0.113.7", 0, "GET /admin HTTP/1.1"),
                               nginx("203.0.113.7", 1, "POST /member/password HTTP/2.0"),
                               # raw spaces in the target stay in it (the injection is seen)
                               nginx("203.0.113.7", 2, "GET /item?id=1' or '1'='1 HTTP/1.1"),
                               nginx("203.0.113.7", 3, "GET /"),
                               # TLS bytes on a plain-HTTP port: no method, kept as the target
                               nginx("203.0.113.7", 4, "\u0016\u0003\u0001\u0000", 400)])
    assert s["by_reason"] == {}
    assert rows == [(_ms(0), "203.0.113.7", "GET", "/admin"),
                    (_ms(1), "203.0.113.7", "POST", "/member/password"),
                    (_ms(2), "203.0.113.7", "GET", "/item?id=1' or '1'='1"),
                    (_ms(3), "203.0.113.7", "GET", "/"),
                    (_ms(4), "203.0.113.7", None, "\u0016\u0003\u0001\u0000")]
    assert s["assumed_zone"]["lines"] == 0  # every time had its offset


@pytest.mark.parametrize("key", ["time_local", "timestamp", "@timestamp", "time", "ts",
                                 "time_iso8601"])
def test_clf_time_under_any_time_key(tmp_path, key):
    line = {key: "02/Mar/2026:10:00:00 +0800", "remote_addr": "203.0.113.7",
            "request": "GET / HTTP/1.1", "status": 200}
    rows, s = _rows(tmp_path, [json.dumps(line)])
    assert s["by_reason"] == {} and rows[0][0] == _ms(0)


def test_other_time_forms_still_work_and_bad_ones_are_counted(tmp_path):
    base = {"remote_addr": "203.0.113.7", "request": "GET / HTTP/1.1", "status": 200}
    lines = [json.dumps({**base, "time_iso8601": "2026-03-02T10:00:01+08:00"}),
             json.dumps({**base, "@timestamp": "2026-03-02T02:00:02Z"}),
             json.dumps({**base, "ts": at(3).timestamp()}),  # epoch seconds
             json.dumps({**base, "ts": int(at(4).timestamp() * 1000)}),  # epoch milliseconds
             json.dumps({**base, "time_local": "02/Foo/2026:10:00:05 +0800"}),  # no such month
             # timing keys are not times: a line with only them has none
             json.dumps({**base, "request_time": "0.003", "upstream_response_time": "0.002"})]
    rows, s = _rows(tmp_path, lines)
    assert [r[0] for r in rows] == [_ms(1), _ms(2), _ms(3), _ms(4)]
    assert s["by_reason"] == {"bad_timestamp": 1, "missing_timestamp": 1}


def test_nginx_json_log_raises_the_rules(logs):
    lines = [nginx(US_IP, 0, "GET /admin/orders HTTP/1.1")]
    lines += [nginx("203.0.113.9", i, f"GET {p} HTTP/1.1", 404)
              for i, p in enumerate(["/.git/config", "/.env", "/phpmyadmin/"])]
    lines += [nginx("203.0.113.11", i * 30, "POST /member/password HTTP/1.1") for i in range(5)]
    lines += [nginx("203.0.113.12", i * 30, "GET /member/password HTTP/1.1") for i in range(5)]
    doc = logs.scan(lines)
    assert doc["summary"]["skipped"] == 0
    assert [a["src_ip"] for a in alerts_of(doc, "foreign_admin_access")] == [US_IP]
    scan_alert = alerts_of(doc, "scanning")[0]
    assert scan_alert["first_seen"] == "2026-03-02T10:00:00+08:00"
    # only POSTs change passwords: the method came out of the request line
    assert [a["src_ip"] for a in alerts_of(doc, "mass_password_change")] == ["203.0.113.11"]


def test_time_without_offset_is_read_in_the_site_zone(tmp_path):
    base = {"remote_addr": "203.0.113.7", "uri": "/", "method": "GET", "status": 200}
    lines = [json.dumps({**base, "timestamp": "2026-03-02 10:00:00"}),
             json.dumps({**base, "timestamp": "2026-03-02T10:00:01.250"}),
             json.dumps({**base, "timestamp": "2026-03-02 10:00:02,500"}),  # Python logging
             json.dumps({**base, "timestamp": "2026-03-02T10:00:03+08:00"}),
             json.dumps({**base, "timestamp": "2026-13-02 10:00:04"}),  # no such month
             json.dumps({**base, "timestamp": "2026-03-02"})]  # a day is not a time
    rows, s = _rows(tmp_path, lines)
    assert [r[0] for r in rows] == [_ms(0), _ms(1.25), _ms(2.5), _ms(3)]
    assert s["assumed_zone"] == {"zone": "Asia/Taipei", "lines": 3}
    assert s["by_reason"] == {"bad_timestamp": 2}
    utc, s = _rows(tmp_path, lines[:1], tz="UTC")
    assert utc[0][0] == _ms(8 * 3600) and s["assumed_zone"] == {"zone": "UTC", "lines": 1}


def test_zone_from_tz_then_profile_and_auth_events_still_need_an_offset(tmp_path):
    web = tmp_path / "caddy.json"
    web.write_text(json.dumps({"ts": "2026-03-02 02:00:00", "request": {
        "remote_ip": "203.0.113.7", "method": "GET", "uri": "/"}, "status": 200}) + "\n")
    auth = tmp_path / "auth.jsonl"
    auth.write_text(json.dumps({"ts": "2026-03-02 10:00:00", "ip": "203.0.113.7", "user": "bob",
                                "event": "login", "result": "failure"}) + "\n")
    profile = tmp_path / "site.yaml"
    profile.write_text("timezone: UTC\n")
    s = scan([web], [auth], profile_path=profile).to_dict()["summary"]
    assert s["first_ts"] == "2026-03-02T10:00:00+08:00"  # 02:00 UTC
    assert s["assumed_zone"] == {"zone": "UTC", "lines": 1}
    # the auth-event import format requires an offset (documented contract): refused, not guessed
    assert s["by_reason"] == {"ts_without_offset": 1}
    s = scan([web], profile_path=profile, tz="Asia/Tokyo").to_dict()["summary"]
    assert s["first_ts"] == "2026-03-02T01:00:00+08:00"
    assert s["assumed_zone"] == {"zone": "Asia/Tokyo", "lines": 1}


def test_classic_syslog_stamps_count_as_assumed_zone(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("Mar  2 10:00:00 web sshd[1]: Failed password for root from 203.0.113.7 "
                   "port 22 ssh2\n"
                   "2026-03-02T10:00:01+08:00 web sshd[2]: Failed password for root from "
                   "203.0.113.7 port 22 ssh2\n")
    s = scan([log], fmt="sshd", year=2026).to_dict()["summary"]
    assert s["parsed"] == 2 and s["assumed_zone"] == {"zone": "Asia/Taipei", "lines": 1}


def test_scan_and_ingest_cli_pass_tz(tmp_path, cli, fresh_env):
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"timestamp": "2026-03-02 23:30:00", "client_ip": "203.0.113.7",
                                "method": "GET", "path": "/", "status": 200}) + "\n")
    r = cli("logs", "scan", path, "--tz", "UTC", "--json")
    assert r.code == 0, r.err
    assert r.json["summary"]["first_ts"] == "2026-03-03T07:30:00+08:00"
    human = cli("logs", "scan", path)
    assert "Asia/Taipei" in human.out and "1 行 lines" in human.out
    doc = ingest(tmp_path / "data", [path], [], tz="UTC")
    assert doc["files"][0]["events"] == 1
    assert [d.name for d in (tmp_path / "data/logs/events/source=web").iterdir()] == ["day=2026-03-03"]
    manifest = json.loads((tmp_path / "data/logs/manifest.json").read_text())
    assert manifest["files"][0]["assumed_zone"] == {"zone": "UTC", "lines": 1}
