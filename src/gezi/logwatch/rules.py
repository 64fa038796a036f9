"""Rules as Ibis expressions over the normalized events table (any Ibis backend).

Every rule reduces to: filter (`where`) → key → optional distinct value → count inside a window
that slides over the events' own timestamps → alert per key and local day. Because windows are
defined on timestamps, not arrival order, replaying shuffled or old logs gives the same alerts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from gezi.logwatch.catalog import Rule
from gezi.logwatch.normalize import DAY_MS, TAIPEI_OFFSET_MS

KEY_COLUMN = {"ip": "ipn", "user": "account"}  # ipn: integer id of the IP (see normalize)
EVIDENCE_KEY = {"ip": "ip", "user": "account"}
DISTINCT_COLUMN = {"user": "account", "path": "path", "acct": "acct", "location": "location"}
ALERT_COLUMNS = ("rule", "key_ip", "key_user", "dayn", "first_ms", "last_ms", "count", "peak",
                 "country", "src_ips", "ip_count", "key_net")


def key_column(rule: Rule) -> str:
    """The column a rule groups by: the IP's id, its IPv6 network's id (`ipv6_prefix`), the account."""
    return f"netn{rule.ipv6_prefix}" if rule.ipv6_prefix else KEY_COLUMN[rule.key]


def evidence_key(rule: Rule) -> str:
    """The column matching an alert's `key` (Alert.key) when its evidence is picked."""
    return f"net{rule.ipv6_prefix}" if rule.ipv6_prefix else EVIDENCE_KEY[rule.key]
LISTED_IPS = 20  # source IPs named in one alert; `ip_count` still counts every one


def predicate(t: ir.Table, spec: dict) -> list[ir.BooleanValue]:
    """`where` mapping → Ibis predicates (a list means 'any of')."""
    preds = []
    for col, value in spec.items():
        if isinstance(value, list):
            preds.append(t[col].isin(value))
        else:
            preds.append(t[col] == value)
    return preds


def base(ev: ir.Table, rule: Rule) -> ir.Table:
    """The events a rule counts: its `where`, minus allow-listed requests; an IP rule counts only
    events with an IP (a Windows console logon has none; NULL would be one key for all of them)."""
    keep = [*predicate(ev, rule.where), ~ev.allowed]
    return ev.filter([*keep, ev.ipn.notnull()] if rule.key == "ip" else keep)


def _day(ms: ir.IntegerValue) -> ir.IntegerValue:
    return (ms + TAIPEI_OFFSET_MS) // DAY_MS


def _candidate_keys(t: ir.Table, key: str, width: int, minimum: int) -> ir.Table:
    """Events of keys that reach `minimum` events within `width` ms somewhere (exact pre-filter).

    With a key's events in time order, `minimum` of them fit in one window exactly when an event
    is less than `width` after the event `minimum - 1` places before it. That needs one sort
    (lag), cheaper than counting every window; the full windowed count then runs only for the
    few keys that trigger. Keys with fewer events in total are dropped first.
    """
    totals = t.group_by(key).aggregate(total=t.count())
    t = t.semi_join(totals.filter(totals.total >= minimum), key)
    w = ibis.window(group_by=t[key], order_by=t.ts_ms)
    lagged = t.mutate(prev=t.ts_ms.lag(minimum - 1).over(w))
    keys = lagged.filter(lagged.ts_ms - lagged.prev < width).select(key).distinct()
    return t.semi_join(keys, key)


def _triggers_count(t: ir.Table, key: str, width: int, minimum: int) -> ir.Table:
    """(key, dayn, t0, t1, peak): event times where the sliding count reached `minimum`."""
    if minimum > 1:
        t = _candidate_keys(t, key, width, minimum)
    w = ibis.window(group_by=t[key], order_by=t.ts_ms, range=(-(width - 1), 0))
    win = t.mutate(n=t.ts_ms.count().over(w))
    trig = win.filter(win.n >= minimum)
    return trig.group_by([key, _day(trig.ts_ms).name("dayn")]).aggregate(
        t0=trig.ts_ms.min(), t1=trig.ts_ms.max(), peak=trig.n.max())


def _triggers_distinct(t: ir.Table, key: str, value: str, width: int, minimum: int) -> ir.Table:
    """Like _triggers_count, counting distinct `value`s in the window (sweep line).

    Each (key, value) occurrence keeps the value 'active' until the window passes it or the
    next occurrence of the same value takes over, so the running sum of +1/-1 marks is the
    number of distinct values in the window — exact, and made of plain window functions every
    backend supports (distinct window aggregates are not portable).
    """
    p = t.select(key, value, "ts_ms").distinct()
    pw = ibis.window(group_by=[p[key], p[value]], order_by=p.ts_ms)
    p = p.mutate(nxt=p.ts_ms.lead().over(pw))
    end = ibis.least(p.nxt.fill_null(p.ts_ms + width) - 1, p.ts_ms + width - 1)
    plus = p.select(key, at=p.ts_ms, delta=ibis.literal(1, "int64"))
    minus = p.select(key, at=end + 1, delta=ibis.literal(-1, "int64"))
    sweep = plus.union(minus, distinct=False)
    sweep = sweep.group_by([key, "at"]).aggregate(delta=sweep.delta.sum())
    cw = ibis.window(group_by=sweep[key], order_by=sweep.at, rows=(None, 0))
    sweep = sweep.mutate(active=sweep.delta.sum().over(cw))
    trig = sweep.filter(sweep.active >= minimum)
    return trig.group_by([key, _day(trig.at).name("dayn")]).aggregate(
        t0=trig.at.min(), t1=trig.at.max(), peak=trig.active.max())


def _source_ips(j: ir.Table) -> ir.Table:
    """(k, dayn, ip, country, src_ips, ip_count): the source IPs of each alert's events.

    `ip` is the IP with the most events (ties: the earliest, then the lowest), `src_ips` the
    first LISTED_IPS in that order, so an account guessed from many addresses names its
    attackers rather than whichever address sorts first.
    """
    j = j.filter(j.ip.notnull())
    per_ip = j.group_by(["k", "dayn", "ip"]).aggregate(
        n=j.count(), first=j.ts_ms.min(), country=j.country.max())  # one country per IP
    w = ibis.window(group_by=[per_ip.k, per_ip.dayn],
                    order_by=[per_ip.n.desc(), per_ip.first, per_ip.ip])
    per_ip = per_ip.mutate(pos=ibis.row_number().over(w))
    # Spark cannot order a collected list, so each IP carries its place as a sortable prefix
    # ('07 203.0.113.9'); listed_ips() sorts and strips it
    tagged = per_ip.pos.cast("string").lpad(2, "0") + " " + per_ip.ip
    return per_ip.group_by(["k", "dayn"]).aggregate(
        ip=per_ip.ip.argmin(per_ip.pos), country=per_ip.country.argmin(per_ip.pos),
        src_ips=tagged.collect(where=per_ip.pos < LISTED_IPS), ip_count=per_ip.count())


def listed_ips(tagged: list[str]) -> list[str]:
    """The IPs of a `src_ips` column in their order (see _source_ips)."""
    return [t.split(" ", 1)[1] for t in sorted(tagged)]


def _span(t: ir.Table, core: ir.Table, key: str, width: int, value: str | None,
          net: str | None = None) -> ir.Table:
    """Alert rows: the events of each trigger span [t0 - width + 1, t1] summarized; `net`: the
    column naming the key's IPv6 network, when the rule counts by network."""
    j = t.join(core, [t[key] == core[key], t.ts_ms >= core.t0 - (width - 1),
                      t.ts_ms <= core.t1])
    j = j.mutate(k=j[key], dayn=j.dayn_right)
    counted = j[value].nunique() if value else j.count()
    rows = j.group_by(["k", "dayn"]).aggregate(
        first_ms=j.ts_ms.min(), last_ms=j.ts_ms.max(), count=counted,
        peak=j.peak.max(), user=j.account.min(), **({"net": j[net].min()} if net else {}))
    ips = _source_ips(j)
    rows = rows.left_join(ips, ["k", "dayn"])
    return rows.select("k", "dayn", "first_ms", "last_ms", "count", "peak", "user", "ip",
                       "country", "src_ips", "ip_count", *(["net"] if net else []))


def _finish(rows: ir.Table, rule: Rule) -> ir.Table:
    return rows.select(
        rule=ibis.literal(rule.id, "string"),
        key_ip=rows.ip.cast("string"),
        key_user=rows.user.cast("string"),
        dayn=rows.dayn.cast("int64"),
        first_ms=rows.first_ms.cast("int64"),
        last_ms=rows.last_ms.cast("int64"),
        count=rows["count"].cast("int64"),
        peak=rows.peak.cast("int64"),
        country=rows.country.cast("string"),
        # rules without a source-IP list name their one IP (build_alerts fills it in)
        src_ips=(rows.src_ips if "src_ips" in rows.columns else ibis.null("array<string>"))
        .cast("array<string>"),
        ip_count=(rows.ip_count if "ip_count" in rows.columns else ibis.null("int64"))
        .cast("int64"),
        key_net=(rows.net if "net" in rows.columns else ibis.null("string")).cast("string"),
    )


def _window_rule(t: ir.Table, rule: Rule) -> ir.Table:
    key = key_column(rule)
    width = rule.window_seconds * 1000  # type: ignore[operator]
    minimum = rule.condition.minimum  # type: ignore[union-attr]
    t = t.mutate(dayn=_day(t.ts_ms))
    if rule.kind == "window_distinct":
        value = DISTINCT_COLUMN[rule.distinct]  # type: ignore[index]
        core = _triggers_distinct(t, key, value, width, minimum)
    else:
        value = None
        core = _triggers_count(t, key, width, minimum)
    net = evidence_key(rule) if rule.ipv6_prefix else None
    return _finish(_span(t, core, key, width, value, net), rule)


def _without_prior(ev: ir.Table, rule: Rule) -> ir.Table:
    hits = base(ev, rule)
    prior = ev.filter(predicate(ev, rule.prior or {}))
    first = prior.group_by("ip").aggregate(first_login=prior.ts_ms.min())
    j = hits.left_join(first, "ip")
    bad = j.filter(j.first_login.isnull() | (j.ts_ms < j.first_login)).drop("first_login")
    if "ip_right" in bad.columns:
        bad = bad.drop("ip_right")
    return _window_rule(bad, rule)


def _baseline_excess(ev: ir.Table, rule: Rule) -> ir.Table:
    t = base(ev, rule)
    days = ev.select("dayn").distinct()
    days = days.mutate(idx=ibis.row_number().over(ibis.window(order_by=days.dayn)))
    pd = t.group_by(["path", "dayn"]).aggregate(n=t.count())
    pd = pd.join(days, "dayn")
    cw = ibis.window(group_by=pd.path, order_by=pd.dayn, rows=(None, -1))
    pd = pd.mutate(before=pd.n.sum().over(cw).fill_null(0))
    pd = pd.mutate(baseline=pd.before.cast("float64") / pd.idx.cast("float64"))
    cand = pd.filter(pd.idx >= rule.baseline_days, pd.n >= rule.min_daily_count,
                     pd.n > pd.baseline * (1 + rule.excess_ratio))  # type: ignore[operator]
    t = t.semi_join(cand, ["path", "dayn"])
    ipd = t.group_by(["path", "dayn", "ip"]).aggregate(
        ni=t.count(), first_ms=t.ts_ms.min(), last_ms=t.ts_ms.max(), country=t.country.max())
    hit = ipd.join(cand, ["path", "dayn"])
    # "concentrated in one IP": without that IP's hits the page would have been normal, and the
    # IP made a real share of the day's hits (a crawler taking a few hits is not blamed)
    hit = hit.filter(hit.n - hit.ni <= hit.baseline * (1 + rule.excess_ratio),  # type: ignore[operator]
                     hit.ni >= hit.n * rule.ip_min_share)  # type: ignore[operator]
    rows = hit.group_by(["ip", "dayn"]).aggregate(
        first_ms=hit.first_ms.min(), last_ms=hit.last_ms.max(), count=hit.ni.sum(),
        peak=hit.n.max(), country=hit.country.max())
    return _finish(rows.mutate(user=ibis.null("string")), rule)


def _new_value(ev: ir.Table, rule: Rule) -> ir.Table:
    t = base(ev, rule)
    key = KEY_COLUMN[rule.key]
    value = DISTINCT_COLUMN[rule.distinct]  # type: ignore[index]
    firsts = t.group_by([key, value]).aggregate(f=t.ts_ms.min())
    start = t.group_by(key).aggregate(u=t.ts_ms.min())
    new = firsts.join(start, key).filter(lambda x: x.f > x.u)
    j = t.join(new, [t[key] == new[key], t[value] == new[value], t.ts_ms == new.f])
    if rule.foreign_only:
        j = j.filter(j.is_foreign)
    rows = j.group_by([j[key].name("user"), j.f]).aggregate(
        ip=j.ip.min(), country=j.country.argmin(j.ip), count=j.count())
    rows = rows.mutate(dayn=_day(rows.f), first_ms=rows.f, last_ms=rows.f, peak=rows["count"])
    return _finish(rows, rule)


def rule_expr(ev: ir.Table, rule: Rule) -> ir.Table:
    """The alert rows of one rule as an Ibis expression (columns ALERT_COLUMNS)."""
    if rule.kind in ("window_count", "window_distinct"):
        return _window_rule(base(ev, rule), rule)
    if rule.kind == "without_prior":
        return _without_prior(ev, rule)
    if rule.kind == "baseline_excess":
        return _baseline_excess(ev, rule)
    return _new_value(ev, rule)


def evidence_expr(ev: ir.Table, rule: Rule, alerts: ir.Table, limit: int = 5) -> ir.Table:
    """(k, dayn, rid): the first `limit` events of each alert's span, for its evidence lines."""
    t = base(ev, rule)
    key = evidence_key(rule)
    j = t.join(alerts, [t[key] == alerts.k, t.ts_ms >= alerts.first_ms,
                        t.ts_ms <= alerts.last_ms])
    w = ibis.window(group_by=[j.k, j.dayn_right], order_by=[j.ts_ms, j.rid])
    ranked = j.mutate(pos=ibis.row_number().over(w))
    return ranked.filter(ranked.pos < limit).select(
        k=ranked.k, dayn=ranked.dayn_right, rid=ranked.rid, ts_ms=ranked.ts_ms,
        account=ranked.account)
