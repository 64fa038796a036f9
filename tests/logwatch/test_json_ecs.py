"""JSON access logs in ECS form (Filebeat, Elastic Agent, ecs-logging: nested or dotted fields, the
raw line in `message`) and nginx's `"request":"-"`."""

from __future__ import annotations

import datetime as dt
import json

from lwdata import alerts_of, at

from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan

CLF = "%d/%b/%Y:%H:%M:%S %z"


def _ms(seconds: float) -> int:
    return int(at(seconds).timestamp() * 1000)


def _utc(seconds: float) -> str:
    return at(seconds).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse(tmp_path, lines: list[str], fmt: str = "json") -> tuple[list[tuple], dict]:
    """(ts_ms, ip, method, target, status, vhost, device) of the parsed lines; skip counts."""
    path = tmp_path / "events.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace() as ws:
        ws.add_file(path, fmt)
        rows = ws.con.execute(f"SELECT ts_ms, ip, method, target, status, vhost, device "
                              f"FROM ({ws.parsed_union()}) ORDER BY rid").fetchall()
        s = ws.summary
        return rows, {"lines": s.lines, "parsed": s.parsed, "by_reason": dict(s.by_reason),
                      "samples": dict(s.samples)}


def filebeat_nginx(ip: str, seconds: float, path: str, status: int = 200, method: str = "GET",
                   host: str = "web01") -> str:
    """An event of Filebeat's nginx module after its ingest pipeline (as exported from the index)."""
    base, _, query = path.partition("?")
    url = {"original": path, "path": base, "domain": "shop.example.tw"}
    if query:
        url["query"] = query
    return json.dumps({
        "@timestamp": _utc(seconds),
        "source": {"address": ip, "ip": ip, "geo": {"country_iso_code": "TW"}},
        "url": url,
        "http": {"request": {"method": method, "referrer": "-"}, "version": "1.1",
                 "response": {"status_code": status, "body": {"bytes": 512}}},
        "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64)", "name": "Firefox"},
        "host": {"name": host, "hostname": host, "os": {"family": "debian"}},
        "event": {"dataset": "nginx.access", "module": "nginx", "category": ["web"]},
        "fileset": {"name": "access"}, "input": {"type": "log"}, "ecs": {"version": "1.12.0"},
        "agent": {"type": "filebeat", "version": "7.17.9", "hostname": host}})


def filebeat_raw(message: str, host: str = "web02", offset: int = 0) -> str:
    """Filebeat's `log`/`filestream` input shipped without a pipeline: the raw line in `message`."""
    return json.dumps({
        "@timestamp": "2026-03-02T02:00:09.123Z", "message": message,
        "log": {"offset": offset, "file": {"path": "/var/log/nginx/access.log"}},
        "input": {"type": "filestream"}, "ecs": {"version": "8.0.0"},
        "host": {"name": host, "architecture": "x86_64"},
        "agent": {"type": "filebeat", "version": "8.11.3", "name": host}})


def combined(ip: str, seconds: float, request: str, status: int) -> str:
    return (f'{ip} - - [{at(seconds).strftime(CLF)}] "{request}" {status} 153 "-" '
            '"Mozilla/5.0 zgrab/0.x"')


def test_nginx_request_dash_is_read_like_the_combined_format(tmp_path):
    base = {"time_local": at(0).strftime(CLF), "remote_addr": "203.0.113.7", "status": "400",
            "body_bytes_sent": "0", "http_user_agent": "-"}
    lines = [json.dumps({**base, "request": "-"}),  # nginx: no request line was read (400/408)
             json.dumps({**base, "request": "", "status": "408"}),
             json.dumps({**base, "request_method": "-", "request_uri": "-", "status": "400"}),
             json.dumps({**base, "request": "GET / HTTP/1.1", "status": "200"}),
             # no request key at all is still not an access-log record
             json.dumps(base)]
    rows, s = _parse(tmp_path, lines)
    assert [r[1:5] for r in rows] == [("203.0.113.7", None, None, 400),
                                      ("203.0.113.7", None, None, 408),
                                      ("203.0.113.7", None, None, 400),
                                      ("203.0.113.7", "GET", "/", 200)]
    assert s["by_reason"] == {"missing_fields": 1}
    # the same record in the combined format is accepted the same way
    rows, s = _parse(tmp_path, [combined("203.0.113.7", 0, "-", 400)], fmt="combined")
    assert [r[1:5] for r in rows] == [("203.0.113.7", None, None, 400)] and s["by_reason"] == {}


def test_filebeat_nginx_module_events_nested_ecs(tmp_path):
    rows, s = _parse(tmp_path, [filebeat_nginx("203.0.113.7", 0, "/admin/orders?id=7"),
                                filebeat_nginx("2001:db8::7", 1, "/login", 401, "POST")])
    assert s["by_reason"] == {}
    # host is an object: its name is the device, never the site; url.domain is the site
    assert rows == [(_ms(0), "203.0.113.7", "GET", "/admin/orders?id=7", 200, "shop.example.tw",
                     "web01"),
                    (_ms(1), "2001:db8::7", "POST", "/login", 401, "shop.example.tw", "web01")]


def test_ecs_logging_flat_dotted_keys_and_path_with_query(tmp_path):
    line = {"@timestamp": "2026-03-02T02:00:02.500Z", "log.level": "info", "message": "GET /search",
            "ecs.version": "1.6.0", "client.ip": "203.0.113.8", "http.request.method": "GET",
            "url.path": "/search", "url.query": "q=1", "http.response.status_code": 200,
            "user_agent.original": "curl/8.5.0", "service.name": "shop-api"}
    no_query = {k: v for k, v in line.items() if k != "url.query"}
    rows, s = _parse(tmp_path, [json.dumps(line), json.dumps(no_query)])
    assert s["by_reason"] == {}
    assert [r[:5] for r in rows] == [(_ms(2.5), "203.0.113.8", "GET", "/search?q=1", 200),
                                     (_ms(2.5), "203.0.113.8", "GET", "/search", 200)]


def test_host_object_without_name_and_string_host_stay_apart(tmp_path):
    base = {"@timestamp": "2026-03-02T02:00:00Z", "remote_addr": "203.0.113.9",
            "request": "GET / HTTP/1.1", "status": 200}
    rows, s = _parse(tmp_path, [json.dumps({**base, "host": {"ip": ["10.0.0.5"]}}),
                                json.dumps({**base, "host": "shop.example.tw"})])
    assert s["by_reason"] == {}
    assert [(r[5], r[6]) for r in rows] == [(None, None), ("shop.example.tw", None)]


def test_filebeat_raw_message_lines_are_read_as_access_lines(tmp_path):
    lines = [filebeat_raw(combined("203.0.113.9", i, f"GET {p} HTTP/1.1", 404), offset=i)
             for i, p in enumerate(["/.git/config", "/.env", "/phpmyadmin/"])]
    # escaped quotes in the raw line: the escape-aware pass
    lines.append(filebeat_raw(combined("203.0.113.9", 3, 'GET /a\\"b HTTP/1.1', 404)))
    # an nginx JSON line shipped as text
    lines.append(filebeat_raw(json.dumps({"time_iso8601": "2026-03-02T10:00:04+08:00",
                                          "remote_addr": "203.0.113.10", "request": "GET /x HTTP/1.1",
                                          "status": "200"})))
    # a syslog line is no access-log line: counted, with its sample
    lines.append(filebeat_raw("Mar  2 10:00:05 web02 sshd[1]: Accepted publickey for deploy"))
    rows, s = _parse(tmp_path, lines)
    assert [r[:5] for r in rows] == [
        (_ms(0), "203.0.113.9", "GET", "/.git/config", 404),
        (_ms(1), "203.0.113.9", "GET", "/.env", 404),
        (_ms(2), "203.0.113.9", "GET", "/phpmyadmin/", 404),
        (_ms(3), "203.0.113.9", "GET", '/a"b', 404),
        (_ms(4), "203.0.113.10", "GET", "/x", 200)]
    # the shipper's host is the device of the lines it read
    assert [r[6] for r in rows] == ["web02"] * 4 + [None]
    assert (s["lines"], s["parsed"], s["by_reason"]) == (6, 5, {"missing_fields": 1})
    assert "sshd" in s["samples"]["missing_fields"]


def test_ecs_events_raise_the_rules(tmp_path):
    path = tmp_path / "filebeat.ndjson"
    lines = [filebeat_nginx("8.8.8.8", 0, "/admin/orders")]
    lines += [filebeat_raw(combined("203.0.113.9", i, f"GET {p} HTTP/1.1", 404))
              for i, p in enumerate(["/.git/config", "/.env", "/phpmyadmin/"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = scan([path]).to_dict()
    assert doc["summary"]["skipped"] == 0 and doc["summary"]["files"][0]["format"] == "json"
    assert [a["src_ip"] for a in alerts_of(doc, "foreign_admin_access")] == ["8.8.8.8"]
    assert [a["src_ip"] for a in alerts_of(doc, "scanning")] == ["203.0.113.9"]
    assert all("/.git/config" in a["evidence"][0] for a in alerts_of(doc, "scanning"))
