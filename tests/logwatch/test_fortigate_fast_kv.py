"""The FortiGate key=value fast path (keys found by strpos, values read from a short slice, a
regex stepping over quoted spans when the first place is inside one) gives exactly what a plain
tokenizer that respects quotes gives: a key counts only at a token boundary outside quotes."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gezi.logwatch.firewall import _SLICE, _kv_sql

KEYS = ("date", "time", "eventtime", "tz", "devname", "type", "srcip", "action")
# RE2's \s (what FortiOS lines can hold between pairs) and '>' (after <PRI>) start a token
BOUNDARY = " \t\n\f\r>"


def reference(line: str, key: str) -> str | None:
    """Value of `key` by a left-to-right scan: every '"' opens or closes a quoted span (FortiOS
    documents no escape inside values); the first `key=` outside quotes at the line start or
    after a boundary wins; its value is quoted (closed) or runs up to whitespace or '"'; empty is
    None."""
    inside = False
    for i, ch in enumerate(line):
        if ch == '"':
            inside = not inside
            continue
        if inside or not (i == 0 or line[i - 1] in BOUNDARY) or not line.startswith(key + "=", i):
            continue
        rest = line[i + len(key) + 1:]
        if rest.startswith('"'):
            end = rest.find('"', 1)
            return (rest[1:end] or None) if end > 0 else None  # unterminated: no value
        n = 0
        while n < len(rest) and rest[n] not in ' \t\n\f\r"':
            n += 1
        return rest[:n] or None
    return None


def _fast(lines: list[str]) -> list[tuple]:
    con = duckdb.connect()
    con.register("t", pa.table({"i": pa.array(range(len(lines)), pa.int64()),
                                "line": pa.array(lines, pa.string())}))
    cols = ", ".join(f"k_{k}" for k in KEYS)
    return con.execute(f"SELECT {cols} FROM ({_kv_sql('SELECT i, line FROM t', 'i, line', KEYS)}) "
                       f"ORDER BY i").fetchall()


def _check(lines: list[str]) -> None:
    assert _fast(lines) == [tuple(reference(ln, k) for k in KEYS) for ln in lines]


LONG = "x" * (_SLICE + 5)
PIECES = st.sampled_from([*(k + "=" for k in KEYS), "x" + "time=", "event", '"', " ", "\t", "\r",
                          "\f", ">", "<189>", "=", "a", "10.0.0.1", "台北", "é", LONG, '"' + LONG,
                          "-", "traffic", 'msg="', 'ui="ssh(', '" '])
LINES = st.lists(st.lists(PIECES, max_size=14).map("".join), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(lines=LINES)
@example(lines=[
    'date=2026-11-23 time=10:00:00 devname="FG 100F" type="traffic" srcip=203.0.113.9 action="deny"',
    '<189>date=2026-11-23 eventtime=1795399201 tz="+0800" srcip=10.0.0.8',
    "policytype=x type=traffic eventtime=1 time=2",  # keys ending in another key's name
    "srcip=\t\tdate=\"unterminated",
    'devname="' + "n" * 100 + '" srcip=' + "1" * 100,  # values longer than the slice
    'devname="' + "n" * (_SLICE - 2) + '" srcip="' + "n" * (_SLICE - 1) + '"',  # at the edge
    "Nov 23 10:00:00 fw date=2026-11-23\ttime=10:00:00>srcip=台北é action=",
    "", "date=", 'date=""',
    # keys inside quoted values name nothing; the real field after them counts
    'msg="blocked srcip=1.1.1.1 action=deny" srcip=203.0.113.9 action="accept"',
    'user="a srcip=9.9.9.9" ui="ssh(台北 type=event)" type="traffic" srcip=10.0.0.1',
    'msg="only inside: srcip=1.1.1.1"',  # near miss: no srcip outside quotes at all
    'msg="x" y="srcip=1.1.1.1" srcip=2.2.2.2',  # even quotes before, the key is right inside one
    'msg="a>srcip=1.1.1.1\tdevname=x" devname="FG" srcip=3.3.3.3',  # other boundaries inside
    'msg="unterminated srcip=1.1.1.1',  # an open quote to the end hides what follows
    'a"b srcip=1.1.1.1" srcip=4.4.4.4',  # a quote inside a token opens a span too
])
def test_fast_key_value_split_equals_a_quote_aware_tokenizer(lines):
    _check(lines)


def test_reference_reads_keys_outside_quotes_only():
    """The reference itself, on the lines the old per-key regex got wrong."""
    line = 'msg="blocked srcip=1.1.1.1" user="a dstip=5.5.5.5" srcip=203.0.113.9 dstip=10.0.0.5'
    assert (reference(line, "srcip"), reference(line, "dstip")) == ("203.0.113.9", "10.0.0.5")
    assert reference('msg="srcip=1.1.1.1"', "srcip") is None
    assert reference('xsrcip=1 srcip=2', "srcip") == "2"  # near miss: no token boundary
