"""Generate the logwatch benchmark input: a multi-day nginx access log of a Taiwanese shop.

    python bench/logwatch/generate.py --lines 5000000 --out bench/out/logwatch-5000000-s20261123

writes `access.log` (nginx combined, Taipei time), `auth.jsonl` (the application's login,
password-change and logout events in gezi's import format) and `scenarios.json` (ground truth of
every injected attack). The same seed and size give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from attacks import ATTACKERS, Injector
from shop import BROWSERS, CRAWLERS, AuthEvent, Event, Shop, hour_weight

TAIPEI = timezone(timedelta(hours=8))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CRAWLER_SHARE = 0.08  # share of lines from search-engine crawlers
# Modern browsers speak HTTP/2 to the shop; crawlers and attack tools mostly HTTP/1.1.
H2_AGENTS = {ua for ua, _ in BROWSERS}


def nginx_time(second: int) -> str:
    """`$time_local` as nginx writes it for a server in Asia/Taipei."""
    t = time.gmtime(second + 8 * 3600)
    return (f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0800")


def iso(ts: float) -> str:
    """ISO 8601 with the Taipei offset and milliseconds (the auth-event `ts`)."""
    return datetime.fromtimestamp(ts, TAIPEI).isoformat(timespec="milliseconds")


def utc(ts: float) -> str:
    """ISO 8601 in UTC, used for the ground-truth windows."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Writer:
    """Renders events in timestamp order, with a per-second cache of the date string."""

    def __init__(self, access: Path, auth: Path) -> None:
        self.access = access.open("w", encoding="utf-8", newline="\n")
        self.auth = auth.open("w", encoding="utf-8", newline="\n")
        self.lines = 0
        self.auth_lines = 0
        self.first_ts: float | None = None
        self.last_ts = 0.0
        self._cache: dict[int, str] = {}

    def write(self, events: list[Event], auth: list[AuthEvent]) -> None:
        """Write one batch; the caller guarantees batches do not overlap in time."""
        events.sort(key=lambda e: e.ts)
        cache = self._cache
        buf = []
        for e in events:
            sec = int(e.ts)
            stamp = cache.get(sec)
            if stamp is None:
                stamp = cache[sec] = nginx_time(sec)
            proto = "HTTP/2.0" if e.ua in H2_AGENTS else "HTTP/1.1"
            buf.append(f'{e.ip} - - [{stamp}] "{e.method} {e.path} {proto}" {e.status} {e.size} '
                       f'"{e.referer}" "{e.ua}"\n')
        self.access.writelines(buf)
        if events:
            self.first_ts = self.first_ts if self.first_ts is not None else events[0].ts
            self.last_ts = events[-1].ts
        self.lines += len(buf)
        cache.clear()
        auth.sort(key=lambda a: a.ts)
        self.auth.writelines(
            json.dumps({"ts": iso(a.ts), "ip": a.ip, "user": a.user, "event": a.event,
                        "result": a.result}, ensure_ascii=False) + "\n" for a in auth)
        self.auth_lines += len(auth)

    def close(self) -> None:
        """Flush both files."""
        self.access.close()
        self.auth.close()


def mean_session_lines(seed: int, shop: Shop) -> float:
    """Average lines per customer session, measured on a throw-away sample of sessions."""
    saved_rng, saved_hits = shop.rng, dict(shop.page_hits)
    saved_fail = {u: list(ts) for u, ts in shop.fail_times.items()}
    shop.rng = random.Random(seed ^ 0x5EED)
    events: list[Event] = []
    for i in range(5000):
        shop.session(1_700_000_000.0 + i * 97.0, i % 1000, events, [])
    shop.rng, shop.fail_times, shop.page_hits = saved_rng, saved_fail, saved_hits
    return len(events) / 5000


def generate(lines: int, days: int, seed: int, start: str, out: Path) -> dict:
    """Write access.log, auth.jsonl and scenarios.json into `out`; return the ground truth."""
    if days < 3:
        raise SystemExit("generate: --days must be ≥ 3 (scenarios need earlier days as baseline)")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    day0 = datetime.fromisoformat(start).replace(tzinfo=TAIPEI).timestamp()
    # Accounts scale with traffic (a shop with more visits has more members).
    n_accounts = max(2000, lines // 250)
    shop = Shop.build(rng, n_accounts, {ip for ip, _ in ATTACKERS.values()})
    per_session = mean_session_lines(seed, shop)
    base_rate = sum(1 / gap for _, _, gap in CRAWLERS)
    crawler_lines = lines * CRAWLER_SHARE
    slow = base_rate * days * 86400 / crawler_lines
    staff_lines = days * 5 / 7 * 9 * 19

    inj = Injector(random.Random(seed + 1), shop, day0, days)
    inj.seed_victim_history()
    inj.inject_all()
    budget = lines - crawler_lines - staff_lines - len(inj.events)
    # the traffic anomaly adds ~0.6 of one day's order-detail views (~0.4 % of a day's lines)
    sessions_total = max(0.0, budget / (1 + 0.006 / days) / per_session)
    anomaly_day = days - 2
    attack_events = sorted(inj.events, key=lambda e: e.ts)
    attack_auth = sorted(inj.auth, key=lambda a: a.ts)
    anomaly_done = False

    writer = Writer(out / "access.log", out / "auth.jsonl")
    pending: list[Event] = []
    pending_auth: list[AuthEvent] = []
    carry = 0.0
    for hour in range(days * 24):
        day, hh = divmod(hour, 24)
        h0 = day0 + hour * 3600
        h1 = h0 + 3600
        if day == anomaly_day and not anomaly_done:
            hits = [shop.page_hits.get(("/member/order/detail", d), 0) for d in range(day)]
            n_before = len(inj.events)
            inj.inject_anomaly(day, sum(hits) / max(1, len(hits)))
            attack_events = sorted(attack_events + inj.events[n_before:], key=lambda e: e.ts)
            anomaly_done = True
        weekend = datetime.fromtimestamp(h0, TAIPEI).weekday() >= 5
        want = sessions_total / days * hour_weight(hh) * (1.05 if weekend else 0.98) + carry
        n = int(want)
        carry = want - n
        for _ in range(n):
            shop.session(h0 + rng.random() * 3600, day, pending, pending_auth)
        shop.crawl(h0, h1, pending, slow)
        if not weekend and 9 <= hh < 18 and rng.random() < 0.9:
            shop.staff_session(h0 + rng.random() * 3000, pending, pending_auth)
        last = hour == days * 24 - 1
        now = [e for e in pending if e.ts < h1 or last]
        pending = [e for e in pending if e.ts >= h1 and not last]
        now_auth = [a for a in pending_auth if a.ts < h1 or last]
        pending_auth = [a for a in pending_auth if a.ts >= h1 and not last]
        while attack_events and (attack_events[0].ts < h1 or last):
            now.append(attack_events.pop(0))
        while attack_auth and (attack_auth[0].ts < h1 or last):
            now_auth.append(attack_auth.pop(0))
        writer.write(now, now_auth)
    writer.close()

    truth = {
        "generator": {
            "seed": seed, "requested_lines": lines, "lines": writer.lines,
            "auth_events": writer.auth_lines, "days": days, "start_taipei": start,
            "first_ts": utc(writer.first_ts or day0), "last_ts": utc(writer.last_ts),
            "accounts": n_accounts, "site": "https://shop.example", "timezone": "+0800",
            "files": {"access": "access.log", "auth": "auth.jsonl"},
        },
        "scenarios": [
            {**s.as_dict(), "start": utc(s.start), "end": utc(s.end)} for s in inj.scenarios
        ],
    }
    (out / "scenarios.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=5_000_000, help="approximate access-log lines")
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--start", default="2026-11-02", help="first day (Asia/Taipei)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    truth = generate(a.lines, a.days, a.seed, a.start, a.out)
    g = truth["generator"]
    print(f"generated {g['lines']:,} access lines, {g['auth_events']:,} auth events, "
          f"{len(truth['scenarios'])} scenarios in {time.perf_counter() - t0:.1f} s → {a.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
