"""IP rules with `ipv6_prefix` count an IPv6 client by its /64: an attacker rotating through the
addresses of one /64 is one source (RFC 4291 §2.5.4, cited in rules.yaml); IPv4 stays exact."""

from __future__ import annotations

import pytest
from lwdata import alerts_of, at, auth, signature, web

from gezi.catalog.loader import CatalogError
from gezi.logwatch.catalog import effective_rules, load_profile, rule_catalog
from gezi.logwatch.normalize import network

NET = "2001:db8:abcd:12::/64"


def rotating(n: int, result: str = "failure", start: int = 0) -> list[str]:
    """n failed logins for n accounts, each from another address of one /64 (privacy addresses)."""
    return [auth(f"2001:db8:abcd:12:{0x1000 + 7 * i:x}:{i:x}ff:fe00:{i + 1:x}", at(start + i * 30),
                 f"victim{i}", result=result) for i in range(n)]


def test_network_of_an_address():
    assert network("2001:db8:abcd:12:8a2e:370:7334:1", 64) == NET
    assert network("2001:db8:abcd:12:8a2e:370:7334:1", 56) == "2001:db8:abcd::/56"
    assert network("2001:db8::1", 128) == "2001:db8::1/128"
    assert network("203.0.113.7", 64) == "203.0.113.7"  # IPv4 stays exact
    assert network("not-an-ip", 64) == "not-an-ip"


def test_the_shipped_rules_cite_their_prefix():
    rules = {r.id: r for r in rule_catalog().rules}
    for rule_id in ("LW-CREDENTIAL-STUFFING", "LW-UNKNOWN-ACCOUNT", "LW-LOGIN-RATE", "LW-BOT",
                    "LW-SCANNING", "LW-SQLI-PROBE", "LW-MASS-PASSWORD-CHANGE"):
        assert rules[rule_id].ipv6_prefix == 64
        assert "RFC 4291" in rules[rule_id].ipv6_prefix_source.citation


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_rotation_inside_one_64_is_one_source(logs, backend):
    doc = logs.scan(auth_lines=rotating(10) + rotating(3, "unknown_user", start=600), backend=backend)
    stuffing = alerts_of(doc, "credential_stuffing")
    assert len(stuffing) == 1
    a = stuffing[0]
    assert (a["src_net"], a["count"], a["src_ip_count"]) == (NET, 10, 10)
    assert a["src_ip"] == "2001:db8:abcd:12:1000:ff:fe00:1"  # one real address, not the network
    assert len(set(a["evidence"])) == 5 and all("2001:db8:abcd:12:" in e for e in a["evidence"])
    unknown = alerts_of(doc, "unknown_account")
    assert [(u["src_net"], u["count"]) for u in unknown] == [(NET, 3)]


def host(net: str, i: int) -> str:
    """The i-th privacy address of a /64 given as `2001:db8:N:M`."""
    return f"{net}:{0x2000 + 13 * i:x}:{i:x}ff:fe11:{i + 1:x}"


def rotating_web(net: str) -> list[str]:
    """Every web attack sent from a new address of one /64 per request."""
    lines = [web(host(net, i), at(0.1 * i), "/login", method="POST") for i in range(8)]   # > 7 / s
    lines += [web(host(net, 10 + i), at(10 + 0.05 * i), f"/product/{i}") for i in range(31)]  # > 30 / 3 s
    lines += [web(host(net, 50 + i), at(60 + i), p, 404)
              for i, p in enumerate(["/.git/config", "/.env", "/phpmyadmin/"])]
    lines += [web(host(net, 60 + i), at(120 + i), "/p?id=1%27%20or%201=1--") for i in range(2)]
    lines += [web(host(net, 70 + i), at(200 + i * 30), "/member/password", 200, method="POST")
              for i in range(5)]
    return lines


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_web_rules_count_a_rotating_64_as_one_client(logs, backend):
    doc = logs.scan(rotating_web("2001:db8:abcd:12"), backend=backend)
    by_category = {a["category"]: a for a in doc["alerts"]}
    assert {c: (a["src_net"], a["src_ip_count"]) for c, a in by_category.items()} == {
        "login_rate": (NET, 8), "bot": (NET, 31), "scanning": (NET, 3), "sqli_probe": (NET, 2),
        "mass_password_change": (NET, 5)}
    # each alert names a real address of the network and its evidence comes from its clients
    assert all(a["src_ip"].startswith("2001:db8:abcd:12:") and a["evidence"] for a in doc["alerts"])


def test_web_rules_near_misses_other_64s_and_ipv4(logs):
    # the same requests from addresses of different /64s, or from different IPv4 addresses, are
    # as many clients, each below every threshold
    spread = [line.replace("2001:db8:abcd:12:", f"2001:db8:abcd:{n:x}:", 1)
              for n, line in enumerate(rotating_web("2001:db8:abcd:12"))]
    assert logs.scan(spread)["alerts"] == []
    v4 = [line.replace(line.split(" ", 1)[0], f"198.51.100.{n % 250 + 1}", 1)
          for n, line in enumerate(rotating_web("2001:db8:abcd:12"))]
    assert logs.scan(v4)["alerts"] == []


@pytest.mark.spark
def test_duckdb_and_spark_agree_on_networks(logs):
    lines = rotating(10) + [auth("203.0.113.20", at(i), f"user{i}") for i in range(10)]
    web_lines = rotating_web("2001:db8:abcd:12") + rotating_web("2001:db8:ffff:1")
    duck = logs.scan(web_lines, lines)
    spark = logs.scan(web_lines, lines, backend="spark")
    assert signature(duck) == signature(spark)
    assert sorted((a["src_net"] or "", a["src_ip"]) for a in duck["alerts"]) == \
        sorted((a["src_net"] or "", a["src_ip"]) for a in spark["alerts"])


def test_near_misses_other_64s_ipv4_and_prefix_128(logs, tmp_path):
    # ten addresses in ten different /64s of one /56: ten sources, below the threshold each
    spread = [auth(f"2001:db8:abcd:{i:x}::5", at(i * 30), f"victim{i}") for i in range(10)]
    assert alerts_of(logs.scan(auth_lines=spread), "credential_stuffing") == []
    # IPv4 is counted per address as before, and names no network
    v4 = [auth("203.0.113.20", at(i), f"user{i}") for i in range(10)]
    v4 += [auth(f"203.0.113.{30 + i}", at(i), f"other{i}") for i in range(10)]
    alerts = alerts_of(logs.scan(auth_lines=v4), "credential_stuffing")
    assert [(a["src_ip"], a["src_net"]) for a in alerts] == [("203.0.113.20", None)]
    # a site profile may count each IPv6 address alone again
    profile = tmp_path / "site.yaml"
    profile.write_text("rules:\n  LW-CREDENTIAL-STUFFING: {ipv6_prefix: 128}\n")
    assert alerts_of(logs.scan(auth_lines=rotating(10), profile_path=profile), "credential_stuffing") == []
    profile.write_text("rules:\n  LW-CREDENTIAL-STUFFING: {ipv6_prefix: 56}\n")
    wide = alerts_of(logs.scan(auth_lines=spread, profile_path=profile), "credential_stuffing")
    assert [a["src_net"] for a in wide] == ["2001:db8:abcd::/56"]


def test_a_prefix_needs_an_ip_window_rule_and_its_source(tmp_path):
    profile = tmp_path / "site.yaml"
    profile.write_text("rules:\n  LW-BRUTE-FORCE: {ipv6_prefix: 64}\n")
    with pytest.raises(CatalogError, match="ipv6_prefix"):
        effective_rules(load_profile(profile))
