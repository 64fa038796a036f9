"""The probe and SQL-injection pattern lists (rules.yaml `matchers`) on the bench's attacks.

bench/logwatch injects 40 scanner paths and 16 SQL-injection probes; the thresholds fire on
them anyway, but every probe the patterns miss is a probe a slower attacker gets through with.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lwdata import alerts_of, at, web

from gezi.logwatch.catalog import load_profile, rule_catalog
from gezi.logwatch.normalize import build_events
from gezi.logwatch.parse import Workspace

BENCH = Path(__file__).resolve().parents[2] / "bench" / "logwatch"
# bench paths left out on purpose: a directory called /old is no secret on its own
NOT_PROBES = {"/old/"}


@pytest.fixture(scope="module")
def bench_attacks():
    sys.path.insert(0, str(BENCH))
    try:
        import attacks
    finally:
        sys.path.remove(str(BENCH))
    return attacks


def flags(tmp_path: Path, targets: list[str], status: int = 404) -> dict[str, tuple[bool, bool]]:
    """(probe, sqli) of each request target, as normalization computes them."""
    path = tmp_path / "p.log"
    path.write_text("".join(web("203.0.113.7", at(i), t, status) + "\n"
                            for i, t in enumerate(targets)))
    with Workspace() as ws:
        ws.add_file(path, "combined")
        build_events(ws, load_profile(), rule_catalog().matchers)
        rows = ws.con.execute("SELECT probe, sqli FROM ev ORDER BY rid").fetchall()
    return dict(zip(targets, rows, strict=True))


def test_every_bench_probe_matches(tmp_path, bench_attacks):
    scan = flags(tmp_path, bench_attacks.SCAN_PATHS)
    assert [p for p, (probe, _) in scan.items() if not probe] == sorted(NOT_PROBES)
    sqli = flags(tmp_path, bench_attacks.SQLI_PATHS, 200)
    assert [p for p, (_, hit) in sqli.items() if not hit] == []


def test_sensitive_files_in_encoded_and_upper_case_forms(tmp_path):
    found = flags(tmp_path, [
        "/%2Eenv", "/.ENV.bak", "/wp-config.php.bak", "/.aws/credentials", "/SERVER-STATUS",
        "/Actuator/Env", "/actuator/heapdump", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
        "/storage/logs/laravel.log", "/wp-content/debug.log", "/PHPINFO.PHP", "/console",
    ])
    assert [t for t, (probe, _) in found.items() if not probe] == []
    # near misses: a health check, a page named console deeper in the site, ordinary logs and php
    misses = flags(tmp_path, ["/actuator/health", "/games/console", "/console/ps5",
                              "/changelog.log.html", "/information.php", "/contest.php"])
    assert [t for t, (probe, _) in misses.items() if probe] == []


def test_sqli_quote_probe_and_subquery_in_encoded_forms(tmp_path):
    found = flags(tmp_path, [
        "/products/10234'", "/item?id=1%27&page=2", "/p?id=7%27%27", "/s?q=1%29%20OR%20%281%3D1",
        "/s?q=1)+or+(1=1", "/c?sort=price%20ASC%2C%28SELECT%201%29", "/c?sort=(SELECT+NULL)",
        "/c?sort=(select%20@@version)", "/c?o=1,(SELECT%20CASE%20WHEN%201=1%20THEN%201%20END)",
    ], 200)
    assert [t for t, (_, hit) in found.items() if not hit] == []
    # near misses: apostrophes in words, a parenthesised word, 'or' and 'and' in prose, sizes
    misses = flags(tmp_path, [
        "/blog/kids'", "/search?q=children%27s+books", "/search?q=(select+edition)",
        "/search?q=rock+and+roll+or+jazz", "/search?q=12%22+pizza", "/size?w=15%22&h=20",
        "/search?q=tom+%26+jerry+or+1+more",
    ], 200)
    assert [t for t, (_, hit) in misses.items() if hit] == []


def test_widened_patterns_raise_the_rules_and_a_reader_does_not(logs):
    lines = [web("203.0.113.7", at(i * 20), p, 404)
             for i, p in enumerate(["/actuator/env", "/phpinfo.php", "/storage/logs/laravel.log"])]
    lines += [web("203.0.113.8", at(i * 30), p, 200)
              for i, p in enumerate(["/products/10234'", "/c?sort=price%20ASC%2C%28SELECT%201%29"])]
    # a reader paging through a search for '(select edition)' and opening an item named kids'
    lines += [web("198.51.100.20", at(i * 10), f"/search?q=(select+edition)&page={i}", 200)
              for i in range(5)]
    lines += [web("198.51.100.20", at(60 + i), "/blog/kids'", 200) for i in range(3)]
    doc = logs.scan(lines)
    assert [a["src_ip"] for a in alerts_of(doc, "scanning")] == ["203.0.113.7"]
    assert [a["src_ip"] for a in alerts_of(doc, "sqli_probe")] == ["203.0.113.8"]
    assert {a["src_ip"] for a in doc["alerts"]} == {"203.0.113.7", "203.0.113.8"}
