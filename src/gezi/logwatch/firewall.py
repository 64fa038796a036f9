"""Firewall traffic records (source `firewall`): netfilter kernel lines, FortiGate, pfirewall.log.

TWSE 網路安全管理 8 (seed 003) asks brokers to keep firewall in/out records for 3 years; these
parsers let `gezi logs ingest` archive them, so `gezi logs coverage` can show the days kept. No
alert rule reads them.

- `iptables`: the kernel's log lines of iptables / nftables `LOG` targets and ufw
  (`kernel: [UFW BLOCK] IN=eth0 OUT= MAC=… SRC=… DST=… PROTO=TCP SPT=… DPT=…`) in any syslog form
  gezi reads (`gezi.logwatch.syslog`: its stamps, year and zone rules). The log prefix decides the
  action: it is whatever the administrator wrote (`[UFW BLOCK]`, `IPTABLES-DROP: `), so words in it
  are read (block, drop, deny, reject → deny; allow, accept, pass → allow; otherwise other).
- `fortigate`: FortiOS key=value logs (`date=… time=… devname="…" … type="traffic" srcip=…`), with
  or without a syslog header before them. Only `type="traffic"` records are firewall traffic; the
  FortiOS Log Message Reference defines `action` as deny (blocked by a firewall policy), start
  (session start, allowed) and any other value (allowed, telling how the session closed).
- `pfirewall`: Windows Defender Firewall's W3C-like `pfirewall.log`, fields read by `#Fields:`
  name; its times are the host's local time.

Every parser yields the columns of the other formats (the web and auth ones NULL) plus dst_ip,
src_port, dst_port, proto (TCP, UDP, ICMP … upper case) and action (allow, deny or other).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from gezi.logwatch.sqltext import BLANK as _BLANK
from gezi.logwatch.sqltext import lit as _lit
from gezi.logwatch.syslog import header_sql, time_reason, unreadable_reason
from gezi.logwatch.w3c import fields_sql

FORMATS = ("iptables", "fortigate", "pfirewall")
# Skip reasons of lines that were read correctly but are no firewall traffic record.
RECOGNIZED = ("not_firewall_event",)
COLUMNS = ("dst_ip", "src_port", "dst_port", "proto", "action")
# The web and auth columns, which firewall records do not have.
_NOT_WEB_AUTH = ("NULL::VARCHAR AS method, NULL::VARCHAR AS target, NULL::SMALLINT AS status, "
                 "NULL::VARCHAR AS ref, NULL::VARCHAR AS ua, NULL::VARCHAR AS account, "
                 "NULL::VARCHAR AS event, NULL::VARCHAR AS result")

# A kernel netfilter log message: an optional kernel clock (`[ 1234.567890]`), the LOG prefix,
# then IN= and OUT= (one of them empty), MAC= on input only, SRC= and DST=. An ICMP error quotes
# the offending packet as `[SRC=… DST=… … SPT=… DPT=…]`: its SRC follows '[', not a space.
_NETFILTER = (r"^(?:\[\s*\d+\.\d+\]\s*)?(.*?)\s*IN=(\S*) OUT=(\S*) (?:.*? )?SRC=(\S+) DST=(\S+)"
              r"(?: |$)")
_NETFILTER_SNIFF = re.compile(r" kernel: .*IN=\S* OUT=\S* .*SRC=\S+ DST=\S+")
# FortiOS: `date=2026-11-23 time=10:00:00 … logid="0000000013" …`, maybe after <PRI> or a header.
_FORTIGATE_SNIFF = re.compile(r"(?:^|[\s>])date=\d{4}-\d\d-\d\d time=\d\d:\d\d:\d\d .*\blogid=")
# Protocols that have ports (the ports of an ICMP line belong to the packet it quotes).
_PORTED = "('TCP', 'UDP', 'UDPLITE', 'SCTP', 'DCCP')"


def sniff_fields(fields: str) -> bool:
    """Whether a `#Fields:` directive is pfirewall.log's (IIS names its clients c-ip, not src-ip)."""
    names = {n.lower() for n in fields.removeprefix("#Fields:").split()}
    return {"src-ip", "dst-ip", "action"} <= names


def fortigate_line(line: str) -> bool:
    """Whether a line looks like a FortiOS key=value log (alone or after a syslog header)."""
    return _FORTIGATE_SNIFF.search(line) is not None


def netfilter_line(line: str) -> bool:
    """Whether a syslog line is a kernel netfilter (iptables / nftables / ufw) packet log."""
    return _NETFILTER_SNIFF.search(line) is not None


def _proto(expr: str) -> str:
    """Upper-case protocol name; the IANA numbers FortiOS writes for the common ones."""
    return (f"CASE {expr} WHEN '1' THEN 'ICMP' WHEN '6' THEN 'TCP' WHEN '17' THEN 'UDP' "
            f"WHEN '58' THEN 'ICMPV6' ELSE upper({expr}) END")


def _port(expr: str) -> str:
    return f"CASE WHEN TRY_CAST({expr} AS INTEGER) BETWEEN 0 AND 65535 THEN {expr}::INTEGER END"


def iptables_sql(con: duckdb.DuckDBPyConnection, lines: str, path: Path, year: int | None,
                 tz: str) -> str:
    """SELECT of firewall records from a lines table of syslog lines (netfilter `LOG` output).

    Lines of other programs, and kernel lines that are no packet log, are `not_firewall_event`.
    """
    fields = ", ".join(_lit(n) for n in ("prefix", "iface_in", "iface_out", "src", "dst"))
    spt, dpt = (_port(f"regexp_extract(msg, '(?:^| ){k}=(\\d+)', 1)") for k in ("SPT", "DPT"))
    return f"""
    WITH h AS ({header_sql(con, lines, path, year, tz)}),
    m AS (SELECT *, CASE WHEN prog = 'kernel' THEN regexp_extract(msg, {_lit(_NETFILTER)}, [{fields}])
                    END AS nf FROM h),
    f AS (SELECT *, nullif(nf.src, '') AS src,
                 upper(nullif(regexp_extract(msg, '(?:^| )PROTO=(\\S+)', 1), '')) AS proto,
                 lower(nf.prefix) AS prefix FROM m),
    d AS (SELECT *, CASE {_BLANK} {unreadable_reason()}
                         WHEN src IS NULL THEN 'not_firewall_event'
                         {time_reason()} END AS reason FROM f)
    SELECT rid, ts_ms, src AS ip, {_NOT_WEB_AUTH},
           TRY_CAST(nullif(regexp_extract(msg, '(?:^| )LEN=(\\d+)', 1), '') AS BIGINT) AS bytes,
           host AS vhost, reason, bsd AS zoned,  -- classic stamps are read in the site's zone
           nullif(nf.dst, '') AS dst_ip,
           CASE WHEN proto IN {_PORTED} THEN {spt} END AS src_port,
           CASE WHEN proto IN {_PORTED} THEN {dpt} END AS dst_port,
           proto,
           CASE WHEN regexp_matches(prefix, 'block|drop|deny|reject') THEN 'deny'
                WHEN regexp_matches(prefix, 'allow|accept|pass') THEN 'allow'
                WHEN src IS NOT NULL THEN 'other' END AS action
    FROM d"""


# FortiOS writes `key=value` pairs separated by spaces; string values are enclosed in double
# quotes (every one since FortiOS 5.6.0, Log Message Reference "What's new"), and the reference
# documents no escape inside them, so a '"' ends the value. A key counts only at a token boundary
# (line start, whitespace, or '>' after <PRI>) outside quotes: `msg="… srcip=1.1.1.1 …"` or
# `user="a dstip=…"` names no srcip/dstip (text inside a value would otherwise override the real
# field). Values are read quoted ("…") or up to whitespace or a quote.
# One regex search per key over the whole line cost most of the parse (15 searches of ~700 bytes
# per line); instead the keys are found with strpos in a copy whose separators are all spaces
# (same length, so positions carry over), and the value is read by an anchored regex on a short
# slice at that position. A slice that may cut a value is re-read whole. One regex per line tells
# whether a wanted key stands inside a quoted value; only then (rare) is each key looked up by a
# regex that steps over quoted spans.
_SPACED = ("' ' || replace(replace(replace(replace(replace(line, '>', ' '), chr(9), ' '), "
           "chr(10), ' '), chr(12), ' '), chr(13), ' ')")  # RE2's \s and '>'
_VALUE = r'^(?:"([^"]*)"|([^\s"]*))'
_SLICE = 64  # longer than any value gezi reads (a device name has at most 35 characters)


def _outside_quotes(key: str) -> str:
    """RE2 pattern reading the value of `key` at its first token boundary outside quotes, on the
    line with one space before it: whole quoted spans are skipped (lazily: the first place wins)."""
    return rf'^(?:[^"]*"[^"]*")*?[^"]*?[\s>]{key}=(?:"([^"]*)"|([^\s"]*))'


def _kv_sql(src: str, cols: str, keys: tuple[str, ...]) -> str:
    """SELECT of `cols` and `k_<key>` per key from rows of `src` holding `line`: the value of
    FortiOS key `key` (quoted or not) at a token boundary outside quotes, NULL when absent or
    empty."""
    at = ", ".join(f"strpos(spaced, {_lit(' ' + k + '=')}) AS at_{k}" for k in keys)
    # lines with one of the keys inside a quoted value (rare) read every key by the regex that
    # steps over quoted spans; on the others the first ' key=' is outside quotes
    inner = rf'^(?:[^"]*"[^"]*")*[^"]*"[^"]*[\s>](?:{"|".join(keys)})='
    # only the line up to the end of the last first ' key=' can hide one (the regex is the cost)
    reach = "greatest(" + ", ".join(f"at_{k} + {len(k)}" for k in keys) + ")"
    # value start in `line`: `spaced` has one leading space, so ' key=' at p puts it at p+len+1
    piece = ", ".join(f"CASE WHEN at_{k} > 0 AND NOT inq THEN substr(line, at_{k} + {len(k) + 1}, "
                      f"{_SLICE}) END AS sl_{k}" for k in keys)
    first = ", ".join(f"regexp_extract(sl_{k}, {_lit(_VALUE)}, ['q', 'p']) AS m0_{k}" for k in keys)
    # a quoted value closed, or a plain one ended, inside the slice is whole; else read it again
    match = ", ".join(
        f"CASE WHEN inq THEN regexp_extract(' ' || line, {_lit(_outside_quotes(k))}, ['q', 'p']) "
        f"WHEN length(sl_{k}) = {_SLICE} AND NOT (m0_{k}.q <> '' OR m0_{k}.p <> '' "
        f"AND length(m0_{k}.p) < {_SLICE}) THEN regexp_extract(substr(line, at_{k} + {len(k) + 1}), "
        f"{_lit(_VALUE)}, ['q', 'p']) ELSE m0_{k} END AS m_{k}" for k in keys)
    values = ", ".join(f"coalesce(nullif(m_{k}.q, ''), nullif(m_{k}.p, '')) AS k_{k}" for k in keys)
    return f"""
    WITH s AS (SELECT {cols}, {_SPACED} AS spaced FROM ({src})),
    p AS (SELECT {cols}, {at} FROM s),
    i AS (SELECT *, strpos(line, '"') > 0 AND regexp_matches(substr(line, 1, {reach}), {_lit(inner)})
                    AS inq FROM p),
    q AS (SELECT *, {piece} FROM i),
    r AS (SELECT *, {first} FROM q),
    v AS (SELECT {cols}, {match} FROM r)
    SELECT {cols}, {values} FROM v"""


def _epoch_ms(digits: str) -> str:
    """epoch ms of a FortiOS `eventtime`: seconds (FortiOS 6.0), ms, µs or ns (6.2 and later)."""
    return (f"CASE length({digits}) WHEN 10 THEN {digits}::BIGINT * 1000 "
            f"WHEN 13 THEN {digits}::BIGINT WHEN 16 THEN {digits}::BIGINT // 1000 "
            f"WHEN 19 THEN {digits}::BIGINT // 1000000 END")


def fortigate_body(src: str, carry: str, tz: str) -> str:
    """FortiOS key=value log lines (SELECT from rows of `src` holding `line`).

    The time is `eventtime` when it is a plain epoch number; else `date` and `time` at the `tz`
    field's offset (`+0800`); else `date` and `time` in the site zone `tz` (column `zoned`).
    """
    keys = ("date", "time", "eventtime", "tz", "devname", "devid", "type", "srcip", "srcport",
            "dstip", "dstport", "proto", "action", "sentbyte", "rcvdbyte")
    local = "k_date || ' ' || k_time"
    cols = carry if carry == "line" else f"{carry}, line"
    return f"""
    WITH a AS ({_kv_sql(src, cols, keys)}),
    b AS (SELECT *, CASE WHEN regexp_full_match(k_eventtime, '\\d+')
                         THEN {_epoch_ms("k_eventtime")} END AS et_ms,
                 regexp_full_match(coalesce(k_tz, ''), '[+-]\\d\\d:?\\d\\d') AS has_tz FROM a),
    c AS (SELECT *, coalesce(et_ms, CASE WHEN has_tz THEN epoch_ms(try_strptime(
                        {local} || ' ' || replace(k_tz, ':', ''), '%Y-%m-%d %H:%M:%S %z')) END,
                        epoch_ms(timezone({_lit(tz)}, try_strptime({local}, '%Y-%m-%d %H:%M:%S'))))
                 AS ts_ms FROM b)
    SELECT {carry}, ts_ms, k_srcip AS ip, {_NOT_WEB_AUTH},
           TRY_CAST(k_sentbyte AS BIGINT) + TRY_CAST(k_rcvdbyte AS BIGINT) AS bytes,
           coalesce(k_devname, k_devid) AS vhost,
           CASE {_BLANK}
                WHEN k_date IS NULL AND k_type IS NULL AND k_srcip IS NULL
                  THEN 'unrecognized_format'
                WHEN lower(coalesce(k_type, 'traffic')) <> 'traffic' THEN 'not_firewall_event'
                WHEN k_srcip IS NULL OR k_dstip IS NULL THEN 'missing_fields'
                WHEN ts_ms IS NULL AND k_date IS NULL AND k_eventtime IS NULL
                  THEN 'missing_timestamp'
                WHEN ts_ms IS NULL THEN 'bad_timestamp' END AS reason,
           et_ms IS NULL AND NOT has_tz AS zoned,
           k_dstip AS dst_ip, {_port("k_srcport")} AS src_port, {_port("k_dstport")} AS dst_port,
           {_proto("k_proto")} AS proto,
           CASE WHEN k_action IS NULL THEN 'other' WHEN lower(k_action) = 'deny' THEN 'deny'
                ELSE 'allow' END AS action
    FROM c"""


def pfirewall_sql(con: duckdb.DuckDBPyConnection, lines: str, tz: str) -> str:
    """SELECT of firewall records from a lines table of a Windows Defender Firewall log.

    Times are the host's local time (`#Time Format: Local`), read in the site zone `tz`.
    INFO-EVENTS-LOST lines (the firewall could not write some records; `info` says how many) are
    counted as `events_lost`: a gap in the records that the coverage by day does not show.
    """
    want = {"date": "date", "time": "time", "action": "act", "protocol": "proto",
            "src-ip": "ip", "dst-ip": "dst_ip", "src-port": "src_port", "dst-port": "dst_port",
            "size": "size"}
    union, headers = fields_sql(con, lines, want)
    return f"""
    WITH s AS ({union}),
    t AS (SELECT *, epoch_ms(timezone({_lit(tz)}, try_strptime(date || ' ' || time,
                                                                '%Y-%m-%d %H:%M:%S'))) AS ts_ms
          FROM s)
    SELECT rid, ts_ms, ip, {_NOT_WEB_AUTH}, TRY_CAST(size AS BIGINT) AS bytes,
           NULL::VARCHAR AS vhost,
           CASE WHEN starts_with(line, '#') THEN '_directive' {_BLANK}
                -- before the field count: such a line need not list every field
                WHEN upper(act) = 'INFO-EVENTS-LOST' THEN 'events_lost'
                WHEN NOT fits THEN CASE WHEN {headers} = 0 THEN 'pfirewall_no_fields_header'
                                        ELSE 'unrecognized_format' END
                WHEN ip IS NULL OR dst_ip IS NULL OR act IS NULL THEN 'missing_fields'
                WHEN ts_ms IS NULL THEN 'bad_timestamp' END AS reason,
           true AS zoned,
           dst_ip, {_port("src_port")} AS src_port, {_port("dst_port")} AS dst_port,
           {_proto("proto")} AS proto,
           CASE upper(act) WHEN 'ALLOW' THEN 'allow' WHEN 'DROP' THEN 'deny' ELSE 'other' END
             AS action
    FROM t"""
