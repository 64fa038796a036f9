"""OpenSSH's syslog lines (`/var/log/auth.log`, `/var/log/secure`) as gezi auth events.

Each password or key attempt becomes one `login` event: `Failed … for [invalid user] X from IP`
(failure / unknown_user), `Accepted … for X from IP` (success), and rsyslog's
`message repeated N times: [ Failed … ]` counts N attempts. Lines that only say a connection
ended during authentication (`Invalid user X from IP`, `Connection closed by authenticating user`,
`maximum authentication attempts exceeded`, `User X not allowed`) count as one attempt when the
same sshd process logged no Failed/Accepted line (the client gave up or tried keys only);
otherwise, like PAM's lines about the same attempts, they are `duplicate_auth_line`. Everything
else (sudo, CRON, sessions, disconnects) is `not_auth_event`: counted, not an error.

Classic syslog time stamps (`Mar 27 13:06:56`) carry neither year nor zone. The zone is the
site's (`--tz`, profile `timezone`, default Asia/Taipei). The year comes from `--year` (the year
of the file's first line) or else from the file's modification time (the year of its last
line); a month that goes back by six or more from one line to the next (December → January) starts
the next year. RFC 3339 stamps (`2026-03-02T10:00:00.123+08:00`, rsyslog's high-precision format)
are used as they are, as are those of RFC 5424 lines (`<34>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`),
whose header fields may be the NILVALUE '-'.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from gezi.core.errors import GeziError
from gezi.logwatch.sqltext import BLANK
from gezi.logwatch.sqltext import lit as _lit

_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"
# An optional <PRI> prefix: files written by some network syslog collectors keep it.
_BSD = r"^(?:<\d{1,3}>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)(?:\.\d+)? (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)$"
_ISO = (r"^(?:<\d{1,3}>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (\S+) "
        r"([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)$")
# RFC 5424 (rsyslog's RSYSLOG_SyslogProtocol23Format, syslog-ng's syslog-protocol): <PRI>VERSION
# TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]. Each header field may be the
# NILVALUE '-'; the stamp is RFC 3339 with 1–6 fraction digits and an offset (Z or ±hh:mm);
# STRUCTURED-DATA is '-' or [SD-ID name="value" …] elements with no space between them, values
# escaping '"', '\' and ']' with a backslash; MSG may start with a UTF-8 byte-order mark.
_5424_HEAD = (r"^<\d{1,3}>[1-9]\d{0,2} (-|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?"
              r"(?:Z|[+-]\d\d:\d\d)) (\S+) (\S+) (\S+) (\S+) ")
_SD_NAME = r'[^\s=\]"]{1,32}'  # printable US-ASCII except '=', space, ']' and '"'
_5424 = (_5424_HEAD + rf'(-|(?:\[{_SD_NAME}(?: {_SD_NAME}="(?:[^"\\]|\\.)*")*\])+)'
         r"(?: \x{FEFF}?(.*))?$")
SNIFF = re.compile(_BSD[:-len(r"(.*)$")] + "|" + _ISO[:-len(r"(.*)$")] + "|" + _5424_HEAD + r"[-\[]")
# (kind, regex on the message, its group names, result). Group `a` holds 'invalid user ' or the
# closing kind and decides between failure and unknown_user when no fixed result is given.
_ATTEMPTS = [
    ("strong", r"^Failed (?:password|publickey|keyboard-interactive(?:/pam)?|hostbased|gssapi-with-mic) "
               r"for (invalid user )?(.*) from (\S+) port \d+", ("a", "u", "ip"), None),
    ("strong", r"^Accepted \S+ for (.*) from (\S+) port \d+", ("u", "ip"), "success"),
    ("weak", r"^Invalid user (.*) from (\S+)(?: port \d+)?\s*$", ("u", "ip"), "unknown_user"),
    ("weak", r"^(?:Connection closed|Disconnected) by (authenticating|invalid) user (.*) (\S+) "
             r"port \d+", ("a", "u", "ip"), None),
    ("weak", r"^error: maximum authentication attempts exceeded for (invalid user )?(.*) from "
             r"(\S+) port \d+", ("a", "u", "ip"), None),
    ("weak", r"^User (\S+) from (\S+) not allowed because", ("u", "ip"), "failure"),
]
_DUPLICATE = r"^(pam_unix\(sshd:auth\)|PAM \d+ more authentication failure|PAM service\(sshd\) " \
             r"ignoring max retries|Disconnecting: Too many authentication failures|" \
             r"input_userauth_request: invalid user)"
# Skip reasons of lines that were read correctly but are no (new) login attempt.
RECOGNIZED = ("not_auth_event", "duplicate_auth_line")
SAME_CONNECTION_MS = 600_000  # sshd's LoginGraceTime is 120 s by default; generous margin


def zone(name: str) -> str:
    """A validated IANA zone name (e.g. Asia/Taipei)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise GeziError(f"未知的時區 unknown time zone {name!r} (e.g. Asia/Taipei)") from None
    return name


def _classify(msg: str) -> str:
    """SQL struct (kind, result, user, ip) of one sshd message."""
    cases = []
    for kind, pattern, names, result in _ATTEMPTS:
        m = f"regexp_extract({msg}, {_lit(pattern)}, [{', '.join(_lit(n) for n in names)}])"
        res = _lit(result) if result else (f"CASE WHEN {m}.a IN ('invalid user ', 'invalid') "
                                           f"THEN 'unknown_user' ELSE 'failure' END")
        cases.append(f"WHEN regexp_matches({msg}, {_lit(pattern)}) THEN "
                     f"{{'kind': '{kind}', 'result': {res}, 'u': {m}.u, 'ip': {m}.ip}}")
    return (f"CASE WHEN regexp_matches({msg}, {_lit(_DUPLICATE)}) "
            f"THEN {{'kind': 'duplicate', 'result': NULL, 'u': NULL, 'ip': NULL}} "
            f"{' '.join(cases)} END")


def header_sql(con: duckdb.DuckDBPyConnection, lines: str, path: Path, year: int | None,
               tz: str) -> str:
    """SELECT of every line of a syslog lines table split into its header and message.

    Columns: rid, line, bsd (a classic stamp, read in `tz`), iso (an RFC 3339 / RFC 5424 stamp),
    iso_ts ('-': RFC 5424's NILVALUE), host, prog, pid ('' when none), msg and ts_ms (NULL when
    the stamp cannot be placed). Classic stamps get their year as described in the module
    docstring; that needs the whole file, so it is worked out here, before the SELECT runs.
    """
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE sys_h AS
    WITH a0 AS (SELECT rowid AS rid, line,
                       regexp_extract(line, {_lit(_BSD)}, ['mon', 'day', 'hms', 'host', 'prog', 'pid',
                                                          'msg']) AS b,
                       regexp_extract(line, {_lit(_ISO)}, ['ts', 'host', 'prog', 'pid', 'msg']) AS i
                FROM {lines}),
    -- the RFC 5424 pattern only runs on lines the two common forms did not take
    a AS (SELECT *, CASE WHEN b.mon = '' AND i.ts = '' THEN regexp_extract(
                        line, {_lit(_5424)}, ['ts', 'host', 'prog', 'pid', 'msgid', 'sd', 'msg'])
                    END AS r FROM a0),
    -- one struct per line: the fields of whichever form matched ('-' is RFC 5424's NILVALUE)
    f AS (SELECT rid, line, b.mon <> '' AS bsd, b,
                 CASE WHEN b.mon <> '' THEN b.host WHEN i.ts <> '' THEN i.host ELSE r.host END AS host,
                 CASE WHEN b.mon <> '' THEN b.prog WHEN i.ts <> '' THEN i.prog ELSE r.prog END AS prog,
                 CASE WHEN b.mon <> '' THEN b.pid WHEN i.ts <> '' THEN i.pid
                      ELSE nullif(r.pid, '-') END AS pid,
                 CASE WHEN b.mon <> '' THEN b.msg WHEN i.ts <> '' THEN i.msg ELSE r.msg END AS msg,
                 nullif(CASE WHEN i.ts <> '' THEN i.ts ELSE coalesce(r.ts, '') END, '') AS iso_ts
          FROM a)
    SELECT rid, line, bsd, iso_ts IS NOT NULL AS iso,
           CASE WHEN bsd THEN (strpos({_lit(_MONTHS)}, b.mon) + 2) // 3 END AS month,
           b.day, b.hms, iso_ts, host, prog, coalesce(pid, '') AS pid, coalesce(msg, '') AS msg
    FROM f""")
    # Year rollovers: count the steps back in month (Dec → Jan) before each classic-stamp line.
    con.execute("""
    CREATE OR REPLACE TEMP TABLE sys_y AS
    WITH m AS (SELECT rid, month, lag(month) OVER (ORDER BY rid) AS prev FROM sys_h
               WHERE month > 0)
    SELECT rid, month, sum(CASE WHEN prev - month >= 6 THEN 1 ELSE 0 END)
                           OVER (ORDER BY rid ROWS UNBOUNDED PRECEDING) AS k FROM m""")
    last = con.execute("SELECT month, k FROM sys_y ORDER BY rid DESC LIMIT 1").fetchone()
    if year is not None:
        base = year
    elif last is not None:
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, ZoneInfo(tz))
        base = (mtime.year if last[0] <= mtime.month else mtime.year - 1) - last[1]
    else:
        base = 1970  # no classic stamps: the value is never used
    return f"""
    SELECT h.* EXCLUDE (month, day, hms),
           epoch_ms(CASE WHEN iso THEN try_cast(iso_ts AS TIMESTAMPTZ)
                         ELSE timezone({_lit(tz)}, try_strptime(
                             ({base} + y.k)::VARCHAR || '-' || h.month::VARCHAR || '-' || h.day
                             || ' ' || h.hms, '%Y-%m-%d %H:%M:%S')) END) AS ts_ms
    FROM sys_h h LEFT JOIN sys_y y USING (rid)"""


def unreadable_reason() -> str:
    """CASE branch of the skip reason of a line from `header_sql` that is no syslog line."""
    return "WHEN NOT (bsd OR iso) THEN 'unrecognized_format'"


def time_reason() -> str:
    """CASE branches of the skip reason of a `header_sql` line whose stamp cannot be placed."""
    return ("WHEN ts_ms IS NULL AND iso_ts = '-' THEN 'missing_timestamp' "
            "WHEN ts_ms IS NULL THEN 'bad_timestamp'")


def sshd_sql(con: duckdb.DuckDBPyConnection, lines: str, path: Path, year: int | None,
             tz: str) -> str:
    """SELECT of parsed auth events (one row per line, `times` attempts) from a lines table."""
    msg = "CASE WHEN rep.n <> '' THEN rep.inner ELSE msg END"
    return f"""
    WITH h AS (
      SELECT *,
             regexp_extract(msg, '^message repeated (\\d+) times: \\[ ?(.*)\\]$', ['n', 'inner']) AS rep
      FROM ({header_sql(con, lines, path, year, tz)})),
    c AS (SELECT *, CASE WHEN prog IN ('sshd', 'sshd-session') THEN {_classify(msg)} END AS e,
                 coalesce(TRY_CAST(nullif(rep.n, '') AS INTEGER), 1) AS times FROM h),
    -- the connection is the sshd process; a line without one (RFC 5424 PROCID '-') is tied to
    -- the client's IP instead, so its attempts are neither merged with other clients' nor lost
    k AS (SELECT *, CASE WHEN pid <> '' THEN pid ELSE 'ip ' || coalesce(e.ip, '') END AS conn FROM c),
    strong AS (SELECT host, conn, ts_ms FROM k WHERE e.kind = 'strong'),
    weak AS (SELECT rid, host, conn, ts_ms FROM k WHERE e.kind = 'weak'),
    d AS (SELECT c.*, CASE
            {BLANK} {unreadable_reason()}
            WHEN e IS NULL THEN 'not_auth_event'
            WHEN e.kind = 'duplicate' THEN 'duplicate_auth_line'
            -- one connection (sshd process) without Failed/Accepted lines is one attempt
            WHEN e.kind = 'weak' AND (EXISTS (
                 SELECT 1 FROM strong s WHERE s.host = c.host AND s.conn = c.conn
                 AND abs(s.ts_ms - c.ts_ms) <= {SAME_CONNECTION_MS}) OR EXISTS (
                 SELECT 1 FROM weak w WHERE w.host = c.host AND w.conn = c.conn AND w.rid < c.rid
                 AND abs(w.ts_ms - c.ts_ms) <= {SAME_CONNECTION_MS})) THEN 'duplicate_auth_line'
            {time_reason()} END AS skip
          FROM k c)
    SELECT rid, ts_ms, e.ip AS ip, NULL AS method, NULL AS target, NULL AS status, NULL AS bytes,
           NULL AS ref, NULL AS ua, host AS vhost, CASE WHEN skip IS NULL THEN e.u END AS account,
           CASE WHEN skip IS NULL THEN 'login' END AS event,
           CASE WHEN skip IS NULL THEN e.result END AS result, skip AS reason, times,
           bsd AS zoned  -- classic stamps are read in the site's zone
    FROM d"""


def expand_repeats(table: str) -> str:
    """Rows of a table from `sshd_sql`, one per attempt (`message repeated N times` is N)."""
    return f"SELECT * EXCLUDE (times, range) FROM {table}, range({table}.times)"
