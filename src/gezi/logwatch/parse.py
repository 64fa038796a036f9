"""Parse raw log files into one events table inside DuckDB.

Lines are read by DuckDB's multi-threaded CSV reader as single-column rows (it decompresses gzip
and zstd itself and reports undecodable or over-long lines), then split into fields with
vectorized string functions instead of a per-line Python regex: on two cores this is several
times faster than `re`. Combined lines the fast split rejects (escaped quotes, odd requests) get
a second pass with an RE2 regex, still inside DuckDB and only on those lines; sshd syslog files
are classified the same way (`gezi.logwatch.syslog`), as are firewall records
(`gezi.logwatch.firewall`); JSON lines whose `message` holds a raw access-log line (Filebeat) are
split again from it. Only auth CSV files, which are small, and Windows event exports, whose
records span lines (`gezi.logwatch.winevent`), are read in Python.
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gezi.core.errors import GeziError
from gezi.logwatch import firewall, winevent
from gezi.logwatch.mask import mask_text, printable
from gezi.logwatch.sources import (
    AUTH_FIELDS,
    FORMATS,
    SOURCE,
    Sniffed,
    compression_of,
    decompress_to,
    sniff_file,
)
from gezi.logwatch.sqltext import BLANK, is_blank
from gezi.logwatch.sqltext import lit as _lit
from gezi.logwatch.syslog import expand_repeats, sshd_sql, zone
from gezi.logwatch.w3c import fields_sql

MAX_LINE = 1 << 20  # longer lines are counted as `line_too_long`
AUTH_EVENTS = ("login", "password_change", "logout")
AUTH_RESULTS = ("success", "failure", "unknown_user")
# Every parsed table has the fields of _select() plus `reason`: NULL for a parsed line, else why
# it was skipped. Reasons starting with '_' mark header/directive lines, which are not data lines.
_REJECT_REASON = {"INVALID ENCODING": "invalid_utf8", "LINE SIZE OVER MAXIMUM": "line_too_long",
                  "TOO MANY COLUMNS": "control_characters"}
# The offset ending an ISO time: `Z`, `+08:00`, `+0800` or `+08` (hours alone, as PostgreSQL and
# Go's `-07` layout write it), right after the time or after one space (`10:00:00 +0800`, some
# JSON loggers). Anchored on the time so that a date alone (`2026-03-08`) never reads as `-08`.
_OFFSET = r":\d\d([.,]\d+)? ?(Z|z|[+-]\d\d(:?\d\d)?)$"
_CLF = r"^\d\d?/[A-Za-z]{3}/\d{4}:"  # nginx $time_local, Apache %t: 23/Nov/2026:10:00:00 +0800
# A raw access-log line: a `[time]` followed by a quoted request (combined, common, vhost prefix).
_MESSAGE_LINE = r'\[[^\]]+\] "'
_NAIVE = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d([.,]\d+)?"  # ISO date and time, no zone
# Longest client field: `[IPv6]:port` (47 characters); the port and brackets go in normalize.
_IP_MAX = 47
_BOM = "chr(65279)"  # U+FEFF, the byte-order mark
# The machine that wrote each record, where the line names it (NULL: `gezi logs ingest` records
# the file's origin instead). A web vhost names the site, not the server: two servers behind a
# balancer share it, and a quiet site is no silent logger, so a web line names a device only by
# a server's own name (IIS s-computername, a JSON access log's host name).
_DEVICE = {"sshd": "nullif(vhost, '-')", "iptables": "nullif(vhost, '-')",
           "fortigate": "vhost", "iis": "computer", "json": "device", winevent.FORMAT: "computer"}
# The JSON key naming the server (not the site) that wrote an access-log line: nginx's
# `$hostname` is the machine's host name, logged as "hostname". Not `host`, `vhost`,
# `server_name` (the site), `server_addr` (an address: a direct-server-return VIP is shared by
# every server behind it, and one machine has several) or `server` (a site or an upstream).
# ECS (Filebeat, Elastic Agent) names the machine that shipped the line `host.name`, an object
# member; a string `host` is the site.
_JSON_DEVICE = ("hostname", "host.name", "host.hostname")


@dataclass
class ParseSummary:
    """Line counts of one scan; `by_reason` explains every skipped line."""

    lines: int = 0
    parsed: int = 0
    by_reason: Counter = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    zone: str = "Asia/Taipei"  # of time stamps written without one
    zoned: int = 0  # parsed lines whose time stamp was read in `zone`

    @property
    def skipped(self) -> int:
        """Lines (and damaged archive tails) that could not be used."""
        return sum(self.by_reason.values())

    def skip(self, reason: str, count: int, sample: str | None) -> None:
        """Count skipped lines under a reason, keeping one masked sample."""
        if count <= 0:
            return
        self.by_reason[reason] += count
        if sample is not None and reason not in self.samples:
            self.samples[reason] = printable(mask_text(sample), 160)

    def assumed_zone(self) -> dict[str, Any]:
        """The zone assumed for time stamps without one and how many parsed lines needed it."""
        return {"zone": self.zone, "lines": self.zoned}


def _timestamp_sql(expr: str, tz: str | None = None) -> str:
    """epoch ms from an ISO 8601 string with offset, epoch seconds or milliseconds, or the nginx
    `$time_local` format (`23/Nov/2026:10:00:00 +0800`).

    With `tz`, an ISO time without offset (`2026-11-23 10:00:02`, `…T10:00:02.123`, Python
    logging's `…10:00:02,123`) is read as local time in that zone; without it, it stays NULL.
    """
    # The CLF form is tested before the offset: its `+0800` ends the string like an ISO offset,
    # but a TIMESTAMPTZ cast cannot read it.
    naive = (f"WHEN regexp_full_match({expr}, {_lit(_NAIVE)}) THEN epoch_ms(timezone({_lit(tz)}, "
             f"try_cast(replace({expr}, ',', '.') AS TIMESTAMP))) " if tz else "")
    return (f"CASE WHEN regexp_full_match({expr}, '\\d{{9,11}}(\\.\\d+)?') "
            f"THEN CAST(CAST({expr} AS DOUBLE) * 1000 AS BIGINT) "
            f"WHEN regexp_full_match({expr}, '\\d{{12,14}}') THEN CAST({expr} AS BIGINT) "
            f"WHEN regexp_matches({expr}, {_lit(_CLF)}) "
            f"THEN epoch_ms(try_strptime({expr}, '%d/%b/%Y:%H:%M:%S %z')) "
            f"WHEN regexp_matches({expr}, {_lit(_OFFSET)}) "
            f"THEN epoch_ms(try_cast({_iso_with_offset(expr)} AS TIMESTAMPTZ)) {naive}END")


def _iso_with_offset(expr: str) -> str:
    """`expr` (an ISO time matching `_OFFSET`) in the spelling DuckDB's TIMESTAMPTZ cast reads.

    The cast reads `+08`, `+0800` and `+08:00` but neither a space before the offset nor a lower-case
    `z` nor a decimal comma (Python logging's `,123`), each of which means one instant only.
    """
    return (f"regexp_replace(replace(replace({expr}, 'z', 'Z'), ',', '.'), "
            "' ([Z+-][0-9:]*)$', '\\1')")


def _ts_reason(raw: str, ms: str, offset_required: bool = True) -> str:
    """Why a time stamp could not be used; `ts_without_offset` where a format requires one."""
    refused = (f"WHEN {ms} IS NULL AND regexp_matches({raw}, '^\\d{{4}}-\\d\\d-\\d\\d') "
               f"AND NOT regexp_matches({raw}, {_lit(_OFFSET)}) THEN 'ts_without_offset' "
               if offset_required else "")
    return (f"CASE WHEN {raw} IS NULL THEN 'missing_timestamp' {refused}"
            f"WHEN {ms} IS NULL THEN 'bad_timestamp' END")


def _json_path(name: str) -> list[str]:
    """JSON paths of a field: `$…` as written; a dotted name (ECS `source.ip`) both nested
    (`{"source": {"ip": …}}`, Filebeat/Winlogbeat) and as one dotted key (`{"source.ip": …}`,
    the ecs-logging libraries' flat form)."""
    if name.startswith("$"):
        return [name]
    nested = "$." + ".".join(f'"{part}"' for part in name.split("."))
    return [nested] if "." not in name else [nested, f'$."{name}"']


def _json_first(*names: str) -> str:
    """SQL: the first of the fields `names` (see `_json_path`) that holds a value, as text.

    An object or array is no value: ECS writes `host`, `url` and `user_agent` as objects (`{"host":
    {"name": "web01"}}`), which must not be read as the site or the target. One extraction of
    all paths at once (a list), filtered, keeps memory and time as for a single path.
    """
    paths = ", ".join(_lit(p) for n in names for p in _json_path(n))
    return (f"((list_filter(json_extract(j, [{paths}]), lambda v: json_type(v) NOT IN "
            f"('OBJECT', 'ARRAY', 'NULL'))[1]) ->> '$')")


def logs_memory_limit() -> str:
    """DuckDB's memory cap for log work: GEZI_LOGS_MEMORY (e.g. "2GB"), default 1GB; beyond it
    DuckDB spills to disk."""
    return os.environ.get("GEZI_LOGS_MEMORY", "1GB")


RID_SHIFT = 1 << 40  # global row id = file id * RID_SHIFT + row id in the file's lines table
Progress = Callable[[Path, float], None]  # (file, fraction of it read so far)


class Workspace:
    """A scratch DuckDB database holding the lines and parsed fields of one run.

    Line-oriented formats (combined, JSON, auth JSON) are parsed straight from DuckDB's CSV
    reader into one table per file that also keeps the raw line (for evidence), so every line
    is materialized once. Formats that depend on line order (IIS `#Fields:` segments, CSV
    headers) are first staged as a lines table. Memory is capped; DuckDB spills to the scratch
    directory when the input outgrows it.
    """

    def __init__(self, memory_limit: str | None = None, detail: bool = True,
                 year: int | None = None, tz: str = "Asia/Taipei") -> None:
        memory_limit = memory_limit or logs_memory_limit()
        self.detail = detail
        self.year = year  # of the first line of syslog files (None: from the file's mtime)
        self.tz = zone(tz)  # of syslog time stamps without offset
        self._tmp = tempfile.TemporaryDirectory(prefix="gezi-logs-")
        self.tmp = Path(self._tmp.name)
        self.con = duckdb.connect(config={"memory_limit": memory_limit,
                                          "temp_directory": str(self.tmp / "spill")})
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB tracks each query's progress (bytes read by the CSV reader) for `progress`, but
        # never prints it: stdout carries only the JSON.
        self.con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        self.progress: Progress | None = None
        self.summary = ParseSummary(zone=self.tz)
        self.parsed: list[str] = []  # SELECTs of parsed rows (rid, file_id, fields, reason)
        self.line_tables: dict[int, str] = {}
        self.paths: list[Path] = []
        self._retried: dict[str, list[str]] = {}  # table → reasons whose lines a second table parsed

    def close(self) -> None:
        """Drop the scratch database and its files."""
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------

    @staticmethod
    def _reader(path: Path, compression: str | None) -> str:
        opts = (f"columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='', escape='', "
                f"header=false, auto_detect=false, max_line_size={MAX_LINE}, ignore_errors=true, "
                f"store_rejects=true, rejects_table='rj', rejects_scan='rs'")
        if compression:
            opts += f", compression='{compression}'"
        return f"read_csv({_lit(str(path))}, {opts})"

    def _count_rejects(self) -> None:
        rejects = self.con.execute(
            "SELECT error_type, count(DISTINCT line), min(csv_line) FROM "
            "(SELECT line, first(error_type ORDER BY column_idx NULLS FIRST) AS error_type, "
            "first(csv_line) AS csv_line FROM rj GROUP BY line) GROUP BY error_type").fetchall()
        for error_type, count, sample in rejects:
            reason = _REJECT_REASON.get(error_type, "unreadable")
            self.summary.lines += count
            self.summary.skip(reason, count, sample)

    @contextmanager
    def _tracking(self, path: Path) -> Iterator[None]:
        """Report the running query's progress through `self.progress` while it reads `path`."""
        if self.progress is None:
            yield
            return
        report, done = self.progress, threading.Event()

        def poll() -> None:
            last = 0.0
            while not done.wait(0.25):
                share = self.con.query_progress() / 100  # -1 while DuckDB cannot tell yet
                if last < share < 1:
                    last = share
                    report(path, share)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _create(self, table: str, make_sql, path: Path, compression: str | None) -> None:
        """CREATE TABLE from the file; falls back to a plain copy made in Python (decompressed,
        line ends made one) when DuckDB cannot read it: a damaged archive, bz2 or xz, mixed line
        ends. A file DuckDB cannot read even then is counted once as `unreadable`."""
        self.con.execute("DROP TABLE IF EXISTS rj; DROP TABLE IF EXISTS rs")
        with self._tracking(path):
            if compression in (None, "gzip", "zstd"):
                try:
                    self.con.execute(
                        f"CREATE TABLE {table} AS {make_sql(self._reader(path, compression))}")
                    self._count_rejects()
                    return
                except duckdb.Error:
                    self.con.execute(f"DROP TABLE IF EXISTS {table}")
                    self.con.execute("DROP TABLE IF EXISTS rj; DROP TABLE IF EXISTS rs")
            plain = decompress_to(path, compression, self.tmp / f"{table}.log")
            if plain.truncated:
                self.summary.skip("truncated_archive", 1, f"{path.name}: archive ends early")
            try:
                self.con.execute(
                    f"CREATE TABLE {table} AS {make_sql(self._reader(plain.path, None))}")
                self._count_rejects()
            except duckdb.Error as exc:  # e.g. binary data throughout: no line to read
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
                self.con.execute(f"CREATE TABLE {table} AS "
                                 f"{make_sql('(SELECT NULL::VARCHAR AS line WHERE false)')}")
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.summary.skip("unreadable", 1, f"{path.name}: {reason}")
            plain.path.unlink()

    def add_file(self, path: Path, fmt: str = "auto", auth: bool = False) -> str:
        """Read and parse one file; returns the format used."""
        if fmt not in FORMATS:
            raise GeziError(f"未知的格式 unknown format {fmt!r}; use {', '.join(FORMATS)}")
        if not path.is_file():
            raise GeziError(f"找不到檔案 file not found: {path}")
        fid = len(self.paths)
        self.paths.append(path)
        compression = compression_of(path)
        sniffed = None
        if fmt == "auto":
            sniffed = sniff_file(path, compression, auth)
            fmt = sniffed.format
        table = f"p{fid}"
        source = SOURCE[fmt]
        if fmt in ("combined", "json", "auth-json", "fortigate"):
            body = {"combined": partial(_combined_body, detail=self.detail),
                    "json": partial(_json_body, tz=self.tz), "auth-json": _auth_json_body,
                    "fortigate": partial(firewall.fortigate_body, tz=self.tz)}[fmt]
            self._create(table, lambda src: body(f"SELECT line FROM {src}", "line"),
                         path, compression)
            self.line_tables[fid] = table
            self.parsed.append(self._select(fid, source, f"SELECT rowid AS rid, * FROM {table}",
                                            _DEVICE.get(fmt)))
            tables = [table]
            if fmt == "combined":
                # Lines of a combined-format file that are JSON objects (mixed files), and
                # lines the fast split rejected (escape-aware regex of _odd_combined_body).
                tables += self._reparse(fid, table, "json_line", "j",
                                        partial(_json_body, tz=self.tz), _DEVICE["json"])
                tables += self._reparse(fid, table, "odd_line", "o", _odd_combined_body)
            for json_table in [t for t in tables if fmt == "json" or t.endswith("j")]:
                tables += self._messages(fid, json_table)
        else:
            lines = f"l{fid}"
            if fmt != winevent.FORMAT:  # records span lines: its reader makes the table
                self._create(lines, lambda src: f"SELECT line FROM {src}", path, compression)
            self.line_tables[fid] = lines
            if fmt == "auth-csv":
                self._parse_auth_csv(fid, lines, table)
            elif fmt == winevent.FORMAT:
                self._parse_winevent(path, compression, lines, table)
            else:
                sql = {"sshd": lambda: sshd_sql(self.con, lines, path, self.year, self.tz),
                       "iptables": lambda: firewall.iptables_sql(self.con, lines, path, self.year,
                                                                 self.tz),
                       "pfirewall": lambda: firewall.pfirewall_sql(self.con, lines, self.tz),
                       "iis": lambda: self._iis_sql(lines)}[fmt]()
                self.con.execute(f"CREATE TABLE {table} AS {sql}")
            rows = expand_repeats(table) if fmt == "sshd" else f"SELECT * FROM {table}"
            self.parsed.append(self._select(fid, source, rows, _DEVICE.get(fmt)))
            tables = [table]
        self._tally(fid, path, fmt, tables, sniffed)
        return fmt

    def _tally(self, fid: int, path: Path, fmt: str, tables: list[str],
               sniffed: Sniffed | None = None) -> None:
        stats: Counter = Counter()
        for t in tables:
            stats.update(dict(self.con.execute(
                f"SELECT coalesce(reason, ''), count(*) FROM {t} GROUP BY ALL").fetchall()))
            for retried in self._retried.pop(t, ()):  # re-parsed in a second table, counted there
                stats[retried] -= self._count(t, retried)
            if "zoned" in self._columns(t):  # time stamps read in the site's zone
                self.summary.zoned += self.con.execute(
                    f"SELECT count(*) FROM {t} WHERE reason IS NULL AND zoned").fetchone()[0]
        stats = +stats  # drops the reasons whose every line was re-parsed
        data = sum(n for r, n in stats.items() if not r.startswith("_"))
        parsed = stats.get("", 0)
        self.summary.lines += data
        self.summary.parsed += parsed
        lines = self.line_tables[fid]
        for reason, count in stats.items():
            if reason and not reason.startswith("_"):
                sample = next((self.con.execute(
                    f"SELECT l.line FROM {lines} l WHERE l.rowid = (SELECT min(rid) FROM "
                    f"({self._rids(t, fid)}) WHERE reason = {_lit(reason)})").fetchone()
                    for t in tables if self._has_reason(t, reason)), None)
                self.summary.skip(reason, count, sample[0] if sample else None)
        entry = {"path": str(path), "format": fmt, "lines": data, "parsed": parsed}
        if sniffed is not None:  # what the sample the format was chosen from held
            entry["sniff"] = sniffed.report()
        self.summary.files.append(entry)

    def _count(self, table: str, reason: str) -> int:
        return self.con.execute(
            f"SELECT count(*) FROM {table} WHERE reason = {_lit(reason)}").fetchone()[0]

    def _has_reason(self, table: str, reason: str) -> bool:
        return bool(self._count(table, reason))

    def _columns(self, table: str) -> set[str]:
        return {r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}

    def _rids(self, table: str, fid: int) -> str:
        rid = "rid" if "rid" in self._columns(table) else "rowid AS rid"
        return f"SELECT {rid}, reason FROM {table}"

    @staticmethod
    def _select(fid: int, source: str, rows: str, device: str | None = None) -> str:
        # only firewall records have the firewall columns; every other row has them NULL
        fw = ("dst_ip, TRY_CAST(src_port AS INTEGER) AS src_port, "
              "TRY_CAST(dst_port AS INTEGER) AS dst_port, proto, action" if source == "firewall"
              else "NULL::VARCHAR AS dst_ip, NULL::INTEGER AS src_port, NULL::INTEGER AS dst_port, "
              "NULL::VARCHAR AS proto, NULL::VARCHAR AS action")
        return (f"SELECT {fid} * {RID_SHIFT} + rid AS rid, {fid} AS file_id, '{source}' AS source, "
                f"ts_ms, ip, method, target, TRY_CAST(status AS SMALLINT) AS status, "
                f"TRY_CAST(bytes AS BIGINT) AS bytes, ref, ua, vhost, account, event, result, "
                f"{fw}, {device or 'NULL'}::VARCHAR AS device, reason FROM ({rows})")

    def _reparse(self, fid: int, table: str, reason: str, suffix: str,
                 body: Callable[[str, str], str], device: str | None = None,
                 text: str | None = None, keep_device: bool = False) -> list[str]:
        """Lines rejected for ``reason`` get a second parse by ``body`` (rows → SELECT), into
        table ``table + suffix``; ``device`` is the expression of the line's device, if any;
        ``keep_device`` carries the `device` column of ``table`` instead. The text parsed is the
        `line` of ``table``, or of the table ``text`` (rid, line) when given."""
        if not self._has_reason(table, reason):
            return []
        self._retried.setdefault(table, []).append(reason)
        rid = "rid" if "rid" in self._columns(table) else "rowid AS rid"
        kept = ", device" if keep_device else ""
        rows = f"SELECT {rid}, line{kept} FROM {table} WHERE reason = '{reason}'"
        if text is not None:
            rows = (f"SELECT rid, x.line{kept} FROM (SELECT {rid}{kept} FROM {table} "
                    f"WHERE reason = '{reason}') JOIN {text} x USING (rid)")
        carry = "rid" + kept
        device = "device" if keep_device else device
        self.con.execute(f"CREATE TABLE {table}{suffix} AS {body(rows, carry)}")
        self.parsed.append(self._select(fid, "web", f"SELECT * FROM {table}{suffix}", device))
        return [f"{table}{suffix}"]

    def _messages(self, fid: int, table: str) -> list[str]:
        """The raw access-log lines in the `message` of JSON lines (`message_line`, Filebeat):
        read as combined lines (the escape-aware pass too) or, when JSON, as JSON access lines;
        the shipper's host name stays the device."""
        if not self._has_reason(table, "message_line"):
            return []
        rid = "rid" if "rid" in self._columns(table) else "rowid AS rid"
        self.con.execute(f"CREATE TABLE {table}_text AS SELECT {rid}, message AS line "
                         f"FROM {table} WHERE reason = 'message_line'")
        tables = self._reparse(fid, table, "message_line", "m",
                               partial(_combined_body, detail=self.detail),
                               text=f"{table}_text", keep_device=True)
        sub = tables[0]
        tables += self._reparse(fid, sub, "odd_line", "o", _odd_combined_body,
                                text=f"{table}_text", keep_device=True)
        # a JSON access line inside `message` names its own server, if any
        tables += self._reparse(fid, sub, "json_line", "j", partial(_json_body, tz=self.tz),
                                _DEVICE["json"], text=f"{table}_text")
        return tables

    def _parse_auth_csv(self, fid: int, lines: str, table: str) -> None:
        """Auth CSV: header names the columns (any order); parsed with the csv module."""
        cur = self.con.execute(f"SELECT rowid, line FROM {lines} ORDER BY rowid")
        rows: dict[str, list[Any]] = {c: [] for c in ("rid", "tsr", "ip", "account", "event",
                                                       "result", "bad")}
        header: list[str] | None = None

        def no_record(rid: int, reason: str) -> None:
            rows["rid"].append(rid)
            for name in ("tsr", "ip", "account", "event", "result"):
                rows[name].append(None)
            rows["bad"].append(reason)

        while batch := cur.fetchmany(50_000):
            for rid, line in batch:
                if line is None or not line.strip("\ufeff \t\r"):  # as BLANK in the SQL parsers
                    no_record(rid, "_blank")
                    continue
                # a byte-order mark starts each part of concatenated Excel exports
                fields = next(csv.reader([line.removeprefix("\ufeff")]), [])
                if header is None:
                    header = [f.strip().lower() for f in fields]
                    no_record(rid, "_header")
                    continue
                rec = dict(zip(header, (f.strip() for f in fields), strict=False))
                rows["rid"].append(rid)
                rows["tsr"].append(rec.get("ts") or None)
                rows["ip"].append(rec.get("ip") or None)
                rows["account"].append(rec.get("user") or None)
                rows["event"].append((rec.get("event") or "").lower() or None)
                rows["result"].append((rec.get("result") or "").lower() or None)
                rows["bad"].append("missing_fields" if len(fields) != len(header) else None)
        if header is not None and not AUTH_FIELDS <= set(header):
            raise GeziError(f"認證事件 CSV 缺少欄位 auth CSV needs columns "
                            f"{', '.join(sorted(AUTH_FIELDS))}: {self.paths[fid]}")
        self.con.register("auth_rows", pa.table(rows))
        body = f"""
        WITH c AS (SELECT *, {_timestamp_sql("tsr")} AS ts_ms FROM auth_rows)
        SELECT rid, ts_ms, ip, NULL AS method, NULL AS target, NULL AS status, NULL AS bytes,
               NULL AS ref, NULL AS ua, NULL AS vhost, account, event, result,
               coalesce(bad, {_auth_reason("false")}) AS reason FROM c"""
        self.con.execute(f"CREATE TABLE {table} AS {body}")
        self.con.unregister("auth_rows")

    def _parse_winevent(self, path: Path, compression: str | None, lines: str, table: str) -> None:
        """Windows logon events (`gezi.logwatch.winevent`): one row of `lines` per record (its
        facts as JSON, or the raw record when it cannot be used), parsed rows in `table`."""
        plain = decompress_to(path, compression, self.tmp / f"{table}.log")
        if plain.truncated:
            self.summary.skip("truncated_archive", 1, f"{path.name}: archive ends early")
        names = ("line", "ts_ms", "ip", "account", "event", "result", "computer", "reason", "zoned")
        cols: dict[str, list[Any]] = {n: [] for n in names}
        for rec in winevent.read(plain.path, self.tz):
            for n in names:
                cols[n].append(getattr(rec, n))
        plain.path.unlink()
        types = {"ts_ms": pa.int64(), "zoned": pa.bool_()}
        arrays = {"rid": pa.array(range(len(cols["line"])), pa.int64())}
        arrays |= {n: pa.array(v, types.get(n, pa.string())) for n, v in cols.items()}
        self.con.register("win_rows", pa.table(arrays))
        self.con.execute(f"CREATE TABLE {table}_all AS SELECT * FROM win_rows")
        self.con.unregister("win_rows")
        # the lines table's rowid is the record's rid (raw_lines and samples read it)
        self.con.execute(f"CREATE TABLE {lines} AS SELECT line FROM {table}_all ORDER BY rid")
        self.con.execute(f"""CREATE TABLE {table} AS
            SELECT rid, ts_ms, ip, NULL AS method, NULL AS target, NULL AS status, NULL AS bytes,
                   NULL AS ref, NULL AS ua, NULL AS vhost, account, event, result, computer,
                   reason, zoned FROM {table}_all""")
        self.con.execute(f"DROP TABLE {table}_all")

    def _iis_sql(self, lines: str) -> str:
        """W3C extended log: field order from each `#Fields:` directive, times in UTC."""
        want = {"date": "date", "time": "time", "c-ip": "ip", "cs-method": "method",
                "cs-uri-stem": "stem", "cs-uri-query": "query", "sc-status": "status",
                "cs(user-agent)": "ua", "cs(referer)": "ref", "cs-host": "vhost",
                "sc-bytes": "bytes", "s-computername": "computer"}
        union, headers = fields_sql(self.con, lines, want)
        return f"""
        WITH s AS ({union}),
        t AS (SELECT *, epoch_ms(try_strptime(date || ' ' || time, '%Y-%m-%d %H:%M:%S')) AS ts_ms
              FROM s)
        SELECT rid, ts_ms, ip, method,
               stem || CASE WHEN query IS NOT NULL THEN '?' || query ELSE '' END AS target,
               status, bytes, replace(ref, '+', ' ') AS ref, replace(ua, '+', ' ') AS ua, vhost,
               computer, NULL::VARCHAR AS account, NULL::VARCHAR AS event, NULL::VARCHAR AS result,
               CASE WHEN starts_with(line, '#') THEN '_directive' {BLANK}
                    WHEN NOT fits THEN CASE WHEN {headers} = 0 THEN 'iis_no_fields_header'
                                            ELSE 'unrecognized_format' END
                    WHEN ip IS NULL OR stem IS NULL OR TRY_CAST(status AS SMALLINT) IS NULL
                      THEN 'missing_fields'
                    WHEN ts_ms IS NULL THEN 'bad_timestamp' END AS reason
        FROM t"""

    def add_parquet(self, path: Path, source: str) -> None:
        """Archived events (from `gezi logs ingest`); evidence lines are rebuilt from the fields."""
        fid = len(self.paths)
        self.paths.append(path)
        table = f"p{fid}"
        ts = "strftime(make_timestamp(ts_ms * 1000), '%Y-%m-%dT%H:%M:%SZ')"
        line = {"auth": f"json_object('ts', {ts}, 'ip', ip, 'user', account, 'event', event, "
                        "'result', result)::VARCHAR",
                "firewall": f"json_object('ts', {ts}, 'src', ip, 'src_port', src_port, "
                            "'dst', dst_ip, 'dst_port', dst_port, 'proto', proto, "
                            "'action', action, 'device', vhost)::VARCHAR"}.get(
            source, "concat_ws(' ', ip, '- -', '[' || strftime(make_timestamp(ts_ms * 1000), "
            "'%d/%b/%Y:%H:%M:%S +0000') || ']', '\"' || method || ' ' || target || '\"', "
            "status, coalesce(bytes::VARCHAR, '-'), '\"' || coalesce(ref, '-') || '\"', "
            "'\"' || coalesce(ua, '-') || '\"')")
        self.con.execute(f"CREATE TABLE {table} AS SELECT *, {line} AS line, "
                         f"NULL::VARCHAR AS reason FROM read_parquet({_lit(str(path))})")
        self.line_tables[fid] = table
        # Parquet files archived before devices were recorded have no `device` column
        device = "device" if "device" in self._columns(table) else None
        self.parsed.append(self._select(fid, source, f"SELECT rowid AS rid, * FROM {table}", device))
        n = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        self.summary.lines += n
        self.summary.parsed += n

    # -- results ------------------------------------------------------------------------------

    def parsed_union(self) -> str:
        """SQL of every parsed (not skipped) line of all files."""
        if not self.parsed:
            return "SELECT * FROM (SELECT NULL) WHERE false"
        return " UNION ALL ".join(f"SELECT * EXCLUDE (reason) FROM ({q}) WHERE reason IS NULL"
                                  for q in self.parsed)

    def raw_lines(self, rids: list[int]) -> dict[int, str]:
        """Raw lines by global row id (for evidence)."""
        out: dict[int, str] = {}
        by_file: dict[int, list[int]] = {}
        for rid in set(rids):
            by_file.setdefault(rid // RID_SHIFT, []).append(rid % RID_SHIFT)
        for fid, local in by_file.items():
            self.con.register("want_rids", pa.table({"rid": pa.array(sorted(local), pa.int64())}))
            rows = self.con.execute(f"SELECT l.rowid, l.line FROM {self.line_tables[fid]} l "
                                    f"JOIN want_rids w ON l.rowid = w.rid").fetchall()
            self.con.unregister("want_rids")
            out.update({fid * RID_SHIFT + r: line for r, line in rows})
        return out


def _combined_body(src: str, carry: str, detail: bool = True) -> str:
    """Split combined-format lines with string functions (no per-line regex).

    `detail` adds user agent, referrer, bytes and vhost; the rules need none of them, and
    skipping them saves about a third of the parse time.
    """
    extra = ("""split_part(substr(rest, re + 2), '"', 2) AS ref,
                 split_part(substr(rest, re + 2), '"', 4) AS ua,
                 TRY_CAST(nullif(split_part(substr(rest, re + 6), ' ', 1), '-') AS BIGINT) AS bytes,
                 CASE WHEN len(pre) >= 4 THEN pre[-4] END AS vhost""" if detail else
             "NULL::VARCHAR AS ref, NULL::VARCHAR AS ua, NULL::BIGINT AS bytes, "
             "NULL::VARCHAR AS vhost")
    return f"""
    WITH a AS (SELECT {carry}, line, strpos(line, ' [') AS b, strpos(line, '] "') AS c
               FROM ({src})),
    d AS (SELECT {carry}, line, b, c,
                 string_split(CASE WHEN b > 0 THEN substr(line, 1, b - 1) ELSE '' END, ' ')
                   AS pre,
                 substr(line, b + 2, c - b - 2) AS tsr, substr(line, c + 3) AS rest FROM a),
    e AS (SELECT *, strpos(rest, ' ') AS m1, strpos(rest, '" ') AS re FROM d),
    f AS (SELECT {carry}, line, b, c, re, m1,
                 CASE WHEN len(pre) >= 3 THEN pre[-3] END AS ip,
                 epoch_ms(try_strptime(tsr, '%d/%b/%Y:%H:%M:%S %z')) AS ts_ms,
                 substr(rest, 1, m1 - 1) AS method,
                 substr(rest, m1 + 1, re - m1 - 1) AS req, contains(rest, '\\"') AS esc,
                 TRY_CAST(substr(rest, re + 2, 3) AS SMALLINT) AS status,
                 {extra}
          FROM e),
    g AS (SELECT *, split_part(req, ' ', 1) AS target FROM f),
    h AS (SELECT *, substr(req, length(target) + 2) AS proto FROM g)
    SELECT {carry}, ts_ms, ip, method, target, status, bytes, ref, ua, vhost,
           NULL::VARCHAR AS account, NULL::VARCHAR AS event, NULL::VARCHAR AS result,
           CASE {BLANK}
                WHEN b = 0 OR c = 0 OR re = 0 OR m1 = 0 OR m1 > re OR status IS NULL
                     OR length(ip) NOT BETWEEN 3 AND {_IP_MAX}
                     OR NOT (contains(ip, '.') OR contains(ip, ':'))
                     -- escaped quotes (in any field), raw spaces in the target: the regex fallback
                     OR esc OR starts_with(line, {_BOM})
                     OR NOT (proto = '' OR (starts_with(proto, 'HTTP/') AND NOT contains(proto, ' ')))
                THEN CASE WHEN starts_with(ltrim(ltrim(line, {_BOM})), '{{') THEN 'json_line'
                          ELSE 'odd_line' END
                WHEN ts_ms IS NULL THEN 'bad_timestamp' END AS reason
    FROM h"""


# The fallback for lines the fast split rejected. Quoted fields may hold escaped quotes (\\" as
# Apache writes them) and raw quotes (old servers): a field ends at the first quote that is
# followed by what comes next in the format. Not a per-line Python regex: RE2 inside DuckDB.
_QUOTED = r'((?:[^"\\]|\\.|")*?)'
_ODD_COMBINED = (r'^\x{FEFF}?(?:(\S+) )?(\S+) \S+ \S+ \[([^\]]*)\] "' + _QUOTED + r'" (\d{3}) (\S+)'
                 + r'(?: "' + _QUOTED + r'" "' + _QUOTED + r'"(?: |$))?')
_ODD_GROUPS = ["vhost", "ip", "tsr", "req", "status", "bytes", "ref", "ua"]


def _unescape(expr: str) -> str:
    return f"regexp_replace({expr}, '\\\\([\"\\\\])', '\\1', 'g')"


def _split_request(src: str, req: str) -> str:
    """Rows of `src` with `req_method` and `req_target` split leniently from the request `req`.

    A leading word is the method, a trailing HTTP/x the protocol, whatever lies between is the
    target (raw spaces included, so an injection typed with spaces is still seen); a request
    without a method (TLS bytes on a plain-HTTP port) is kept whole as the target, `-` and empty
    requests have none.
    """
    return f"""
    SELECT *, CASE WHEN req_method IS NULL THEN nullif(nullif({req}, '-'), '')
                   ELSE nullif(trim(substr({req}, length(req_method) + 2, length({req})
                                           - length(req_method) - 1 - length(req_proto))), '')
              END AS req_target
    FROM (SELECT *, nullif(regexp_extract({req}, '^([A-Za-z][A-Za-z_-]{{0,31}}) ', 1), '')
                      AS req_method,
                 regexp_extract({req}, ' (HTTP/[0-9.]+)$', 1) AS req_proto FROM ({src}))"""


def _odd_combined_body(src: str, carry: str) -> str:
    """Combined lines with escaped or raw quotes, a `-` or binary request, no protocol.

    The request is split by `_split_request`.
    """
    names = ", ".join(_lit(n) for n in _ODD_GROUPS)
    return f"""
    WITH a AS (SELECT {carry}, line,
                      regexp_extract(line, {_lit(_ODD_COMBINED)}, [{names}]) AS m FROM ({src})),
    b AS (SELECT {carry}, line, m.ip <> '' AS matched, m.ip AS ip,
                 epoch_ms(try_strptime(m.tsr, '%d/%b/%Y:%H:%M:%S %z')) AS ts_ms,
                 {_unescape("m.req")} AS req, TRY_CAST(m.status AS SMALLINT) AS status,
                 TRY_CAST(nullif(m.bytes, '-') AS BIGINT) AS bytes,
                 {_unescape("m.ref")} AS ref, {_unescape("m.ua")} AS ua,
                 nullif(m.vhost, '') AS vhost FROM a),
    d AS ({_split_request("SELECT * FROM b", "req")})
    SELECT {carry}, ts_ms, ip, req_method AS method, req_target AS target, status, bytes, ref, ua,
           vhost,
           NULL::VARCHAR AS account, NULL::VARCHAR AS event, NULL::VARCHAR AS result,
           CASE WHEN NOT matched THEN 'unrecognized_format'
                WHEN length(ip) NOT BETWEEN 3 AND {_IP_MAX} OR NOT (contains(ip, '.') OR contains(ip, ':'))
                  THEN 'bad_client_ip'
                WHEN ts_ms IS NULL THEN 'bad_timestamp' END AS reason
    FROM d"""


def _without_bom(src: str) -> str:
    """Rows of `src` with a leading byte-order mark removed from `line`.

    DuckDB drops the BOM at the start of a file; this also covers exports concatenated into one
    file (a BOM at the start of each part), which would otherwise make that line invalid JSON.
    """
    return (f"SELECT * REPLACE (CASE WHEN starts_with(line, {_BOM}) THEN substr(line, 2) "
            f"ELSE line END AS line) FROM ({src})")


def _json_body(src: str, carry: str, tz: str = "Asia/Taipei") -> str:
    """Web JSON lines: the common nginx / Caddy / Traefik field names and ECS (Filebeat, Elastic
    Agent, ecs-logging) fields, nested or dotted.

    Times without offset are read in `tz` (column `zoned` marks them, for the summary): access
    loggers often write local time without a zone, like classic syslog. A line with none of the
    request fields whose `message` holds the raw access-log line (Filebeat's `log` input without
    an ingest pipeline) is `message_line`: the combined parser reads `message` (column `line`).
    """
    ip = _json_first("remote_addr", "client_ip", "clientip", "ip", "c-ip", "remote_ip", "src_ip",
                     "ClientHost", "request.remote_ip", "request.client_ip", "source.ip",
                     "source.address", "client.ip", "client.address")
    ts = _json_first("time_iso8601", "@timestamp", "timestamp", "time", "ts", "time_local",
                     "StartUTC")
    method = _json_first("request_method", "method", "request.method", "RequestMethod",
                         "http.request.method")
    target = _json_first("request_uri", "uri", "url", "path", "request.uri", "RequestPath",
                         "url.original")
    # ECS without url.original: the path and the query apart
    target = (f"coalesce({target}, {_json_first('url.path')} || coalesce('?' || "
              f"{_json_first('url.query')}, ''))")
    status = _json_first("status", "response", "status_code", "sc-status", "DownstreamStatus",
                         "http.response.status_code")
    ua = _json_first("http_user_agent", "user_agent", "useragent", '$.request.headers."User-Agent"[0]',
                     "user_agent.original")
    # nginx's `request` is the request line; Caddy's is an object (read by the paths above)
    request = "CASE WHEN json_type(j, '$.request') = 'VARCHAR' THEN j->>'$.request' END"
    message = "CASE WHEN json_type(j, '$.message') = 'VARCHAR' THEN j->>'$.message' END"
    return f"""
    WITH a AS (SELECT {carry}, CASE WHEN starts_with(ltrim(line), '{{') AND json_valid(line)
                                    THEN line::JSON END AS j, {is_blank()} AS blank
               FROM ({_without_bom(src)})),
    b AS (SELECT {carry}, j, blank, {ip} AS ip, {ts} AS tsr, {request} AS request,
                 {method} AS method0, {target} AS target0, {status} AS status0, {ua} AS ua,
                 {_json_first("http_referer", "referer", "referrer", "http.request.referrer")} AS ref,
                 {_json_first("host", "server_name", "vhost", "request.host", "url.domain")} AS vhost,
                 {_json_first("body_bytes_sent", "bytes", "size", "bytes_sent",
                              "http.response.body.bytes")} AS bytes,
                 nullif(nullif(trim({_json_first(*_JSON_DEVICE)}), ''), '-') AS device,
                 {message} AS message
          FROM a),
    c AS (SELECT *, {_timestamp_sql("tsr", tz)} AS ts_ms,
                 -- '-' is what nginx writes for a variable without value (no request was read)
                 coalesce(nullif(method0, '-'), req_method) AS method,
                 coalesce(nullif(target0, '-'), req_target) AS target,
                 TRY_CAST(status0 AS SMALLINT) AS status,
                 -- the request was logged, as `-` or empty (a timeout before the request line,
                 -- a 400 or 408): read like the combined format's "-", with no method or target
                 request IS NOT NULL OR method0 IS NOT NULL OR target0 IS NOT NULL AS has_request
          FROM ({_split_request("SELECT * FROM b", "request")}))
    SELECT {carry}, ts_ms, ip, method, target, status, bytes, ref, ua, vhost, device,
           NULL::VARCHAR AS account, NULL::VARCHAR AS event, NULL::VARCHAR AS result,
           CASE WHEN blank THEN '_blank' WHEN j IS NULL THEN 'invalid_json'
                WHEN ip IS NULL AND status IS NULL AND NOT has_request
                     AND (regexp_matches(message, {_lit(_MESSAGE_LINE)})
                          OR starts_with(ltrim(message), '{{')) THEN 'message_line'
                WHEN ip IS NULL OR status IS NULL OR NOT has_request THEN 'missing_fields'
                ELSE {_ts_reason("tsr", "ts_ms", offset_required=False)} END AS reason,
           coalesce(regexp_full_match(tsr, {_lit(_NAIVE)}), false) AS zoned, message
    FROM c"""


def _auth_json_body(src: str, carry: str) -> str:
    """gezi's auth-event import format as JSON lines: ts, ip, user, event, result."""
    return f"""
    WITH a AS (SELECT {carry}, CASE WHEN starts_with(ltrim(line), '{{') AND json_valid(line)
                                    THEN line::JSON END AS j, {is_blank()} AS blank
               FROM ({_without_bom(src)})),
    b AS (SELECT {carry}, j, blank, j->>'$.ts' AS tsr, j->>'$.ip' AS ip, j->>'$.user' AS account,
                 lower(j->>'$.event') AS event, lower(j->>'$.result') AS result FROM a),
    c AS (SELECT *, {_timestamp_sql("tsr")} AS ts_ms FROM b)
    SELECT {carry}, ts_ms, ip, NULL AS method, NULL AS target, NULL AS status, NULL AS bytes,
           NULL AS ref, NULL AS ua, NULL AS vhost, account, event, result,
           CASE WHEN blank THEN '_blank' ELSE {_auth_reason("j IS NULL")} END AS reason
    FROM c"""


def _auth_reason(invalid: str) -> str:
    events = ", ".join(_lit(e) for e in AUTH_EVENTS)
    results = ", ".join(_lit(r) for r in AUTH_RESULTS)
    return (f"CASE WHEN {invalid} THEN 'invalid_json' "
            f"WHEN ip IS NULL OR coalesce(account, '') = '' OR event IS NULL OR result IS NULL "
            f"THEN 'missing_fields' "
            f"WHEN event NOT IN ({events}) OR result NOT IN ({results}) THEN 'bad_auth_value' "
            f"ELSE {_ts_reason('tsr', 'ts_ms')} END")
