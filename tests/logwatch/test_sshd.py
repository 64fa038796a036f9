"""sshd syslog lines as auth events: mapping, year/zone placement, the real auth.log sample."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from lwdata import alerts_of, signature

from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan

REAL = Path("/work/shared/realworld/sshd_auth.log")
H = "Mar  7 10:00:{:02d} web1"


def _events(tmp_path: Path, lines: list[str], **kw) -> tuple[list[tuple], Workspace]:
    path = tmp_path / "auth.log"
    path.write_text("\n".join(lines) + "\n")
    ws = Workspace(**kw)
    assert ws.add_file(path, "auto") == "sshd"
    rows = ws.con.execute(f"SELECT ip, account, event, result FROM ({ws.parsed_union()}) "
                          f"ORDER BY rid").fetchall()
    return rows, ws


def test_sshd_messages_map_to_auth_events(tmp_path):
    lines = [
        f"{H.format(0)} sshd[100]: Invalid user oracle from 203.0.113.5 port 4000",
        f"{H.format(1)} sshd[100]: input_userauth_request: invalid user oracle [preauth]",
        f"{H.format(2)} sshd[100]: pam_unix(sshd:auth): check pass; user unknown",
        f"{H.format(3)} sshd[100]: Failed password for invalid user oracle from 203.0.113.5 port "
        "4000 ssh2",
        f"{H.format(4)} sshd[100]: message repeated 2 times: [ Failed password for invalid user "
        "oracle from 203.0.113.5 port 4000 ssh2]",
        f"{H.format(5)} sshd[101]: Failed password for root from 198.51.100.7 port 5000 ssh2",
        f"{H.format(6)} sshd[101]: error: maximum authentication attempts exceeded for root from "
        "198.51.100.7 port 5000 ssh2 [preauth]",
        f"{H.format(7)} sshd[102]: Invalid user pi from 198.51.100.8",  # gave up after the name
        f"{H.format(8)} sshd[102]: Connection closed by invalid user pi 198.51.100.8 port 22 "
        "[preauth]",
        f"{H.format(9)} sshd[103]: Connection closed by authenticating user git 198.51.100.9 port "
        "6000 [preauth]",
        f"{H.format(10)} sshd-session[104]: Accepted publickey for deploy from 192.0.2.10 port 7000 "
        "ssh2: ED25519 SHA256:abc",
        f"{H.format(11)} sshd[105]: Accepted password for alice from 192.0.2.11 port 7001 ssh2",
        f"{H.format(12)} sudo:   ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/bin/ls",
        f"{H.format(13)} CRON[200]: pam_unix(cron:session): session opened for user root by (uid=0)",
        f"{H.format(14)} sshd[106]: Received disconnect from 192.0.2.11 port 7001:11: bye",
        f"{H.format(15)} sshd[107]: Failed none for invalid user x from 203.0.113.6 port 1 ssh2",
        "2026-03-07T10:00:16.123456+08:00 web1 sshd[108]: Failed password for bob from "
        "203.0.113.7 port 8000 ssh2",
        "<38>Mar  7 10:00:17 web1 sshd[109]: Failed password for carol from 203.0.113.8 port 9 ssh2",
        "not a syslog line",
    ]
    rows, ws = _events(tmp_path, lines, year=2026)
    with ws:
        assert rows == [
            ("203.0.113.5", "oracle", "login", "unknown_user"),
            ("203.0.113.5", "oracle", "login", "unknown_user"),
            ("203.0.113.5", "oracle", "login", "unknown_user"),  # message repeated 2 times
            ("198.51.100.7", "root", "login", "failure"),
            ("198.51.100.8", "pi", "login", "unknown_user"),  # one connection, one attempt
            ("198.51.100.9", "git", "login", "failure"),
            ("192.0.2.10", "deploy", "login", "success"),
            ("192.0.2.11", "alice", "login", "success"),
            ("203.0.113.7", "bob", "login", "failure"),
            ("203.0.113.8", "carol", "login", "failure"),
        ]
        s = ws.summary
        assert (s.lines, s.parsed) == (19, 9)
        assert dict(s.by_reason) == {"duplicate_auth_line": 5, "not_auth_event": 4,
                                     "unrecognized_format": 1}
        ts = ws.con.execute(f"SELECT min(ts_ms) FROM ({ws.parsed_union()})").fetchone()[0]
    assert ts == int(dt.datetime(2026, 3, 7, 10, 0, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))
                     .timestamp() * 1000)


def _first_last(doc: dict) -> tuple[str, str]:
    return doc["summary"]["first_ts"], doc["summary"]["last_ts"]


def test_year_from_option_or_mtime_with_december_rollover_and_zone(tmp_path):
    path = tmp_path / "auth.log"
    path.write_text(
        "Dec 31 23:59:58 h sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2\n"
        "Nov 30 23:00:00 h sshd[2]: Failed password for root from 203.0.113.5 port 1 ssh2\n"
        "Jan  1 00:00:02 h sshd[3]: Failed password for root from 203.0.113.5 port 1 ssh2\n"
        "Jan  1 00:00:03 h sshd[4]: Failed password for root from 203.0.113.5 port 1 ssh2\n")
    doc = scan([path], year=2025).to_dict()
    # Dec → Nov is a step back (lines out of order), not a new year; Dec → Jan is
    assert _first_last(doc) == ("2025-11-30T23:00:00+08:00", "2026-01-01T00:00:03+08:00")
    # three failures within 24 h across the new year (a wrong year would split them)
    bf = alerts_of(doc, "brute_force")[0]
    assert bf["count"] == 3 and bf["first_seen"] == "2025-12-31T23:59:58+08:00"
    # without --year: the file was last written on 2 Jan 2027, so its last line is in 2027
    stamp = dt.datetime(2027, 1, 2, 12, tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))
    assert _first_last(scan([path]).to_dict())[1] == "2027-01-01T00:00:03+08:00"
    # written on 2 Jan 2027 but ending in December: that December is 2026's
    path.write_text("Dec 30 10:00:00 h sshd[1]: Accepted password for bob from 192.0.2.1 port 1 "
                    "ssh2\n")
    os.utime(path, (stamp, stamp))
    assert _first_last(scan([path]).to_dict())[0] == "2026-12-30T10:00:00+08:00"
    # --tz: the same wall-clock time in UTC is 8 hours later than in Taipei
    assert _first_last(scan([path], year=2026, tz="UTC").to_dict())[0] == \
        "2026-12-30T18:00:00+08:00"


def test_cli_sniffs_syslog_and_refuses_bad_zone(tmp_path, cli, fresh_env):
    path = tmp_path / "secure"
    path.write_text("".join(
        f"Apr  2 03:00:{i:02d} h sshd[{i}]: Failed password for invalid user u{i} from "
        f"203.0.113.9 port 1 ssh2\n" for i in range(12)))
    r = cli("logs", "scan", path, "--year", "2015", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["summary"]["files"][0]["format"] == "sshd"
    assert [a["src_ip"] for a in alerts_of(doc, "credential_stuffing")] == ["203.0.113.9"]
    assert "u11" not in r.out  # account names masked in evidence
    web = tmp_path / "access.log"
    web.write_text('192.0.2.1 - - [02/Apr/2015:03:00:00 +0800] "GET / HTTP/1.1" 200 5 "-" "-"\n')
    as_auth = cli("logs", "scan", web, "--auth", path, "--year", "2015", "--json")
    assert as_auth.code == 0
    assert [f["format"] for f in as_auth.json["summary"]["files"]] == ["combined", "sshd"]
    bad = cli("logs", "scan", path, "--tz", "Mars/Olympus", "--json")
    assert bad.code == 2 and bad.out == "" and "unknown time zone" in bad.err
    assert len(bad.err.strip().splitlines()) == 1


@pytest.mark.skipif(not REAL.exists(), reason="real-world sample not present")
def test_real_sshd_auth_log_finds_the_real_password_guessing():
    doc = scan([REAL], year=2015).to_dict()
    s = doc["summary"]
    assert s["lines"] == 7121 and s["files"][0]["format"] == "sshd"
    assert set(s["by_reason"]) == {"not_auth_event", "duplicate_auth_line"}
    # 3,026 lines are not sshd's (CRON 1,264, sudo 557, systemd-logind …): all not_auth_event
    assert s["by_reason"]["not_auth_event"] > 3026
    assert "sudo" in s["samples"]["not_auth_event"] or "sshd" in s["samples"]["not_auth_event"]
    assert s["first_ts"].startswith("2015-03-27") and s["last_ts"].startswith("2015-04-20")
    by_cat: dict[str, set] = {}
    for a in doc["alerts"]:
        by_cat.setdefault(a["category"], set()).add(a["src_ip"])
    # 91.197.232.109 tried 24 different non-existent names (admin, ftp, pi, ubnt …) on 28 Mar
    assert by_cat["credential_stuffing"] == {"91.197.232.109"}
    stuffing = alerts_of(doc, "credential_stuffing")[0]
    assert stuffing["count"] == 24 and stuffing["day"] == "2015-03-28"
    # 34.204.227.175: 43 password attempts with an empty user name; 122.163.61.218: invalid
    # users admin and ubnt besides root; 181.26.186.35: 24 attempts for unknown names
    assert {"91.197.232.109", "34.204.227.175", "122.163.61.218", "181.26.186.35"} <= \
        by_cat["unknown_account"]
    # near miss: 5.74.204.136 tried two unknown names once each (one connection each)
    assert "5.74.204.136" not in set().union(*by_cat.values())
    # root is guessed every day from changing IPs; 122.191.88.115 alone sent 6 on 5 Apr
    root = [a for a in alerts_of(doc, "brute_force") if a["user"] == "r***"]
    assert len(root) >= 20 and "122.191.88.115" in {a["src_ip"] for a in root}
    # the admins' own addresses log in with keys and passwords: never stuffing/unknown account
    for ip in ("85.245.107.41", "24.151.103.17"):
        assert ip not in by_cat["unknown_account"] | by_cat["credential_stuffing"]


def test_ingest_archives_sshd_events_as_auth_on_the_given_year(tmp_path, cli, fresh_env):
    path = tmp_path / "auth.log"
    path.write_text(
        "Dec 31 23:59:58 h sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2\n"
        "Jan  1 00:00:02 h sshd[2]: Accepted publickey for bob from 192.0.2.1 port 2 ssh2: K\n"
        "Jan  1 00:00:03 h CRON[3]: pam_unix(cron:session): session opened for user root\n")
    r = cli("logs", "ingest", path, "--year", "2025", "--tz", "UTC", "--json")
    assert r.code == 0, r.err
    assert r.json["files"][0]["events"] == 2
    # 23:59:58 UTC on 31 Dec is 1 Jan 07:59:58 in Taipei: both events land on 2026-01-01
    days = sorted(p.parent.name for p in Path(r.json["archive"]).glob("source=auth/*/*.parquet"))
    assert days == ["day=2026-01-01"]
    bad = cli("logs", "ingest", path, "--tz", "Taipei", "--json")
    assert bad.code == 2 and "unknown time zone" in bad.err


def test_quiet_auth_log_is_not_an_error_but_garbage_is(tmp_path, cli, fresh_env):
    quiet = tmp_path / "auth.log"
    quiet.write_text(
        "Mar  7 10:00:00 h sudo:   ubuntu : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n"
        "Mar  7 10:00:01 h CRON[3]: pam_unix(cron:session): session closed for user root\n")
    r = cli("logs", "scan", quiet, "--year", "2026", "--json")
    assert r.code == 0, r.err
    assert r.json["summary"]["by_reason"] == {"not_auth_event": 2} and r.json["alerts"] == []
    junk = tmp_path / "junk.log"
    junk.write_text("Mar  7 10:00:00 this is not syslog at all\n")
    bad = cli("logs", "scan", junk, "--format", "sshd", "--json")
    assert bad.code == 2 and "nothing could be parsed" in bad.err


def test_sniffing_syslog_before_csv_and_after_a_cut_first_line():
    from gezi.logwatch.sources import sniff

    line = "Mar  7 10:00:00 h sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2"
    assert sniff("ssword for root from 1.2.3.4 port 1 ssh2\n" + line + "\n", auth=True) == "sshd"
    # commas in a syslog line do not make an --auth file CSV
    assert sniff("Mar  7 10:00:00 h sudo: a, b, c\n", auth=True) == "sshd"
    assert sniff("2026-03-02T10:00:00+0800 h sshd[1]: x\n", auth=False) == "sshd"
    # near misses: gezi's CSV header and a combined line stay what they are
    assert sniff("ts,ip,user,event,result\n", auth=True) == "auth-csv"
    assert sniff('1.2.3.4 - - [07/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"\n',
                 auth=False) == "combined"


def test_ingest_takes_the_zone_from_tz_then_the_profile_then_taipei(tmp_path, cli, fresh_env):
    utc = tmp_path / "utc.yaml"
    utc.write_text("timezone: UTC\n")

    def ingest(name: str, *opts) -> tuple[list[str], dict]:
        path = tmp_path / name
        # 20:00 in Taipei is still 31 Dec; 20:00 UTC is 04:00 on 1 Jan in Taipei
        path.write_text("Dec 31 20:00:00 h sshd[1]: Failed password for root from 203.0.113.5 "
                        f"port 1 ssh2\nDec 31 20:00:01 h CRON[2]: {name}\n")  # a new SHA-256
        r = cli("logs", "ingest", path, "--year", "2025", *opts, "--json")
        assert r.code == 0, r.err
        archive = Path(r.json["archive"])
        sha = r.json["files"][0]["sha256"][:16]
        days = [p.parent.name for p in archive.glob(f"source=auth/*/{sha}.parquet")]
        manifest = json.loads((archive.parent / "manifest.json").read_text())
        return days, next(f for f in manifest["files"] if f["name"] == name)

    days, entry = ingest("plain.log")
    assert days == ["day=2025-12-31"] and entry["timezone"] == "Asia/Taipei"
    days, entry = ingest("profile.log", "--profile", utc)
    assert days == ["day=2026-01-01"] and entry["timezone"] == "UTC"
    days, entry = ingest("tz.log", "--profile", utc, "--tz", "Asia/Tokyo")  # --tz wins
    assert days == ["day=2025-12-31"] and entry["timezone"] == "Asia/Tokyo"
    # near miss: a profile naming a zone that does not exist is a one-line error
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Mars/Olympus\n")
    r = cli("logs", "ingest", tmp_path / "plain.log", "--profile", bad, "--json")
    assert r.code == 2 and "unknown time zone" in r.err and len(r.err.strip().splitlines()) == 1


R5424 = "<38>1 2026-03-02T10:00:{:02d}.123456+08:00 web1 {} {} - {} {}"


def test_rfc5424_lines_map_like_the_bsd_form(tmp_path):
    sd = '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'
    lines = [
        R5424.format(0, "sshd", "1234", "-", "Failed password for root from 203.0.113.5 port 22 ssh2"),
        R5424.format(1, "sshd", "1235", sd, "Failed password for invalid user oracle from 203.0.113.6 "
                     "port 22 ssh2"),
        # escaped '"', '\\' and ']' inside a parameter value
        R5424.format(2, "sshd", "1236", r'[origin ip="10.0.0.1" x="a\"b\\c\]d"]',
                     "message repeated 2 times: [ Failed password for bob from 203.0.113.7 port 1 ssh2]"),
        # NILVALUE PROCID, MSGID and a byte-order mark before MSG (RFC 5424 MSG-UTF8)
        R5424.format(3, "sshd-session", "-", "-", "\ufeffAccepted publickey for deploy from "
                     "192.0.2.10 port 7000 ssh2: ED25519 SHA256:abc"),
        "<38>1 2026-03-02T02:00:04Z web1 sshd - ID47 - Invalid user pi from 198.51.100.8 port 5",
        "<38>1 2026-03-02T02:00:05Z web1 sshd - ID47 - Failed password for invalid user pi from "
        "198.51.100.8 port 5 ssh2",
        "<38>1 2026-03-02T02:00:06Z web1 sshd - ID47 - Invalid user admin from 198.51.100.9 port 5",
        R5424.format(7, "CRON", "200", "-", "pam_unix(cron:session): session opened for user root"),
        "<38>1 - web1 sshd 99 - - Failed password for root from 203.0.113.5 port 22 ssh2",
        # near misses, not RFC 5424: offset without colon, a space inside SD, no SD at all
        "<38>1 2026-03-02T10:00:09+0800 web1 sshd 1 - - Failed password for root from 203.0.113.5 "
        "port 22 ssh2",
        "<38>1 2026-03-02T10:00:10+08:00 web1 sshd 1 - [bad sd] Failed password for root from "
        "203.0.113.5 port 22 ssh2",
        "<38>1 2026-03-02T10:00:11+08:00 web1 sshd 1 -",
    ]
    rows, ws = _events(tmp_path, lines)
    with ws:
        assert rows == [
            ("203.0.113.5", "root", "login", "failure"),
            ("203.0.113.6", "oracle", "login", "unknown_user"),
            ("203.0.113.7", "bob", "login", "failure"),
            ("203.0.113.7", "bob", "login", "failure"),  # message repeated 2 times
            ("192.0.2.10", "deploy", "login", "success"),
            # without a PROCID the client's IP stands for the connection: Invalid user + Failed
            # from 198.51.100.8 is one attempt, 198.51.100.9 (a different client) is its own
            ("198.51.100.8", "pi", "login", "unknown_user"),
            ("198.51.100.9", "admin", "login", "unknown_user"),
        ]
        s = ws.summary
        assert dict(s.by_reason) == {"duplicate_auth_line": 1, "not_auth_event": 1,
                                     "missing_timestamp": 1, "unrecognized_format": 3}
        ts = [r[0] for r in ws.con.execute(
            f"SELECT ts_ms FROM ({ws.parsed_union()}) ORDER BY rid").fetchall()]
    tw = dt.timezone(dt.timedelta(hours=8))
    assert ts[0] == int(dt.datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=tw).timestamp() * 1000)
    assert ts[5] == int(dt.datetime(2026, 3, 2, 10, 0, 5, tzinfo=tw).timestamp() * 1000)  # Z


def test_rfc5424_file_is_sniffed_and_raises_the_same_alerts_as_bsd(tmp_path):
    from gezi.logwatch.sources import sniff

    bsd, rfc = tmp_path / "bsd.log", tmp_path / "rfc.log"
    bsd.write_text("".join(f"Mar  2 10:00:{i:02d} web1 sshd[{i}]: Failed password for invalid user "
                           f"u{i} from 203.0.113.9 port 1 ssh2\n" for i in range(12)))
    rfc.write_text("".join(f"<38>1 2026-03-02T10:00:{i:02d}+08:00 web1 sshd {i} - - Failed password "
                           f"for invalid user u{i} from 203.0.113.9 port 1 ssh2\n" for i in range(12)))
    assert sniff(rfc.read_text(), auth=False) == "sshd"
    assert sniff("<34>1 2026-03-02T10:00:00Z h app - - [a b=\"c\"] hi\n", auth=True) == "sshd"
    # near miss: a combined line starting with a number is no RFC 5424 header
    assert sniff('1 2026-03-02 GET / 200\n', auth=False) == "combined"
    a, b = scan([bsd], year=2026).to_dict(), scan([rfc]).to_dict()
    assert signature(a) == signature(b)
    assert {x["category"] for x in b["alerts"]} == {"credential_stuffing", "unknown_account"}
    assert b["summary"]["files"][0]["format"] == "sshd"
