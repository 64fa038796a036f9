"""Formats, compressions, sniffing and bad input."""

from __future__ import annotations

import bz2
import gzip
import json

import zstandard
from lwdata import US_IP, alerts_of, at, auth, web

from gezi.logwatch.scan import scan


def test_combined_variants_vhost_prefix_and_timing_suffix(tmp_path):
    lines = [
        web("203.0.113.1", at(0), "/"),
        "shop.example.com:443 " + web("203.0.113.2", at(1), "/cart"),
        web("203.0.113.3", at(2), "/product/9", 404) + " 0.012 0.010 .",
        web("2001:db8::5", at(3), "/member"),
        '203.0.113.4 - bob [02/Mar/2026:10:00:04 +0800] "GET /x HTTP/1.1" 304 - "-" "-"',
    ]
    path = tmp_path / "a.log"
    path.write_text("\n".join(lines) + "\n")
    s = scan([path]).to_dict()["summary"]
    assert (s["lines"], s["parsed"], s["skipped"]) == (5, 5, 0)
    assert s["first_ts"] == "2026-03-02T10:00:00+08:00"
    assert s["last_ts"] == "2026-03-02T10:00:04+08:00"
    assert s["files"][0]["format"] == "combined"


def test_json_lines_iis_and_auth_csv(tmp_path):
    j = tmp_path / "access.json"
    j.write_text("\n".join(json.dumps(d) for d in [
        {"time_iso8601": "2026-03-02T10:00:00+08:00", "remote_addr": "203.0.113.9",
         "request": "GET /a?b=1 HTTP/1.1", "status": 200, "http_user_agent": "x"},
        {"ts": 1772416800.5, "request": {"remote_ip": "203.0.113.9", "method": "GET",
                                         "uri": "/c"}, "status": 404},
    ]) + "\n")
    iis = tmp_path / "u_ex260302.log"
    iis.write_text(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip "
        "cs(User-Agent) sc-status time-taken\n"
        "2026-03-02 02:00:00 10.0.0.1 GET /default.aspx id=3 443 203.0.113.10 "
        "Mozilla/5.0+(Windows) 200 15\n"
        "#Fields: time date c-ip sc-status cs-method cs-uri-stem cs-uri-query\n"
        "02:00:05 2026-03-02 203.0.113.11 404 GET /.env -\n")
    csvf = tmp_path / "auth.csv"
    csvf.write_text("user,ts,ip,event,result\n"
                    "alice,2026-03-02T10:00:00+08:00,203.0.113.12,login,failure\n"
                    '"o,brien",2026-03-02T10:00:01+08:00,203.0.113.12,login,success\n'
                    "bob,2026-03-02 10:00:02,203.0.113.12,login,success\n")
    s = scan([j, iis], [csvf]).to_dict()["summary"]
    fmts = {f["path"].rsplit("/", 1)[-1]: (f["format"], f["parsed"]) for f in s["files"]}
    assert fmts == {"access.json": ("json", 2), "u_ex260302.log": ("iis", 2),
                    "auth.csv": ("auth-csv", 2)}
    assert s["by_reason"] == {"ts_without_offset": 1}
    assert s["lines"] == 7  # directives and the CSV header are not data lines


def test_compressed_inputs_gz_bz2_zst(tmp_path):
    lines = "\n".join(web("203.0.113.1", at(i), f"/p{i}") for i in range(50)) + "\n"
    gz, bz, zs = tmp_path / "a.log.gz", tmp_path / "b.log.bz2", tmp_path / "c.log.zst"
    gz.write_bytes(gzip.compress(lines.encode()))
    bz.write_bytes(bz2.compress(lines.encode()))
    zs.write_bytes(zstandard.ZstdCompressor().compress(lines.encode()))
    s = scan([gz, bz, zs]).to_dict()["summary"]
    assert (s["lines"], s["parsed"], s["skipped"]) == (150, 150, 0)


def test_bad_input_is_counted_by_reason_with_masked_sample(tmp_path):
    good = [web("203.0.113.1", at(i), f"/p{i}") for i in range(5)]
    raw = b"\n".join(x.encode() for x in good)
    raw += b"\n\x00\x01\xff\xfe\x80garbage binary\n"  # binary garbage with a 0x01 byte
    raw += b"caf\xe9 latin-1 line from alice@example.com\n"  # invalid UTF-8
    raw += b"A" * (10 * 1024 * 1024) + b"\n"  # a 10 MB line
    raw += b"not a log line at all, mail bob@example.com id A123456789\n"
    raw += b'{"remote_addr": "203.0.113.2", "time": "2026-03-02T10:00:09+08:00", ' \
           b'"request": "GET /mixed HTTP/1.1", "status": 200}\n'  # mixed format: JSON line
    raw += b'{"broken json\n'
    raw += b'203.0.113.3 - - [99/Foo/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"\n'
    path = tmp_path / "bad.log"
    path.write_bytes(raw)
    s = scan([path]).to_dict()["summary"]
    assert s["parsed"] == 6  # five good lines and the JSON line
    assert s["by_reason"] == {"invalid_utf8": 1, "control_characters": 1, "line_too_long": 1,
                              "unrecognized_format": 1, "invalid_json": 1, "bad_timestamp": 1}
    assert s["skipped"] == 6 and s["lines"] == 12
    sample = s["samples"]["unrecognized_format"]
    assert "bob@example.com" not in sample and "b***@example.com" in sample
    assert "A123456789" not in sample and "A12****789" in sample
    assert len(s["samples"]["line_too_long"]) < 200


def test_truncated_gzip_keeps_what_precedes_the_damage(tmp_path):
    lines = "\n".join(web("203.0.113.1", at(i), f"/p{i}") for i in range(2000)) + "\n"
    data = gzip.compress(lines.encode())
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    s = scan([path]).to_dict()["summary"]
    assert s["by_reason"]["truncated_archive"] == 1
    assert 500 < s["parsed"] < 2000


def test_mixed_line_ends_lose_no_line(tmp_path):
    # CRLF lines then LF lines (a Windows log appended to elsewhere): DuckDB's reader refuses the
    # file, which was then read as gzip and lost (reported as a truncated archive)
    lines = [web("203.0.113.1", at(i), f"/p{i}").encode() for i in range(6)]
    plain, bz = tmp_path / "mixed.log", tmp_path / "mixed.log.bz2"
    plain.write_bytes(b"\r\n".join(lines[:3]) + b"\r\n" + b"\n".join(lines[3:]) + b"\n")
    bz.write_bytes(bz2.compress(plain.read_bytes()))
    s = scan([plain, bz]).to_dict()["summary"]
    assert (s["lines"], s["parsed"], s["by_reason"]) == (12, 12, {})


def test_nothing_parsed_exits_2_with_one_line(tmp_path, cli, fresh_env):
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(range(256)) * 100)
    r = cli("logs", "scan", path, "--json")
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "nothing could be parsed" in r.err


def test_auth_events_flow_through_cli_without_init(tmp_path, cli, fresh_env):
    path = tmp_path / "auth.jsonl"
    path.write_text("\n".join(auth("203.0.113.7", at(i), "A123456789") for i in range(3)) + "\n")
    acc = tmp_path / "access.log"
    acc.write_text(web(US_IP, at(0), "/admin/orders") + "\n")
    r = cli("logs", "scan", acc, "--auth", path, "--json")
    assert r.code == 0, r.err
    doc = r.json
    bf = alerts_of(doc, "brute_force")
    assert bf[0]["user"] == "A12****789"
    assert "A123456789" not in r.out
    assert doc["register"]["written"] is False
    assert alerts_of(doc, "foreign_admin_access")[0]["src_ip"] == US_IP
    shown = cli("logs", "scan", acc, "--auth", path, "--json", "--show-values").json
    assert alerts_of(shown, "brute_force")[0]["user"] == "A123456789"


def test_human_output_and_bad_options(tmp_path, cli, fresh_env):
    path = tmp_path / "a.log"
    path.write_text("\n".join(web("203.0.113.7", at(0), "/login", method="POST")
                              for _ in range(8)) + "\n")
    r = cli("logs", "scan", path)
    assert r.code == 0 and "203.0.113.7" in r.out and "iptocc" in r.out
    bad = cli("logs", "scan", path, "--format", "syslog")
    assert bad.code == 2 and "unknown format" in bad.err and bad.out == ""
    missing = cli("logs", "scan", tmp_path / "nope.log", "--json")
    assert missing.code == 2 and "file not found" in missing.err
    backend = cli("logs", "scan", path, "--backend", "oracle", "--json")
    assert backend.code == 2 and "unknown backend" in backend.err


def test_millisecond_timestamps_keep_every_evidence_line(logs):
    lines = [json.dumps({"ts": f"2026-03-02T10:00:0{i}.{k}+08:00", "ip": "203.0.113.7",
                         "user": "bob", "event": "login", "result": "failure"})
             for i, k in ((1, "300"), (2, "700"), (3, "900"))]
    doc = logs.scan([], lines)
    bf = alerts_of(doc, "brute_force")[0]
    assert bf["first_seen"] == "2026-03-02T10:00:01.300000+08:00"
    assert len(bf["evidence"]) == 3 and all('"user": "b**"' in e for e in bf["evidence"])
