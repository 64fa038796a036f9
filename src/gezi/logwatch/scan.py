"""`gezi logs scan`: parse → normalize → every rule → alerts (→ findings when a register exists)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI
from gezi.logwatch import firewall, winevent
from gezi.logwatch.catalog import effective_rules, ipv6_prefixes, load_profile, rule_catalog
from gezi.logwatch.engine import Alert, build_alerts, rule_rows
from gezi.logwatch.geo import geo_data_info
from gezi.logwatch.normalize import build_events, firewall_summary
from gezi.logwatch.parse import ParseSummary, Progress, Workspace
from gezi.logwatch.syslog import RECOGNIZED


@dataclass
class ScanResult:
    """What one scan found."""

    summary: ParseSummary
    alerts: list[Alert]
    first_ms: int | None
    last_ms: int | None
    register: dict[str, Any] = field(default_factory=dict)
    firewall: dict[str, Any] | None = None  # see normalize.firewall_summary

    def to_dict(self, show_values: bool = False) -> dict[str, Any]:
        """The JSON document of `gezi logs scan --json`."""
        s = self.summary
        return {
            "summary": {
                "lines": s.lines, "parsed": s.parsed, "skipped": s.skipped,
                "by_reason": dict(sorted(s.by_reason.items())), "samples": s.samples,
                "first_ts": _iso(self.first_ms), "last_ts": _iso(self.last_ms),
                "files": s.files, "geo": geo_data_info(), "assumed_zone": s.assumed_zone(),
                "firewall": self.firewall,
            },
            "alerts": [a.to_dict(show_values) for a in self.alerts],
            "register": self.register,
        }


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).astimezone(TAIPEI).isoformat()


def load_files(ws: Workspace, paths: list[Path], auth_paths: list[Path], fmt: str,
               progress: Progress | None = None) -> None:
    """Parse access logs (in `fmt`) and auth-event files (always sniffed) into the workspace.

    `progress(path, share)` hears how much of each file has been read (0 < share ≤ 1).
    """
    ws.progress = progress
    for path, file_fmt, auth in [*((p, fmt, False) for p in paths),
                                 *((p, "auto", True) for p in auth_paths)]:
        ws.add_file(path, file_fmt, auth=auth)
        if progress:
            progress(path, 1.0)
    ws.progress = None
    # A quiet server's auth.log may hold only sudo/CRON lines, a kern.log no packet log: read
    # fine, nothing to report.
    recognized = {*RECOGNIZED, *firewall.RECOGNIZED, *winevent.RECOGNIZED}
    if ws.summary.parsed + sum(ws.summary.by_reason[r] for r in recognized) == 0:
        reasons = ", ".join(f"{k} {v}" for k, v in ws.summary.by_reason.most_common(3))
        raise GeziError(f"沒有可解析的日誌行 nothing could be parsed ({ws.summary.lines} lines"
                        + (f"; {reasons}" if reasons else "") + ")")


def scan(paths: list[Path], auth_paths: list[Path] | None = None, *,
         profile_path: Path | None = None, fmt: str = "auto", backend: str = "duckdb",
         show_values: bool = False, progress: Progress | None = None,
         year: int | None = None, tz: str | None = None) -> ScanResult:
    """Scan log files and run every enabled rule.

    `year` and `tz` place syslog time stamps, which have neither (see `gezi.logwatch.syslog`);
    `tz` defaults to the profile's `timezone`.
    """
    if not paths and not auth_paths:
        raise GeziError("請指定日誌檔 give at least one log file")
    profile = load_profile(profile_path)
    rules = effective_rules(profile)
    # User agents are only parsed when the allow list needs them (a third of the parse cost).
    with Workspace(detail=bool(profile.allow.user_agents), year=year,
                   tz=tz or profile.timezone) as ws:
        load_files(ws, paths, auth_paths or [], fmt, progress)
        build_events(ws, profile, rule_catalog().matchers, ipv6_prefixes(rules))
        # every parsed line, firewall records included (view `u`; `ev` holds what rules read)
        first_ms, last_ms = ws.con.execute("SELECT min(ts_ms), max(ts_ms) FROM u").fetchone()
        rows = rule_rows(ws, rules, backend)
        alerts = build_alerts(ws, rules, rows, show_values)
        return ScanResult(ws.summary, alerts, first_ms, last_ms,
                          firewall=firewall_summary(ws.con))
