"""Client fields with a port or brackets (`203.0.113.7:51234`, `[2001:db8::1]:443`) are one key
per address, located like the bare address; ISO offsets written `+08` or after a space are read."""

from __future__ import annotations

import json

import pytest
from lwdata import alerts_of, at, auth, web

from gezi.logwatch.normalize import canonical_ip
from gezi.logwatch.parse import Workspace

RU4 = "5.255.255.6"  # Yandex, registered in Russia
US6 = "2001:4860:4860::8888"  # Google, registered in the US


@pytest.mark.parametrize(("written", "bare"), [
    ("203.0.113.7:51234", "203.0.113.7"),
    ("203.0.113.7:0", "203.0.113.7"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("[2001:DB8:0:0::1]", "2001:db8::1"),
    ("[::ffff:5.255.255.6]:8080", RU4),  # dual-stack socket with the port
    ("[fe80::1%eth0]:22", "fe80::1%eth0"),
])
def test_port_and_brackets_are_dropped(written, bare):
    assert canonical_ip(written) == bare


@pytest.mark.parametrize("kept", [
    "2001:db8::1:443",  # bare IPv6: the last group is part of the address, never a port
    "203.0.113.7:65536",  # not a port
    "203.0.113.7:",
    "203.0.113.7:80:81",
    "[2001:db8::1]:https",
    "[2001:db8::1",
    "[not-an-ip]:80",
    "proxy.example:8080",  # a host name is not an address
    "unknown",
])
def test_text_that_is_not_address_and_port_is_kept(kept):
    assert canonical_ip(kept) == kept


def _json_line(ip: str, seconds: float, path: str, status: int = 200) -> str:
    return json.dumps({"time_iso8601": at(seconds).isoformat(), "remote_addr": ip,
                       "request": f"GET {path} HTTP/1.1", "status": status})


def test_json_clients_with_ports_are_located_and_keyed_once(logs):
    lines = [_json_line(f"{RU4}:{40000 + i}", i, "/admin/orders") for i in range(3)]
    lines += [_json_line(f"[{US6}]:443", 5, "/admin/orders"), _json_line(f"[{US6}]", 6, "/admin/x")]
    path = logs.write(lines, name="access.json")
    from gezi.logwatch.scan import scan

    doc = scan([path]).to_dict()
    found = {a["src_ip"]: (a["country"], a["count"]) for a in alerts_of(doc, "foreign_admin_access")}
    assert found == {RU4: ("RU", 3), US6: ("US", 2)}
    # evidence lines stay as written (what the server logged)
    ru = next(a for a in alerts_of(doc, "foreign_admin_access") if a["src_ip"] == RU4)
    assert any(f"{RU4}:40000" in line for line in ru["evidence"])


def test_credential_stuffing_from_one_client_on_many_source_ports(logs):
    ten = [auth(f"{RU4}:{50000 + i}" if i % 2 else f"[::ffff:{RU4}]:{50000 + i}", at(i * 30),
                f"user{i:02d}") for i in range(10)]
    # near miss: nine accounts from another client, also on changing ports
    nine = [auth(f"[{US6}]:{60000 + i}", at(i * 30), f"other{i}") for i in range(9)]
    found = alerts_of(logs.scan([], ten + nine), "credential_stuffing")
    assert [(a["src_ip"], a["country"], a["count"], a["src_ips"]) for a in found] == [
        (RU4, "RU", 10, [RU4])]


def test_combined_client_with_bracketed_ipv6_and_port_parses(logs):
    longest = "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535"  # 47 characters
    doc = logs.scan([web(longest, at(0), "/"), web(f"{RU4}:443", at(1), "/")])
    assert (doc["summary"]["parsed"], doc["summary"]["by_reason"]) == (2, {})


def _times(tmp_path, stamps: list[str]) -> tuple[list, dict]:
    path = tmp_path / "access.json"
    path.write_text("".join(json.dumps({"time": t, "remote_addr": "203.0.113.7", "request": "GET /",
                                        "status": 200}) + "\n" for t in stamps), encoding="utf-8")
    with Workspace() as ws:
        ws.add_file(path, "json")
        rows = ws.con.execute(f"SELECT ts_ms FROM ({ws.parsed_union()}) ORDER BY rid").fetchall()
        return [r[0] for r in rows], dict(ws.summary.by_reason)


def test_iso_offsets_in_hours_or_after_a_space(tmp_path):
    ten = int(at(0).timestamp() * 1000)  # 2026-03-02T10:00:00+08:00
    rows, reasons = _times(tmp_path, ["2026-03-02T10:00:00+08", "2026-03-02T10:00:00 +0800",
                                      "2026-03-02 10:00:00 +08:00", "2026-03-02T02:00:00 Z",
                                      "2026-03-02T10:00:00.250 +08", "2026-03-01T23:00:00-03",
                                      "2026-03-02T10:00:00,500+0800"])
    assert reasons == {}
    assert rows == [ten, ten, ten, ten, ten + 250, ten, ten + 500]


def test_offsets_that_are_not_unambiguous_stay_bad(tmp_path):
    rows, reasons = _times(tmp_path, ["2026-03-02T10:00:00+8",  # one-digit hour
                                      "2026-03-02T10:00:00  +0800",  # two spaces
                                      "2026-03-08",  # a date alone: `-08` is the day, no offset
                                      "2026-03-02T10:00:00+08:0"])
    assert rows == []
    assert reasons == {"bad_timestamp": 4}


def test_auth_events_accept_hour_offsets_and_still_refuse_none(logs):
    lines = [json.dumps({"ts": "2026-03-02T10:00:00+08", "ip": "203.0.113.7", "user": "alice",
                         "event": "login", "result": "failure"}),
             json.dumps({"ts": "2026-03-02T10:00:00 +0800", "ip": "203.0.113.7", "user": "alice",
                         "event": "login", "result": "failure"}),
             json.dumps({"ts": "2026-03-02T10:00:00", "ip": "203.0.113.7", "user": "alice",
                         "event": "login", "result": "failure"})]
    s = logs.scan([], lines)["summary"]
    assert (s["parsed"], s["by_reason"]) == (2, {"ts_without_offset": 1})
