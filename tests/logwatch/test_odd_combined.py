"""Odd but real combined-log lines: escaped quotes, `-` or binary requests, raw spaces."""

from __future__ import annotations

from pathlib import Path

from lwdata import alerts_of

from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan


def _line(ip: str, sec: int, request: str, status: int = 200, ua: str = "-") -> str:
    return f'{ip} - - [02/Mar/2026:10:00:0{sec} +0800] "{request}" {status} 5 "-" "{ua}"'


ODD = [
    _line("203.0.113.1", 0, 'GET /a\\"b HTTP/1.1', ua='Mozilla \\"x\\" y'),  # Apache \" escapes
    _line("203.0.113.2", 1, "-", 400),  # nginx: client closed before sending a request
    _line("203.0.113.3", 2, "\\x16\\x03\\x01\\x00\\xa5\\x01\\x00", 400),  # TLS on a plain port
    _line("203.0.113.4", 3, "GET /", 400),  # no protocol
    _line("203.0.113.5", 4, "GET /x y z HTTP/1.1", 400),  # raw spaces in the target
    _line("203.0.113.6", 5, 'GET /a" b HTTP/1.1', 404),  # a raw quote (old servers)
    _line("203.0.113.7", 6, "", 400),
    "shop.example.com:443 " + _line("203.0.113.8", 7, "GET /q HTTP/1.1", ua='sqlmap \\"1.0\\"'),
]


def _rows(tmp_path: Path, lines: list[str]) -> tuple[list[tuple], Workspace]:
    path = tmp_path / "odd.log"
    path.write_text("\n".join(lines) + "\n")
    ws = Workspace()
    ws.add_file(path, "combined")
    rows = ws.con.execute(
        f"SELECT ip, method, target, status, ua, vhost FROM ({ws.parsed_union()}) ORDER BY rid"
    ).fetchall()
    return rows, ws


def test_odd_lines_are_parsed_with_their_fields(tmp_path):
    rows, ws = _rows(tmp_path, ODD)
    with ws:
        assert ws.summary.lines == 8 and ws.summary.parsed == 8 and not ws.summary.by_reason
    assert rows == [
        ("203.0.113.1", "GET", '/a"b', 200, 'Mozilla "x" y', None),
        ("203.0.113.2", None, None, 400, "-", None),
        ("203.0.113.3", None, "\\x16\\x03\\x01\\x00\\xa5\\x01\\x00", 400, "-", None),
        ("203.0.113.4", "GET", "/", 400, "-", None),
        ("203.0.113.5", "GET", "/x y z", 400, "-", None),
        ("203.0.113.6", "GET", '/a" b', 404, "-", None),
        ("203.0.113.7", None, None, 400, "-", None),
        ("203.0.113.8", "GET", "/q", 200, 'sqlmap "1.0"', "shop.example.com:443"),
    ]


def test_unparseable_lines_are_counted_by_reason_with_masked_sample(tmp_path):
    lines = [_line("203.0.113.1", 0, "GET / HTTP/1.1"),
             "login failed for alice@example.com, no brackets or quotes",
             '- - - [02/Mar/2026:10:00:01 +0800] "GET / HTTP/1.1" 200 5 "-" "-"',
             '203.0.113.2 - - [31/Foo/2026:10:00:01 +0800] "GET /\\"x HTTP/1.1" 200 5 "-" "-"']
    rows, ws = _rows(tmp_path, lines)
    with ws:
        s = ws.summary
        assert (s.lines, s.parsed) == (4, 1)
        assert dict(s.by_reason) == {"unrecognized_format": 1, "bad_client_ip": 1,
                                     "bad_timestamp": 1}
        assert "alice@" not in s.samples["unrecognized_format"]
        assert "a***@example.com" in s.samples["unrecognized_format"]
    assert rows == [("203.0.113.1", "GET", "/", 200, "-", None)]


def test_injection_typed_with_raw_spaces_is_seen_by_the_sqli_rule(tmp_path):
    attack = [_line("198.51.100.9", 1, "GET /item?name=a' or 'a'='a HTTP/1.1"),
              _line("198.51.100.9", 2, "GET /item?id=1 and 1=1 HTTP/1.1")]
    path = tmp_path / "a.log"
    path.write_text("\n".join(attack) + "\n")
    doc = scan([path]).to_dict()
    assert doc["summary"]["parsed"] == 2
    assert [a["src_ip"] for a in alerts_of(doc, "sqli_probe")] == ["198.51.100.9"]
    # the same requests cut at the first space (the old split) carry no injection
    # (`id=1'` alone would itself be a probe, WSTG's first test: a quote after a value)
    path.write_text("\n".join(_line("198.51.100.9", i, "GET /item?name=a' HTTP/1.1")
                              for i in (1, 2)) + "\n")
    assert alerts_of(scan([path]).to_dict(), "sqli_probe") == []
