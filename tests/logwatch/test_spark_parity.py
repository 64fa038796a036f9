"""The same Ibis rules on DuckDB and on PySpark (local mode) give identical alerts."""

from __future__ import annotations

import json

import pytest
from lwdata import TW_IP, US_IP, at, auth, signature, web

pytestmark = pytest.mark.spark


def test_duckdb_and_spark_alerts_are_identical(logs):
    web_lines = [web("203.0.113.7", at(i % 3), f"/product/{i}") for i in range(31)]
    web_lines += [web("203.0.113.8", at(0), "/login", method="POST") for _ in range(8)]
    web_lines += [web("203.0.113.9", at(i), p, 404)
                  for i, p in enumerate(["/.git/config", "/.env", "/phpmyadmin/"])]
    web_lines += [web("203.0.113.10", at(i), "/p?id=1%27%20or%201=1--") for i in range(2)]
    web_lines += [web(US_IP, at(5), "/admin/orders", 200), web(TW_IP, at(6), "/admin/x", 200)]
    web_lines += [web("203.0.113.11", at(i * 30), "/member/password", 200, method="POST")
                  for i in range(5)]
    for day in range(8):
        web_lines += [web(f"198.51.100.{i % 40 + 1}", at(i * 60, day), "/hot") for i in range(60)]
    web_lines += [web("203.0.113.12", at(3600 + i, 7), "/hot") for i in range(30)]
    auth_lines = [auth("203.0.113.20", at(i * 10), f"user{i}") for i in range(11)]
    auth_lines += [auth("203.0.113.21", at(i), "alice") for i in range(3)]
    # one account guessed from many addresses: the one with most failures (abroad) is named,
    # ties by time, the list capped at 20 with the total kept
    auth_lines += [auth(US_IP, at(50), "dora"), auth(TW_IP, at(51), "dora"), auth(US_IP, at(52), "dora")]
    auth_lines += [auth(f"198.51.100.{200 + i}", at(60 + i), "erin") for i in range(22)]
    auth_lines += [auth("203.0.113.22", at(i), f"nobody{i}", result="unknown_user")
                   for i in range(3)]
    auth_lines += [auth(TW_IP, at(0), "bob", result="success"),
                   auth(US_IP, at(0, 1), "bob", result="success")]
    # IPv6: one stuffing client spelled two ways, a foreign admin behind a dual-stack socket
    auth_lines += [auth("2a02:6b8::77" if i % 2 else "2A02:6B8:0:0::77", at(i * 10), f"v6user{i}")
                   for i in range(10)]
    web_lines += [web("::ffff:5.255.255.5", at(7), "/admin/orders", 200)]
    # client fields with ports and brackets (JSON lines, a proxy): one key each, located
    auth_lines += [auth(f"5.255.255.6:{50000 + i}" if i % 2 else f"[::ffff:5.255.255.6]:{50000 + i}",
                        at(i * 20), f"p{i}") for i in range(10)]
    web_lines += [json.dumps({"time": "2026-03-02T10:00:08 +08", "remote_addr": "[2001:4860:4860::8888]:443",
                              "request": "GET /admin/orders HTTP/1.1", "status": 200})]
    duck = logs.scan(web_lines, auth_lines)
    spark = logs.scan(web_lines, auth_lines, backend="spark")
    assert len({a["category"] for a in duck["alerts"]}) == 12
    assert signature(spark) == signature(duck)
    dora = next(a for a in duck["alerts"] if a["category"] == "brute_force" and a["user"] == "d***")
    assert (dora["src_ip"], dora["country"], dora["src_ips"]) == (US_IP, "US", [US_IP, TW_IP])
    erin = next(a for a in spark["alerts"] if a["category"] == "brute_force" and a["user"] == "e***")
    assert erin["src_ip_count"] == 22 and erin["src_ips"][:2] == ["198.51.100.200", "198.51.100.201"]
    assert len(erin["src_ips"]) == 20
    assert [a["evidence"] for a in spark["alerts"]] == [a["evidence"] for a in duck["alerts"]]
    assert {(a["category"], a["src_ip"], a["country"]) for a in spark["alerts"]} >= {
        ("credential_stuffing", "2a02:6b8::77", "RU"), ("foreign_admin_access", "5.255.255.5", "RU"),
        ("credential_stuffing", "5.255.255.6", "RU"), ("foreign_admin_access", "2001:4860:4860::8888", "US")}
