"""`--format auto` beyond the first lines: banners, comments and blank lines before the data, a
head of another format, and files mixing formats (reported, their other lines counted)."""

from __future__ import annotations

import json

from lwdata import at, web

from gezi.logwatch.scan import scan
from gezi.logwatch.sources import SNIFF_BYTES, sniff, sniff_sample

SSHD = "Mar  2 10:00:00 web1 sshd[100]: Failed password for root from 203.0.113.5 port 1 ssh2"
JS = json.dumps({"time_iso8601": "2026-03-02T10:00:00+08:00", "remote_addr": "203.0.113.7",
                 "request": "GET / HTTP/1.1", "status": 200})


def _combined(n: int, ip: str = "203.0.113.9") -> list[str]:
    return [web(ip, at(i), f"/p/{i}") for i in range(n)]


def test_comment_banner_and_blank_lines_are_passed_over():
    banner = ["# nginx access log exported 2026-03-03 by ops", "#", "", "=== web01 ===", "   "]
    assert sniff("\n".join([*banner, *_combined(2)]), False) == "combined"
    assert sniff("\n".join([*banner, JS, JS]), False) == "json"
    assert sniff("\n".join([*banner, SSHD]), False) == "sshd"
    # W3C directives still decide, a comment before them or not
    iis = ["# copied from IIS", "#Software: Microsoft Internet Information Services 10.0",
           "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
           "2026-03-02 02:00:00 203.0.113.9 GET / 200"]
    assert sniff("\n".join(iis), False) == "iis"
    # a `#Fields:` line after lines of another format does not make it a W3C file
    assert sniff("\n".join([*_combined(3), "#Fields: date time c-ip"]), False) == "combined"


def test_most_lines_decide_and_the_others_are_reported():
    found = sniff_sample("\n".join([SSHD, SSHD, *_combined(5), "garbage"]), False)
    assert (found.format, found.lines, found.other, found.unknown) == ("combined", 8, {"syslog": 2}, 1)
    # ties go to the format seen first
    assert sniff("\n".join([JS, *_combined(1)]), False) == "json"


def test_a_head_of_comments_longer_than_the_first_sample_is_read_further(tmp_path):
    comments = "# " + "x" * 98 + "\n"
    path = tmp_path / "access.log"
    head = comments * (SNIFF_BYTES // len(comments) + 50)
    path.write_text(head + "\n".join(_combined(3)) + "\n", encoding="utf-8")
    assert len(head) > SNIFF_BYTES
    s = scan([path]).to_dict()["summary"]
    assert s["files"][0]["format"] == "combined" and s["parsed"] == 3
    # the comment lines are not silently dropped: counted, with a sample
    assert s["by_reason"] == {"unrecognized_format": head.count("\n")}
    assert s["samples"]["unrecognized_format"].startswith("# xxx")


def test_lines_of_another_format_are_counted_skipped_and_named(tmp_path, cli, fresh_env):
    path = tmp_path / "mixed.log"
    path.write_text("\n".join([SSHD, SSHD, *_combined(6)]) + "\n", encoding="utf-8")
    doc = scan([path]).to_dict()
    s = doc["summary"]
    assert (s["files"][0]["format"], s["parsed"], s["skipped"]) == ("combined", 6, 2)
    assert s["files"][0]["sniff"] == {"lines": 8, "other_formats": {"syslog": 2}, "unrecognized": 0}
    assert "sshd[100]" in s["samples"]["unrecognized_format"]
    out = cli("logs", "scan", path).out
    assert "lines of other formats in the sample: syslog 2" in out and "read as combined" in out


def test_the_line_cut_at_the_end_of_the_sample_is_not_reported(tmp_path):
    path = tmp_path / "big.log"
    path.write_text("\n".join(_combined(1200)) + "\n", encoding="utf-8")
    assert path.stat().st_size > SNIFF_BYTES
    sniffed = scan([path]).to_dict()["summary"]["files"][0]["sniff"]
    assert sniffed["unrecognized"] == 0 and sniffed["other_formats"] == {} and sniffed["lines"] < 1200
