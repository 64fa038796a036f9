"""Empty and whitespace-only lines are neither records nor skipped lines, in every format; a line
holding anything else that is no record is still counted (near miss)."""

from __future__ import annotations

import pytest

from gezi.logwatch.parse import Workspace

# (format, lines before the record — headers —, one record, one broken line of that format)
CASES = {
    "combined": ([], '203.0.113.7 - - [02/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 5 "-" "x"',
                 '203.0.113.7 - - [32/Foo/2026:99:00:00 +0800] "GET / HTTP/1.1" 200 5 "-" "x"'),
    "json": ([], '{"remote_addr": "203.0.113.7", "time_iso8601": "2026-03-02T10:00:00+08:00", '
                 '"request": "GET / HTTP/1.1", "status": 200}', '{"remote_addr": '),
    "iis": (["#Fields: date time c-ip cs-method cs-uri-stem sc-status"],
            "2026-03-02 02:00:00 203.0.113.7 GET / 200", "2026-03-02 02:00:00 203.0.113.7 GET"),
    "auth-json": ([], '{"ts": "2026-03-02T10:00:00+08:00", "ip": "203.0.113.7", "user": "a", '
                      '"event": "login", "result": "failure"}', "-"),
    "auth-csv": (["ts,ip,user,event,result"], "2026-03-02T10:00:00+08:00,203.0.113.7,a,login,failure",
                 "2026-03-02T10:00:00+08:00,203.0.113.7"),
    "sshd": ([], "Mar  2 10:00:00 host sshd[1]: Failed password for a from 203.0.113.7 port 22 ssh2",
             "-- not syslog --"),
    "iptables": ([], "Mar  2 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.7 "
                     "DST=10.0.0.1 LEN=60 PROTO=TCP SPT=1 DPT=22", "."),
    "fortigate": ([], 'date=2026-03-02 time=10:00:00 devname="FG" logid="1" type="traffic" '
                      'srcip=203.0.113.7 dstip=10.0.0.1 action="deny"',
                  'date=2026-03-02 time=10:00:01 devname="FG" logid="1" type="traffic"'),
    "pfirewall": (["#Fields: date time action protocol src-ip dst-ip src-port dst-port size"],
                  "2026-03-02 10:00:00 DROP TCP 203.0.113.7 10.0.0.1 1 22 60",
                  "2026-03-02 10:00:00 DROP TCP"),
}
BLANKS = ["", "   ", "\t", " \t "]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("fmt", list(CASES))
def test_blank_lines_are_no_lines_and_broken_lines_still_count(tmp_path, fmt, crlf):
    head, record, broken = CASES[fmt]
    lines = [*head, *BLANKS, record, *BLANKS, broken, ""]
    path = tmp_path / f"{fmt}.log"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode() + b"\n")
    with Workspace(year=2026) as ws:
        ws.add_file(path, fmt)
        s = ws.summary
        assert (s.lines, s.parsed, s.skipped) == (2, 1, 1), dict(s.by_reason)
        assert s.lines == s.parsed + s.skipped  # the summary contract holds
        assert s.files[0]["lines"] == 2
