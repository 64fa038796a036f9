"""Run the rules on DuckDB (default) or Spark and turn their rows into alerts with evidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI
from gezi.logwatch.catalog import Rule
from gezi.logwatch.mask import mask_text, mask_value, printable
from gezi.logwatch.parse import Workspace
from gezi.logwatch.rules import ALERT_COLUMNS, LISTED_IPS, evidence_expr, listed_ips, rule_expr

BACKENDS = ("duckdb", "spark")


@dataclass
class Alert:
    """One alert: a rule firing for one key (IP or account) on one local day."""

    rule: Rule
    src_ip: str | None
    user: str | None
    country: str | None
    day: dt.date
    first_seen: dt.datetime
    last_seen: dt.datetime
    count: int
    peak: int
    first_ms: int = 0  # the same instants in epoch ms, exact (for joins)
    last_ms: int = 0
    evidence: list[str] = field(default_factory=list)
    # every source IP of the alert's events, most events first (at most rules.LISTED_IPS), and
    # how many there were; src_ip is the first of them
    src_ips: list[str] = field(default_factory=list)
    src_ip_count: int = 0
    # the key of a rule counting IPv6 clients by network (`ipv6_prefix`): `2001:db8:1:2::/64`, or
    # the IPv4 address
    net: str | None = None

    def sources_zh(self, limit: int = LISTED_IPS) -> str:
        """The source IPs for people: `203.0.113.9、198.51.100.2 …（共 25 個）`, one IP as it is."""
        shown = self.src_ips[:limit]
        text = "、".join(shown) + (" …" if self.src_ip_count > len(shown) else "")
        return text + (f"（共 {self.src_ip_count} 個）" if self.src_ip_count > 1 else "")

    @property
    def key(self) -> str:
        """What the alert is about: the IP (its IPv6 network for rules counting by network) or
        the account."""
        return (self.user if self.rule.key == "user" else self.net or self.src_ip) or ""

    def to_dict(self, show_values: bool = False) -> dict[str, Any]:
        """The JSON contract of `gezi logs scan` (personal data masked unless asked)."""
        return {
            "rule": self.rule.id, "category": self.rule.category, "severity": self.rule.severity,
            "title": self.rule.title.zh, "src_ip": self.src_ip,
            "user": self.user if show_values else mask_value(self.user),
            "country": self.country, "day": self.day.isoformat(),
            "first_seen": self.first_seen.astimezone(TAIPEI).isoformat(),
            "last_seen": self.last_seen.astimezone(TAIPEI).isoformat(),
            "count": self.count, "peak": self.peak, "threshold": _threshold(self.rule),
            "action": self.rule.action.zh, "evidence": self.evidence,
            "src_ips": self.src_ips, "src_ip_count": self.src_ip_count,
            "src_net": self.net if self.net and "/" in self.net else None,
        }


def _threshold(rule: Rule) -> str | None:
    if rule.condition is None:
        return None
    window = f" / {rule.window_seconds} s" if rule.window_seconds else ""
    return f"{rule.condition.describe()}{window}"


def _ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def _spark_session():
    """A local Spark session in UTC (started on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise GeziError("需要 pyspark --backend spark needs pyspark (pip install pyspark)") from None
    return (SparkSession.builder.master("local[2]").appName("gezi-logwatch")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate())


def rule_rows(ws: Workspace, rules: list[Rule], backend: str = "duckdb") -> pa.Table:
    """Alert rows of every rule (columns ALERT_COLUMNS), computed on the chosen backend."""
    if backend not in BACKENDS:
        raise GeziError(f"未知的後端 unknown backend {backend!r}; use {', '.join(BACKENDS)}")
    if not rules:
        return pa.table({c: [] for c in ALERT_COLUMNS})
    if backend == "duckdb":
        con = ibis.duckdb.from_connection(ws.con)
        ev = con.table("ev")
    else:
        parquet = ws.tmp / "ev.parquet"
        ws.con.execute(f"COPY ev TO '{parquet}' (FORMAT parquet)")
        con = ibis.pyspark.connect(_spark_session())
        ev = con.read_parquet(str(parquet))
    exprs = [rule_expr(ev, r) for r in rules]
    union = exprs[0].union(*exprs[1:], distinct=False) if len(exprs) > 1 else exprs[0]
    return union.to_pyarrow()


def build_alerts(ws: Workspace, rules: list[Rule], rows: pa.Table,
                 show_values: bool = False) -> list[Alert]:
    """Alerts sorted by time, each with up to 5 raw evidence lines (masked)."""
    by_id = {r.id: r for r in rules}
    alerts = []
    for row in rows.to_pylist():
        rule = by_id[row["rule"]]
        alerts.append(Alert(
            rule=rule, src_ip=row["key_ip"],
            user=row["key_user"] if rule.key == "user" else None, country=row["country"],
            day=dt.date(1970, 1, 1) + dt.timedelta(days=row["dayn"]),
            first_seen=_ms(row["first_ms"]), last_seen=_ms(row["last_ms"]), count=row["count"],
            peak=row["peak"], first_ms=row["first_ms"], last_ms=row["last_ms"],
            src_ips=listed_ips(row["src_ips"]) if row["src_ips"] is not None else
            [ip for ip in (row["key_ip"],) if ip],
            src_ip_count=row["ip_count"] if row["ip_count"] is not None else int(bool(row["key_ip"])),
            net=row["key_net"]))
    _attach_evidence(ws, alerts, show_values)
    alerts.sort(key=lambda a: (a.first_seen, a.rule.id, a.key))
    return alerts


def _attach_evidence(ws: Workspace, alerts: list[Alert], show_values: bool) -> None:
    con = ibis.duckdb.from_connection(ws.con)
    ev = con.table("ev")
    by_rule: dict[str, list[Alert]] = {}
    for a in alerts:
        by_rule.setdefault(a.rule.id, []).append(a)
    picks: dict[tuple[str, str, int], list[tuple[int, int, str | None]]] = {}
    for alerts_of_rule in by_rule.values():
        rule = alerts_of_rule[0].rule
        keys = pa.table({
            "k": [a.key for a in alerts_of_rule],
            "dayn": pa.array([(a.day - dt.date(1970, 1, 1)).days for a in alerts_of_rule],
                             pa.int64()),
            "first_ms": pa.array([a.first_ms for a in alerts_of_rule], pa.int64()),
            "last_ms": pa.array([a.last_ms for a in alerts_of_rule], pa.int64()),
        })
        found = evidence_expr(ev, rule, ibis.memtable(keys)).to_pyarrow().to_pylist()
        for r in found:
            picks.setdefault((rule.id, r["k"], r["dayn"]), []).append(
                (r["ts_ms"], r["rid"], r["account"]))
    lines = ws.raw_lines([rid for rows in picks.values() for _, rid, _ in rows])
    for a in alerts:
        rows = sorted(picks.get((a.rule.id, a.key, (a.day - dt.date(1970, 1, 1)).days), []))
        known = [acct for _, _, acct in rows if acct]
        # one syslog line can stand for several attempts (`message repeated N times`)
        for rid in dict.fromkeys(rid for _, rid, _ in rows):
            line = lines.get(rid, "")
            a.evidence.append(printable(line if show_values else mask_text(line, known), 500))
