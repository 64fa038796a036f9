"""The FortiGate key=value fast path (keys found by strpos, values read from a short slice) gives
exactly what one regex search per key over the whole line gave (the parser before it)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gezi.logwatch.firewall import _SLICE, _kv_sql
from gezi.logwatch.sqltext import lit

KEYS = ("date", "time", "eventtime", "tz", "devname", "type", "srcip", "action")


def _slow(key: str) -> str:
    """The per-key search the fast path replaces: first `key=` after the line start, whitespace or
    '>', value quoted or up to whitespace or a quote."""
    pattern = rf'(?:^|[\s>]){key}=(?:"([^"]*)"|([^\s"]*))'
    m = f"regexp_extract(line, {lit(pattern)}, ['q', 'p'])"
    return f"coalesce(nullif({m}.q, ''), nullif({m}.p, '')) AS k_{key}"


def _both(lines: list[str]) -> tuple[list, list]:
    con = duckdb.connect()
    con.register("t", pa.table({"i": pa.array(range(len(lines)), pa.int64()),
                                "line": pa.array(lines, pa.string())}))
    cols = ", ".join(f"k_{k}" for k in KEYS)
    fast = con.execute(f"SELECT i, {cols} FROM ({_kv_sql('SELECT i, line FROM t', 'i, line', KEYS)}) "
                       f"ORDER BY i").fetchall()
    slow = con.execute(f"SELECT i, {', '.join(_slow(k) for k in KEYS)} FROM t ORDER BY i").fetchall()
    return fast, slow


LONG = "x" * (_SLICE + 5)
PIECES = st.sampled_from([*(k + "=" for k in KEYS), "x" + "time=", "event", '"', " ", "\t", "\r",
                          "\f", ">", "<189>", "=", "a", "10.0.0.1", "台北", "é", LONG, '"' + LONG,
                          "-", "traffic"])
LINES = st.lists(st.lists(PIECES, max_size=14).map("".join), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(lines=LINES)
@example(lines=[
    'date=2026-11-23 time=10:00:00 devname="FG 100F" type="traffic" srcip=203.0.113.9 action="deny"',
    '<189>date=2026-11-23 eventtime=1795399201 tz="+0800" srcip=10.0.0.8',
    'msg="srcip=1.1.1.1 inside a quote" srcip=2.2.2.2',  # the first place counts, as before
    "policytype=x type=traffic eventtime=1 time=2",  # keys ending in another key's name
    "srcip=\t\tdate=\"unterminated",
    'devname="' + "n" * 100 + '" srcip=' + "1" * 100,  # values longer than the slice
    'devname="' + "n" * (_SLICE - 2) + '" srcip="' + "n" * (_SLICE - 1) + '"',  # at the edge
    "Nov 23 10:00:00 fw date=2026-11-23\ttime=10:00:00>srcip=台北é action=",
    "", "date=", 'date=""',
])
def test_fast_key_value_split_equals_one_regex_per_key(lines):
    fast, slow = _both(lines)
    assert fast == slow
