"""IPv6 clients: parsed in every format, one key per address however it is spelled, located
offline, and held to the same rules as IPv4 (credential stuffing, foreign admin access)."""

from __future__ import annotations

import json

from lwdata import alerts_of, at, auth, web

from gezi.logwatch.normalize import canonical_ip
from gezi.logwatch.scan import scan

RU6 = "2a02:6b8::77"  # Yandex, registered in Russia
US6 = "2001:4860:4860::8888"  # Google, registered in the US
TW6 = "2001:b000::1"  # HiNet, registered in Taiwan
RU4_MAPPED = "::ffff:5.255.255.5"  # a Russian IPv4 client as a dual-stack socket logs it


def test_canonical_spelling():
    assert canonical_ip("2A02:06B8:0:0:0:0:0:77") == RU6
    assert canonical_ip(RU4_MAPPED) == "5.255.255.5"
    assert canonical_ip("203.0.113.7") == "203.0.113.7"
    assert canonical_ip("fe80::1%eth0") == "fe80::1%eth0"
    assert canonical_ip("not:an:ip") == "not:an:ip"  # kept, never an error


def test_ipv6_clients_parse_in_combined_json_and_iis(tmp_path):
    comb = tmp_path / "access.log"
    comb.write_text("\n".join([web(RU6, at(0), "/"), web(RU4_MAPPED, at(1), "/"),
                               # the odd-line pass: escaped quote in the user agent
                               web("2001:db8::5", at(2), "/", ua='x\\"y')]) + "\n")
    js = tmp_path / "access.json"
    js.write_text("\n".join(json.dumps(d) for d in [
        {"time_iso8601": "2026-03-02T10:00:03+08:00", "remote_addr": US6,
         "request": "GET / HTTP/1.1", "status": 200},
        {"ts": "2026-03-02T02:00:04Z", "request": {"remote_ip": TW6, "method": "GET",
                                                   "uri": "/"}, "status": 200}]) + "\n")
    iis = tmp_path / "u_ex260302.log"
    iis.write_text("#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status\n"
                   "2026-03-02 02:00:05 2001:DB8:0:0::6 GET /default.aspx - 200\n")
    s = scan([comb, js, iis]).to_dict()["summary"]
    assert (s["lines"], s["parsed"], s["by_reason"]) == (6, 6, {})
    assert s["last_ts"] == "2026-03-02T10:00:05+08:00"


def test_ipv6_credential_stuffing_alerts_like_ipv4(logs):
    # one client, written two ways (the application upper-cases and expands, nginx does not)
    v6 = [auth(RU6 if i % 2 else "2A02:06B8:0:0::77", at(i * 30), f"user{i:02d}")
          for i in range(10)]
    v4 = [auth("203.0.113.7", at(i * 30), f"user{i:02d}") for i in range(10)]
    # near miss: nine accounts from another IPv6 address
    nine = [auth(US6, at(i * 30), f"other{i}") for i in range(9)]
    doc = logs.scan([], v6 + v4 + nine)
    found = {a["src_ip"]: a for a in alerts_of(doc, "credential_stuffing")}
    assert set(found) == {RU6, "203.0.113.7"}
    assert (found[RU6]["count"], found[RU6]["country"]) == (10, "RU")
    assert (found[RU6]["src_ips"], found[RU6]["src_ip_count"]) == ([RU6], 1)
    assert len(found[RU6]["evidence"]) == 5


def test_ipv6_and_mapped_ipv4_foreign_admin_access(logs):
    lines = [web(US6, at(0), "/admin/orders", 200),
             web(RU4_MAPPED, at(1), "/admin/orders", 200),
             web(TW6, at(2), "/admin/orders", 200),  # home country: not foreign
             web("fd00::5", at(3), "/admin/orders", 200),  # private (ULA): never foreign
             web("2a02:6b8::78", at(4), "/admin/orders", 403)]  # foreign but refused
    found = {a["src_ip"]: a["country"] for a in alerts_of(logs.scan(lines), "foreign_admin_access")}
    assert found == {US6: "US", "5.255.255.5": "RU"}


def test_allow_list_holds_ipv6_networks_and_mapped_ipv4(logs, tmp_path):
    lines = [web(US6, at(0), "/admin/orders", 200), web(RU4_MAPPED, at(1), "/admin/orders", 200)]
    profile = tmp_path / "site.yaml"
    profile.write_text("allow:\n  ips: ['2001:4860:4860::/48', 5.255.255.0/24]\n")
    assert len(alerts_of(logs.scan(lines), "foreign_admin_access")) == 2
    assert alerts_of(logs.scan(lines, profile_path=profile), "foreign_admin_access") == []


def test_sshd_ipv6_guessing(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text("".join(
        f"2026-03-02T10:00:{i:02d}+08:00 web sshd[{100 + i}]: Failed password for invalid user "
        f"u{i} from 2A02:6B8::77 port 4{i:03d} ssh2\n" for i in range(10)))
    doc = scan([log]).to_dict()
    assert [a["src_ip"] for a in alerts_of(doc, "credential_stuffing")] == [RU6]
