"""The logwatch benchmark generator: its ground truth must match the files it writes."""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import iptocc
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "logwatch"
sys.path.insert(0, str(BENCH))

from generate import generate  # noqa: E402
from peers import bans, line_epoch, parse_ts  # noqa: E402
from score import Truth, masked_match, score  # noqa: E402

LINES = 40_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("lw")
    return out, generate(LINES, 4, 7, "2026-11-02", out)


def access_lines(out: Path) -> list[tuple[float, str, str]]:
    """(epoch, ip, line) of every access-log line."""
    rows = []
    for line in (out / "access.log").read_text(encoding="utf-8").splitlines():
        ts = line_epoch(line)
        assert ts is not None, line
        rows.append((ts, line.split(" ", 1)[0], line))
    return rows


def test_size_order_and_format(generated: tuple[Path, dict]) -> None:
    out, truth = generated
    rows = access_lines(out)
    assert len(rows) == truth["generator"]["lines"]
    # session lengths are heavy-tailed: a small log lands within ~6 %, 200k+ lines within ~2 %
    assert abs(len(rows) - LINES) / LINES < 0.1
    times = [r[0] for r in rows]
    assert times == sorted(times), "nginx writes lines in time order"
    assert int(parse_ts(truth["generator"]["first_ts"]) or 0) == int(times[0])
    for _, _, line in rows[:2000]:
        assert line.count('"') == 6 and " +0800] " in line


def test_every_scenario_is_in_the_file_inside_its_window(generated: tuple[Path, dict]) -> None:
    out, truth = generated
    rows = access_lines(out)
    auth = [json.loads(x) for x in (out / "auth.jsonl").read_text().splitlines()]
    cats = {s["category"] for s in truth["scenarios"]}
    assert cats == {"credential_stuffing", "brute_force", "unknown_account", "login_rate", "bot",
                    "scanning", "sqli_probe", "foreign_admin_access", "auth_bypass",
                    "mass_password_change", "traffic_anomaly", "new_location_login"}
    for s in truth["scenarios"]:
        start, end = parse_ts(s["start"]), parse_ts(s["end"])
        mine = [ts for ts, ip, _ in rows if ip == s["src_ip"]]
        # attacker IPs are reserved: they appear only inside their scenario window
        assert len(mine) == s["access_lines"] > 0, s["name"]
        assert all(int(start) <= ts <= end + 1 for ts in mine), s["name"]
        mine_auth = [a for a in auth if a["ip"] == s["src_ip"]]
        assert len(mine_auth) == s["auth_events"], s["name"]
        assert all(start <= parse_ts(a["ts"]) <= end + 0.001 for a in mine_auth), s["name"]
        assert iptocc.country_code(s["src_ip"]) == s["country"], s["name"]


def test_scenario_shapes_meet_the_seed_thresholds(generated: tuple[Path, dict]) -> None:
    out, truth = generated
    rows = access_lines(out)
    auth = [json.loads(x) for x in (out / "auth.jsonl").read_text().splitlines()]
    by = {s["category"]: s for s in truth["scenarios"]}
    # login_rate: more than 7 login requests inside one second
    burst = sorted(ts for ts, ip, ln in rows
                   if ip == by["login_rate"]["src_ip"] and '"POST /login ' in ln)
    assert max(sum(1 for u in burst if t <= u < t + 1) for t in burst) > 7
    # bot: more than 30 non-static page requests inside 3 seconds
    pages = sorted(ts for ts, ip, _ in rows if ip == by["bot"]["src_ip"])
    assert max(sum(1 for u in pages if t <= u < t + 3) for t in pages) > 30
    # brute force: ≥ 3 failures for one account in a day; stuffing: many distinct accounts
    bf = [a for a in auth if a["ip"] == by["brute_force"]["src_ip"]]
    assert {a["user"] for a in bf} == {by["brute_force"]["user"]} and len(bf) >= 3
    cs = [a for a in auth if a["ip"] == by["credential_stuffing"]["src_ip"]]
    assert len({a["user"] for a in cs}) >= 100 and all(a["result"] != "success" for a in cs)
    # new location: the victim logged in successfully from Taiwan before, never from abroad
    victim = by["new_location_login"]["user"]
    before = [a for a in auth if a["user"] == victim and a["result"] == "success"
              and parse_ts(a["ts"]) < parse_ts(by["new_location_login"]["start"])]
    assert before and {iptocc.country_code(a["ip"]) for a in before} == {"TW"}
    # traffic anomaly: the page's count that day is > 10 % above the other days' mean
    day_hits: Counter = Counter()
    for ts, _, ln in rows:
        if "GET /member/order/detail" in ln:
            day_hits[int((ts + 8 * 3600) // 86400)] += 1
    anomaly_day = int((parse_ts(by["traffic_anomaly"]["start"]) + 8 * 3600) // 86400)
    others = [v for d, v in day_hits.items() if d != anomaly_day]
    assert day_hits[anomaly_day] > 1.1 * sum(others) / len(others)


def test_normal_traffic_stays_below_the_rules(generated: tuple[Path, dict]) -> None:
    out, truth = generated
    auth = [json.loads(x) for x in (out / "auth.jsonl").read_text().splitlines()]
    attackers = {s["src_ip"] for s in truth["scenarios"]}
    by = {s["category"]: s for s in truth["scenarios"]}
    # accounts the attacks alone push to ≥ 3 failures; every other account, attack failures
    # included, never has 3 failures inside any 24 hours
    hammered = {by["brute_force"]["user"]} | {
        a["user"] for a in auth if a["ip"] == by["login_rate"]["src_ip"]}
    fails: dict[str, list[float]] = {}
    for a in auth:
        if a["event"] == "login" and a["result"] == "failure" and a["user"] not in hammered:
            fails.setdefault(a["user"], []).append(parse_ts(a["ts"]) or 0.0)
    assert fails
    for ts in fails.values():
        ts.sort()
        assert all(ts[i + 2] - ts[i] >= 86400 for i in range(len(ts) - 2)), ts
    clients = {ip for _, ip, ln in access_lines(out) if "bot" not in ln.lower()} - attackers
    countries = Counter(iptocc.country_code(sorted(clients)))
    assert countries["TW"] / sum(countries.values()) > 0.9


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(8000, 3, 11, "2026-11-02", a)
    generate(8000, 3, 11, "2026-11-02", b)
    for name in ("access.log", "auth.jsonl", "scenarios.json"):
        assert (hashlib.sha256((a / name).read_bytes()).digest()
                == hashlib.sha256((b / name).read_bytes()).digest())


def test_scoring_maps_detections_by_actor_and_time(generated: tuple[Path, dict]) -> None:
    from peers import Detection

    _, truth = generated
    truths = Truth.load(truth)
    bf = next(t for t in truths if t.category == "brute_force")
    scan = next(t for t in truths if t.category == "scanning")
    dets = [
        Detection("r1", None, bf.start, bf.end, category="brute_force",
                  user=bf.user[:2] + "****" + bf.user[bf.user.index("@"):]),
        Detection("r2", scan.src_ip, scan.start, scan.end, category="sqli_probe"),
        Detection("r3", scan.src_ip, scan.start - 86400, scan.start - 86000,
                  category="scanning"),  # right actor, wrong day
        Detection("r4", "8.8.8.8", bf.start, bf.end, category="bot"),
    ]
    res = score(truths, dets, by_category=True)
    assert res["scenarios"]["brute_force"]["status"] == "found"
    assert res["scenarios"]["scanning"]["status"] == "other"
    assert res["scenarios"]["bot"]["status"] == "missed"
    assert res["unmatched_alerts"] == 1 and res["unmatched_by_rule"] == {"bot": 1}
    assert masked_match("ya****@gmail.com", "yating.lin1@gmail.com")
    assert not masked_match("yb****@gmail.com", "yating.lin1@gmail.com")


def test_fail2ban_ban_recomputation_uses_the_jail_window() -> None:
    pytest.importorskip("yaml")
    if not Path("/etc/fail2ban/jail.conf").exists():
        pytest.skip("fail2ban not installed (the bench script installs it)")
    # nginx-bad-request uses the defaults: maxretry 5 within findtime 10 min
    five_fast = [("203.0.113.9", 1000.0 + i) for i in range(5)]
    five_slow = [("203.0.113.10", 1000.0 + i * 200) for i in range(5)]
    got = bans("nginx-bad-request", five_fast + five_slow)
    assert [(d.src_ip, d.count) for d in got] == [("203.0.113.9", 5)]
