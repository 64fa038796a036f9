"""Firewall records (source `firewall`): netfilter/ufw kernel lines, FortiGate, pfirewall.log —
exact fields, sniffing, the archive and coverage against the 3-year retention, no alerts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from lwdata import at, signature, web

from gezi.core.errors import GeziError
from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan
from gezi.logwatch.sources import sniff
from gezi.logwatch.store import coverage, ingest, prune, verify

TW = dt.timezone(dt.timedelta(hours=8))
COLUMNS = "ip, dst_ip, src_port, dst_port, proto, action, bytes, vhost, ts_ms"
MAC = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00"
UFW_BLOCK = (f"Nov 23 10:00:00 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= {MAC} "
             "SRC=203.0.113.9 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP "
             "SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0")
FG_DENY = ('date=2026-11-23 time=10:00:00 devname="FG100F" devid="FG100FTK19000001" '
           'eventtime=1795399200123456789 tz="+0800" logid="0000000013" type="traffic" '
           'subtype="forward" level="notice" vd="root" srcip=203.0.113.9 srcport=51234 '
           'srcintf="wan1" dstip=10.0.0.5 dstport=443 dstintf="internal" proto=6 action="deny" '
           'policyid=0 sentbyte=0 rcvdbyte=0')
PF_HEAD = ["#Version: 1.5", "#Software: Microsoft Windows Firewall", "#Time Format: Local",
           "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags "
           "tcpsyn tcpack tcpwin icmptype icmpcode info path", ""]
PF_DROP = "2026-11-23 10:00:00 DROP TCP 203.0.113.9 10.0.0.5 51234 3389 52 S 12345 0 64240 - - - RECEIVE"


def ms(*args: int, tz: dt.tzinfo = TW) -> int:
    """epoch ms of a local time."""
    return int(dt.datetime(*args, tzinfo=tz).timestamp() * 1000)


def _parse(tmp_path: Path, lines: list[str], fmt: str = "auto", name: str = "fw.log",
           crlf: bool = False, **kw) -> tuple[str, list[tuple], Workspace]:
    path = tmp_path / name
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode() + b"\n")
    ws = Workspace(**kw)
    used = ws.add_file(path, fmt)
    rows = ws.con.execute(f"SELECT source, {COLUMNS} FROM ({ws.parsed_union()}) "
                          f"ORDER BY rid").fetchall()
    assert {r[0] for r in rows} <= {"firewall"}
    return used, [r[1:] for r in rows], ws


def test_ufw_and_iptables_kernel_lines(tmp_path):
    lines = [
        UFW_BLOCK,
        "Nov 23 10:00:01 gw kernel: [12346.000000] [UFW ALLOW] IN= OUT=eth0 SRC=10.0.0.5 "
        "DST=198.51.100.7 LEN=76 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=123 DPT=123 LEN=56",
        # IPv6: the kernel writes every group in full
        "Nov 23 10:00:02 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:86:dd "
        "SRC=2001:0db8:0000:0000:0000:0000:0000:0009 DST=2001:0db8:0000:0000:0000:0000:0000:0005 "
        "LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=443 WINDOW=64800 RES=0x00 SYN URGP=0",
        # a plain iptables LOG prefix, RFC 3339 stamp, ICMP (no ports)
        "2026-11-23T10:00:03.123456+08:00 gw kernel: IPTABLES-DROP: IN=eth1 OUT= MAC=aa SRC=192.0.2.1 "
        "DST=10.0.0.5 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1",
        # an ICMP error quoting the packet it is about: its SRC/SPT/DPT are not the record's
        "Nov 23 10:00:04 gw kernel: [UFW AUDIT] IN= OUT=eth0 SRC=10.0.0.5 DST=203.0.113.9 LEN=96 "
        "TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 [SRC=203.0.113.9 DST=10.0.0.5 "
        "LEN=68 TOS=0x00 PREC=0x00 TTL=52 ID=2 PROTO=UDP SPT=53 DPT=5000 LEN=48 ]",
        # RFC 5424 (nftables `log prefix "nft-accept "`), no LOG prefix brackets
        "<4>1 2026-11-23T02:00:05Z gw kernel - - - nft-accept IN=eth0 OUT= SRC=192.0.2.2 "
        "DST=10.0.0.5 LEN=60 PROTO=TCP SPT=1 DPT=80",
        "<4>Nov 23 10:00:06 gw kernel: [UFW LIMIT BLOCK] IN=eth0 OUT= SRC=192.0.2.3 DST=10.0.0.5 "
        "LEN=60 PROTO=TCP SPT=2 DPT=22",
        # near misses: kernel lines that are no packet log, other programs, no syslog at all
        "Nov 23 10:00:07 gw kernel: [    5.123456] usb 1-1: new high-speed USB device number 2",
        "Nov 23 10:00:08 gw kernel: [    6.000000] br0: port 1(eth0) entered forwarding state",
        "Nov 23 10:00:09 gw systemd[1]: Started Session 1 of user root.",
        "garbage, not a syslog line",
        "",
    ]
    used, rows, ws = _parse(tmp_path, lines, year=2026)
    with ws:
        assert used == "iptables"
        assert rows == [
            ("203.0.113.9", "10.0.0.5", 51234, 22, "TCP", "deny", 60, "gw", ms(2026, 11, 23, 10, 0, 0)),
            ("10.0.0.5", "198.51.100.7", 123, 123, "UDP", "allow", 76, "gw",
             ms(2026, 11, 23, 10, 0, 1)),
            ("2001:0db8:0000:0000:0000:0000:0000:0009", "2001:0db8:0000:0000:0000:0000:0000:0005",
             40000, 443, "TCP", "deny", 80, "gw", ms(2026, 11, 23, 10, 0, 2)),
            ("192.0.2.1", "10.0.0.5", None, None, "ICMP", "deny", 84, "gw",
             ms(2026, 11, 23, 10, 0, 3) + 123),
            ("10.0.0.5", "203.0.113.9", None, None, "ICMP", "other", 96, "gw",
             ms(2026, 11, 23, 10, 0, 4)),
            ("192.0.2.2", "10.0.0.5", 1, 80, "TCP", "allow", 60, "gw", ms(2026, 11, 23, 10, 0, 5)),
            ("192.0.2.3", "10.0.0.5", 2, 22, "TCP", "deny", 60, "gw", ms(2026, 11, 23, 10, 0, 6)),
        ]
        s = ws.summary
        assert (s.lines, s.parsed) == (11, 7)  # the empty line is no line
        assert dict(s.by_reason) == {"not_firewall_event": 3, "unrecognized_format": 1}
        assert "usb 1-1" in s.samples["not_firewall_event"]
        assert s.zoned == 5  # classic stamps, read in the site zone


def test_syslog_year_and_zone_rules_apply(tmp_path):
    lines = [UFW_BLOCK.replace("Nov 23", "Dec 31"), UFW_BLOCK.replace("Nov 23", "Jan  1")]
    _, rows, ws = _parse(tmp_path, lines, year=2026, tz="UTC")
    ws.close()
    assert [r[-1] for r in rows] == [ms(2026, 12, 31, 10, 0, 0, tz=dt.UTC),
                                     ms(2027, 1, 1, 10, 0, 0, tz=dt.UTC)]


def test_fortigate_key_value(tmp_path):
    lines = [
        FG_DENY,  # eventtime in ns
        # <PRI> prefix, eventtime in seconds (FortiOS 6.0), accept
        '<189>date=2026-11-23 time=10:00:01 devname="FG100F" devid="FG100FTK19000001" '
        'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
        "eventtime=1795399201 srcip=10.0.0.8 srcport=50000 dstip=8.8.8.8 dstport=53 proto=17 "
        'action="accept" sentbyte=60 rcvdbyte=120',
        # after a syslog header, eventtime in µs, the session closed (allowed)
        'Nov 23 10:00:02 192.168.1.99 date=2026-11-23 time=10:00:02 devname="FG 100F" '
        'eventtime=1795399202500000 logid="0000000013" type="traffic" subtype="local" '
        "srcip=2001:db8::7 srcport=1 dstip=2001:db8::1 dstport=22 proto=6 action=close",
        # no eventtime: date and time at the tz offset
        "date=2026-11-23 time=09:00:03 devname=FG100F tz=\"+0700\" logid=\"0000000013\" "
        "type=\"traffic\" subtype=\"forward\" srcip=198.51.100.1 srcport=1 dstip=10.0.0.6 "
        "dstport=3389 proto=6 action=start",
        # neither: the site zone
        'date=2026-11-23 time=10:00:04 devid="FGT60E" logid="0000000013" type="traffic" '
        "srcip=198.51.100.2 dstip=10.0.0.6 proto=1 action=deny",
        # near miss: an event log (an admin logging in) has no traffic
        'date=2026-11-23 time=10:00:05 devname="FG100F" logid="0100032001" type="event" '
        'subtype="system" level="information" user="admin" srcip=10.0.0.9 action="login" '
        'status="success" msg="Administrator admin logged in successfully from https(10.0.0.9)"',
        # traffic without source, a date that is no date, garbage
        'date=2026-11-23 time=10:00:06 logid="0000000013" type="traffic" dstip=10.0.0.6 action=deny',
        'date=2026-13-45 time=10:00:07 logid="0000000013" type="traffic" srcip=1.2.3.4 dstip=10.0.0.6',
        "just some text",
    ]
    used, rows, ws = _parse(tmp_path, lines)
    with ws:
        assert used == "fortigate"
        assert rows == [
            ("203.0.113.9", "10.0.0.5", 51234, 443, "TCP", "deny", 0, "FG100F",
             ms(2026, 11, 23, 10, 0, 0) + 123),
            ("10.0.0.8", "8.8.8.8", 50000, 53, "UDP", "allow", 180, "FG100F",
             ms(2026, 11, 23, 10, 0, 1)),
            ("2001:db8::7", "2001:db8::1", 1, 22, "TCP", "allow", None, "FG 100F",
             ms(2026, 11, 23, 10, 0, 2) + 500),
            ("198.51.100.1", "10.0.0.6", 1, 3389, "TCP", "allow", None, "FG100F",
             ms(2026, 11, 23, 10, 0, 3)),
            ("198.51.100.2", "10.0.0.6", None, None, "ICMP", "deny", None, "FGT60E",
             ms(2026, 11, 23, 10, 0, 4)),
        ]
        s = ws.summary
        assert dict(s.by_reason) == {"not_firewall_event": 1, "missing_fields": 1,
                                     "bad_timestamp": 1, "unrecognized_format": 1}
        assert s.zoned == 1
    with Workspace(tz="UTC") as ws:  # the site zone reads the record without eventtime or tz
        ws.add_file(tmp_path / "fw.log", "fortigate")
        row = ws.con.execute(f"SELECT ts_ms FROM ({ws.parsed_union()}) WHERE ip = '198.51.100.2'")
        assert row.fetchone()[0] == ms(2026, 11, 23, 10, 0, 4, tz=dt.UTC)


def test_fortigate_keys_inside_quoted_values_name_nothing(tmp_path):
    """`key=` text inside a quoted value (a message, a user or UI name) is no field: the record
    keeps its own address, type, device and time; a key only inside quotes is missing."""
    spoof = FG_DENY.replace(
        'logid="0000000013"', 'user="a dstip=198.51.100.66" ui="ssh(x devname=EVIL)" '
        'msg="blocked srcip=1.1.1.1 type=event date=2020-01-01 action=accept" logid="0000000013"')
    lines = [
        spoof,
        # near miss: the source address only inside a quoted value
        FG_DENY.replace("srcip=203.0.113.9", 'msg="from srcip=203.0.113.9"'),
    ]
    _, rows, ws = _parse(tmp_path, lines, fmt="fortigate")
    with ws:
        assert rows == [("203.0.113.9", "10.0.0.5", 51234, 443, "TCP", "deny", 0, "FG100F",
                         ms(2026, 11, 23, 10, 0, 0) + 123)]
        assert dict(ws.summary.by_reason) == {"missing_fields": 1}


def test_pfirewall_fields_by_name_local_time(tmp_path):
    lines = [*PF_HEAD, PF_DROP,
             "2026-11-23 10:00:01 ALLOW UDP 10.0.0.5 8.8.8.8 55000 53 0 - - - - - - - SEND",
             "2026-11-23 10:00:02 ALLOW ICMP 10.0.0.5 10.0.0.1 - - 0 - - - - 8 0 - SEND",
             "2026-11-23 10:00:03 INFO-EVENTS-LOST - - - - - - - - - - - - 7 -",
             "2026-11-23 10:00:04 DROP TCP fe80::1 fe80::2 1 2 60 S 1 0 1 - - - RECEIVE",
             "2026-11-23 10:00:05 DROP TCP 203.0.113.9 10.0.0.5 1",  # cut short
             "2026-11-31 10:00:06 DROP TCP 203.0.113.9 10.0.0.5 1 2 60 S 1 0 1 - - - RECEIVE",
             # a later header with another order (and the `pid` column of newer Windows)
             "#Fields: time date src-ip dst-ip action protocol dst-port src-port size tcpflags "
             "tcpsyn tcpack tcpwin icmptype icmpcode info path pid",
             "10:00:07 2026-11-23 198.51.100.4 10.0.0.5 DROP UDP 161 40000 70 - - - - - - - RECEIVE 4"]
    used, rows, ws = _parse(tmp_path, lines, name="pfirewall.log", crlf=True)
    with ws:
        assert used == "pfirewall"
        assert rows == [
            ("203.0.113.9", "10.0.0.5", 51234, 3389, "TCP", "deny", 52, None,
             ms(2026, 11, 23, 10, 0, 0)),
            ("10.0.0.5", "8.8.8.8", 55000, 53, "UDP", "allow", 0, None, ms(2026, 11, 23, 10, 0, 1)),
            ("10.0.0.5", "10.0.0.1", None, None, "ICMP", "allow", 0, None,
             ms(2026, 11, 23, 10, 0, 2)),
            ("fe80::1", "fe80::2", 1, 2, "TCP", "deny", 60, None, ms(2026, 11, 23, 10, 0, 4)),
            ("198.51.100.4", "10.0.0.5", 40000, 161, "UDP", "deny", 70, None,
             ms(2026, 11, 23, 10, 0, 7)),
        ]
        s = ws.summary
        assert dict(s.by_reason) == {"events_lost": 1, "unrecognized_format": 1,
                                     "bad_timestamp": 1}
        assert (s.lines, s.parsed, s.zoned) == (8, 5, 5)  # directives and the blank line are not lines
    # without any #Fields line the file cannot be read, and says why
    _, rows, ws = _parse(tmp_path, [PF_DROP], fmt="pfirewall", name="cut.log")
    with ws:
        assert rows == [] and dict(ws.summary.by_reason) == {"pfirewall_no_fields_header": 1}


def test_sniffing_firewall_formats_and_not_the_others():
    iis = ("#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip "
           "cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\n")
    sshd = "Mar  7 10:00:00 web1 sshd[100]: Failed password for root from 203.0.113.5 port 1 ssh2\n"
    combined = '1.2.3.4 - - [07/Mar/2026:10:00:00 +0800] "GET /?date=2026-11-23 HTTP/1.1" 200 1 "-" "-"\n'
    js = json.dumps({"time_iso8601": "2026-03-07T10:00:00+08:00", "remote_addr": "1.2.3.4",
                     "request": "GET / HTTP/1.1", "status": 200}) + "\n"
    for auth in (False, True):
        assert sniff(UFW_BLOCK + "\n", auth) == "iptables"
        assert sniff(FG_DENY + "\n", auth) == "fortigate"
        assert sniff("<189>" + FG_DENY + "\n", auth) == "fortigate"
        assert sniff("Nov 23 10:00:00 192.168.1.99 " + FG_DENY + "\n", auth) == "fortigate"
        assert sniff("\n".join(PF_HEAD) + "\n" + PF_DROP + "\n", auth) == "pfirewall"
        assert sniff(iis, auth) == "iis"
        assert sniff(sshd, auth) == "sshd"
    assert sniff(combined, False) == "combined" and sniff(js, False) == "json"
    # kern.log beginning with boot lines; a syslog file with more sshd lines than packet logs
    boot = "Nov 23 09:00:00 gw kernel: [    0.000000] Linux version 6.1.0\n"
    assert sniff(boot * 3 + UFW_BLOCK + "\n", False) == "iptables"
    assert sniff(boot + sshd * 2 + UFW_BLOCK + "\n", False) == "sshd"
    assert sniff(boot, False) == "sshd"  # no packet log at all: read as before
    # a FortiWeb log (log_id, not logid) or one FortiGate-looking line among web lines is not
    fortiweb = ('date=2013-10-07 time=11:30:53 log_id=10000017 msg_id=000000001117 type=event '
                'subtype="system" action=login status=success\n')
    assert sniff(fortiweb, False) == "combined"
    assert sniff(combined * 3 + FG_DENY + "\n", False) == "combined"


def test_explicit_formats_and_a_mistaken_choice(tmp_path):
    used, rows, ws = _parse(tmp_path, [UFW_BLOCK], fmt="iptables", year=2026)
    ws.close()
    assert used == "iptables" and len(rows) == 1
    # a web log read as FortiGate is counted, not a traceback
    line = web("203.0.113.1", at(0), "/")
    used, rows, ws = _parse(tmp_path, [line] * 3, fmt="fortigate", name="web.log")
    with ws:
        assert rows == [] and dict(ws.summary.by_reason) == {"unrecognized_format": 3}
    # binary garbage and invalid UTF-8 in a firewall file
    path = tmp_path / "bin.log"
    path.write_bytes(UFW_BLOCK.encode() + b"\n\xff\xfe\x00garbage\x01\n" + b"\x80" * 40 + b"\n")
    with Workspace(year=2026) as ws:
        assert ws.add_file(path) == "iptables"
        assert ws.summary.parsed == 1 and ws.summary.skipped == 2


def test_scan_summarizes_firewall_records_and_raises_no_alerts(tmp_path):
    # 60 denies from one IP within 3 s and on one port: no web or auth rule reads them
    lines = [UFW_BLOCK.replace("10:00:00", f"10:00:0{i % 3}") for i in range(60)]
    lines += [UFW_BLOCK.replace("203.0.113.9", f"198.51.100.{i}") for i in range(3)]
    lines += [UFW_BLOCK.replace("[UFW BLOCK]", "[UFW ALLOW]").replace("203.0.113.9", "192.0.2.5")]
    fw = tmp_path / "ufw.log"
    fw.write_text("\n".join(lines) + "\n")
    doc = scan([fw], year=2026).to_dict()
    assert doc["alerts"] == []
    s = doc["summary"]
    assert (s["lines"], s["parsed"], s["first_ts"]) == (64, 64, "2026-11-23T10:00:00+08:00")
    f = s["firewall"]
    assert (f["records"], f["allow"], f["deny"], f["other"]) == (64, 1, 63, 0)
    assert f["top_denied_sources"][0] == {"ip": "203.0.113.9", "country": None, "count": 60}
    assert f["top_denied_ports"] == [{"port": 22, "count": 63}]
    # with a web log the alerts are the web log's alone
    bot = tmp_path / "access.log"
    bot.write_text("\n".join(web("203.0.113.9", at(i / 20), f"/p{i}") for i in range(40)) + "\n")
    alone = scan([bot]).to_dict()
    both = scan([bot, fw], year=2026).to_dict()
    assert signature(both) == signature(alone) and alone["alerts"]
    assert alone["summary"]["firewall"] is None
    assert both["summary"]["firewall"]["records"] == 64
    # the kernel's expanded IPv6 and Windows' compressed spelling are one source
    v6 = UFW_BLOCK.replace("SRC=203.0.113.9", "SRC=2001:0db8:0000:0000:0000:0000:0000:0009")
    fw6 = tmp_path / "ufw6.log"
    fw6.write_text(v6 + "\n")
    pf = tmp_path / "pfirewall.log"
    pf.write_text("\n".join([*PF_HEAD, PF_DROP.replace("203.0.113.9", "2001:db8::9")]) + "\n")
    f6 = scan([fw6, pf], year=2026).to_dict()["summary"]["firewall"]
    assert f6["top_denied_sources"] == [{"ip": "2001:db8::9", "country": None, "count": 2}]


def test_kern_log_without_packet_logs_is_read_fine(tmp_path):
    path = tmp_path / "kern.log"
    path.write_text("Nov 23 09:00:00 gw kernel: [    0.000000] Linux version 6.1.0\n")
    doc = scan([path], year=2026, fmt="iptables").to_dict()
    assert doc["summary"]["by_reason"] == {"not_firewall_event": 1}
    assert doc["summary"]["firewall"] is None and doc["alerts"] == []
    garbage = tmp_path / "fg.log"
    garbage.write_text("nothing here\n")
    with pytest.raises(GeziError, match="nothing could be parsed"):
        scan([garbage], fmt="fortigate")


def _fw_days(tmp_path: Path, days: list[int]) -> Path:
    path = tmp_path / f"fortigate-{days[0]}.log"
    path.write_text("\n".join(FG_DENY.replace("eventtime=1795399200123456789 ", "")
                              .replace("2026-11-23", (dt.date(2026, 11, 23) + dt.timedelta(days=d))
                                       .isoformat()) for d in days) + "\n")
    return path


def test_ingest_verify_coverage_and_retention(tmp_path):
    data = tmp_path / "data"
    raw = _fw_days(tmp_path, [0, 1, 3])
    web_log = tmp_path / "access.log"
    web_log.write_text(web("203.0.113.1", at(0), "/") + "\n")
    doc = ingest(data, [raw, web_log], [])
    assert [f["events"] for f in doc["files"]] == [3, 1]
    parts = sorted(p.parent.name for p in (data / "logs/events/source=firewall").glob("*/*.parquet"))
    assert parts == ["day=2026-11-23", "day=2026-11-24", "day=2026-11-26"]
    con = duckdb.connect()
    row = con.execute(f"SELECT ip, dst_ip, src_port, dst_port, proto, action, vhost FROM "
                      f"read_parquet('{data}/logs/events/source=firewall/day=2026-11-24/*.parquet')")
    assert row.fetchall() == [("203.0.113.9", "10.0.0.5", 51234, 443, "TCP", "deny", "FG100F")]
    web_cols = {r[0] for r in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{data}/logs/events/source=web/*/*.parquet')").fetchall()}
    assert "dst_ip" not in web_cols and "action" not in web_cols  # web files keep their columns
    entry = json.loads((data / "logs/manifest.json").read_text())["files"][0]
    assert (entry["format"], entry["timezone"], entry["by_reason"]) == ("fortigate", "Asia/Taipei", {})
    assert verify(data)["ok"]
    cov = next(c for c in coverage(data, dt.date(2026, 11, 27))["sources"] if c["source"] == "firewall")
    assert (cov["retention"], cov["window_start"], cov["days_with_data"]) == ("3 年", "2023-11-27", 3)
    assert cov["gaps"][-2:] == [["2026-11-25", "2026-11-25"], ["2026-11-27", "2026-11-27"]]
    assert cov["gaps"][0] == ["2023-11-27", "2026-11-22"]
    assert "網路安全管理 8" in cov["citation"]
    # three years are kept: pruning inside them is refused
    with pytest.raises(GeziError, match="retention"):
        prune(data, dt.date(2026, 11, 24), "firewall", dt.date(2029, 11, 23))
    done = prune(data, dt.date(2026, 11, 24), "firewall", dt.date(2029, 11, 24))
    assert done["deleted"] == ["events/source=firewall/day=2026-11-23"]
    assert verify(data)["ok"]


def test_cli_scan_ingest_coverage_report(tmp_path, cli, fresh_env, monkeypatch):
    monkeypatch.setenv("GEZI_DATA_DIR", str(tmp_path / "data"))
    raw = _fw_days(tmp_path, [0, 1])
    r = cli("logs", "scan", raw)
    assert r.code == 0, r.err
    assert "防火牆紀錄 firewall records 2" in r.out and "拒絕 deny 2" in r.out
    assert "203.0.113.9" in r.out
    r = cli("logs", "scan", raw, "--format", "fortigate", "--json")
    assert r.json["summary"]["files"][0]["format"] == "fortigate"
    assert cli("logs", "ingest", raw).code == 0
    assert cli("logs", "verify").code == 0
    r = cli("logs", "coverage", "--until", "2026-11-25", "--json")
    cov = next(c for c in r.json["sources"] if c["source"] == "firewall")
    window = (dt.date(2026, 11, 25) - dt.date(2023, 11, 25)).days + 1
    assert cov["days_with_data"] == 2 and cov["missing_days"] == window - 2
    # the daily login review has nothing to read on a firewall-only day: one line, exit 2
    r = cli("logs", "report", "--day", "2026-11-23")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "firewall" in r.err
    r = cli("logs", "prune", "--before", "2026-11-24", "--source", "firewall")
    assert r.code == 2 and "retention" in r.err
