"""Turn parsed lines into the normalized events table `ev` the rules read.

Everything that depends on the site profile or on pattern lists is computed here, once, as plain
columns (booleans, country), so the rules are only filters, keys and windows and run unchanged
on any Ibis backend.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import iptocc
import pyarrow as pa

from gezi.logwatch.catalog import Matcher, SiteProfile
from gezi.logwatch.parse import Workspace, _lit

# Asia/Taipei is UTC+8 all year (no daylight saving since 1979): a fixed offset gives local days.
TAIPEI_OFFSET_MS = 8 * 3600 * 1000
DAY_MS = 86_400_000
# The sources the rules read. Firewall records are archived and summarized (`firewall_summary`)
# but no rule reads them: they would otherwise count as days and requests in the web rules.
RULE_SOURCES = ("web", "auth")
_RULE_ROWS = f"source IN ({', '.join(_lit(s) for s in RULE_SOURCES)})"


def _in_list(expr: str, values: list[str]) -> str:
    norm = sorted({v.lower().rstrip("/") or "/" for v in values})
    if not norm:
        return "false"
    return f"{expr} IN ({', '.join(_lit(v) for v in norm)})"


def _under_prefix(expr: str, prefixes: list[str]) -> str:
    parts = []
    for p in sorted({p.lower().rstrip("/") for p in prefixes if p.strip("/")}):
        parts.append(f"({expr} = {_lit(p)} OR starts_with({expr}, {_lit(p + '/')}))")
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def _regex(patterns: list[str]) -> str:
    return _lit("|".join(f"(?:{p})" for p in patterns))


def _matcher_sql(m: Matcher) -> str:
    expr = f"regexp_matches({'path' if m.field == 'path' else 'dt'}, {_regex(m.patterns)})"
    gates = [f"coalesce(status, 0) >= {m.min_status}"] if m.min_status else []
    if m.needs_any:
        gates.append("(" + " OR ".join(f"contains(dt, {_lit(c)})" for c in m.needs_any) + ")")
    if gates:
        expr = f"CASE WHEN {' AND '.join(gates)} THEN {expr} ELSE false END"
    return f"coalesce({expr}, false)"


def canonical_ip(text: str) -> str:
    """One spelling per address: IPv6 compressed and lower-case, IPv4-mapped IPv6 as IPv4, no port
    and no brackets.

    Dual-stack servers log IPv4 clients as `::ffff:203.0.113.7` and IIS, nginx and applications
    spell IPv6 differently (`2001:DB8:0:0::1`, `2001:db8::1`); JSON access logs and proxies add the
    client's port (`203.0.113.7:51234`, `[2001:db8::1]:443`) or brackets (`[2001:db8::1]`). Without
    this one client would be several keys (one per source port), and such a spelling would have no
    country. Text that is not an address is kept as it is.
    """
    if ":" not in text and "[" not in text:  # IPv4 as written (the common case, not parsed)
        return text
    bare = _without_port(text)
    try:
        addr = ipaddress.ip_address(bare)
    except ValueError:
        return text
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped or addr)


def _without_port(text: str) -> str:
    """The address of `[addr]`, `[addr]:port` or `a.b.c.d:port`; other text unchanged.

    A bare IPv6 address is never cut: its last group could be read as a port (`2001:db8::1:443`),
    which is why IPv6 with a port is always written in brackets (RFC 3986, RFC 5952 section 6).
    """
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if sep and (rest == "" or (rest.startswith(":") and _is_port(rest[1:]))):
            return host
        return text
    host, sep, port = text.partition(":")
    if sep and "." in host and _is_port(port):  # exactly one colon, after a dotted address
        return host
    return text


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) <= 65535


def network(addr: str, prefix: int) -> str:
    """The IPv6 network of `prefix` bits an address (canonical, see `canonical_ip`) lies in, as
    `2001:db8:1:2::/64`; IPv4 addresses and text that is no address are returned as they are."""
    if ":" not in addr:
        return addr
    try:
        return str(ipaddress.IPv6Network(f"{addr}/{prefix}", strict=False))
    except ValueError:
        return addr


def ip_info(ips: list[str], profile: SiteProfile, prefixes: list[int] | tuple[int, ...] = ()) -> pa.Table:
    """Canonical address, country (offline, iptocc), allow-list membership and a small integer id
    of each IP as written; for each IPv6 prefix length p, the network `net{p}` and its id `netn{p}`.

    Rules group and partition by the integer id: hashing and sorting it is cheaper than the text.
    Spellings of one address (see `canonical_ip`) share it.

    Private and reserved addresses have no country, so they are never foreign.
    """
    addrs = [canonical_ip(ip) for ip in ips]
    ids: dict[str, int] = {}
    for a in addrs:
        ids.setdefault(a, len(ids))
    country_of = dict(zip(ids, iptocc.country_code(list(ids)) if ids else [], strict=True))
    nets = []
    for entry in profile.allow.ips:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    allowed = []
    for ip in addrs:
        hit = False
        if nets:
            try:
                addr = ipaddress.ip_address(ip)
                hit = any(addr in n for n in nets if n.version == addr.version)
            except ValueError:
                hit = False
        allowed.append(hit)
    cols = {"ip": pa.array(ips, pa.string()),
            "addr": pa.array(addrs, pa.string()),
            "ipn": pa.array([ids[a] for a in addrs], pa.int32()),
            "country": pa.array([country_of[a] for a in addrs], pa.string()),
            "ip_allowed": pa.array(allowed, pa.bool_())}
    for p in prefixes:
        nets = [network(a, p) for a in addrs]
        net_ids: dict[str, int] = {}
        for n in nets:
            net_ids.setdefault(n, len(net_ids))
        cols[f"net{p}"] = pa.array(nets, pa.string())
        cols[f"netn{p}"] = pa.array([net_ids[n] for n in nets], pa.int32())
    return pa.table(cols)


def build_events(ws: Workspace, profile: SiteProfile, matchers: dict[str, Matcher],
                 prefixes: list[int] | tuple[int, ...] = ()) -> int:
    """Create table `ev` from the parsed lines; returns its row count. `prefixes`: the IPv6
    network lengths some rule counts clients by (columns `net{p}`, `netn{p}`)."""
    con = ws.con
    con.execute(f"CREATE OR REPLACE VIEW u AS {ws.parsed_union()}")
    ips = [r[0] for r in con.execute(
        f"SELECT DISTINCT ip FROM u WHERE ip IS NOT NULL AND {_RULE_ROWS}").fetchall()]
    con.register("ip_info_arrow", ip_info(ips, profile, prefixes))
    con.execute("CREATE OR REPLACE TABLE ip_info AS SELECT * FROM ip_info_arrow")
    con.unregister("ip_info_arrow")
    static = _lit(r"\.(" + "|".join(e.lower().lstrip(".") for e in profile.static_extensions)
                  + ")$")
    ua_allow = " OR ".join(f"contains(lower(coalesce(ua, '')), {_lit(a.lower())})"
                           for a in profile.allow.user_agents) or "false"
    home = _lit(profile.home_country)
    flags = {name: _matcher_sql(m) for name, m in matchers.items()}
    con.execute(f"""
    CREATE OR REPLACE TABLE ev AS
    WITH a AS (
      SELECT *, lower(CASE WHEN contains(target, '%') OR contains(target, '+')
                           THEN replace(coalesce(try(url_decode(target)), target), '+', ' ')
                           ELSE target END) AS dt
      FROM u WHERE {_RULE_ROWS}),
    b AS (SELECT *, split_part(dt, '?', 1) AS path0 FROM a),
    c AS (SELECT *, CASE WHEN path0 = '/' THEN '/' ELSE rtrim(path0, '/') END AS path FROM b),
    d AS (
      SELECT c.*,
        coalesce(regexp_matches(path, {static}), false) AS is_static,
        coalesce({_in_list("path", profile.login_paths)}, false) AS is_login,
        coalesce({_under_prefix("path", profile.admin_prefixes)}, false) AS is_admin,
        coalesce({_in_list("path", profile.admin_login_paths)}, false) AS is_admin_login,
        coalesce({_in_list("path", profile.password_change_paths)}, false) AS is_pw_change,
        {", ".join(f"{expr} AS {name}" for name, expr in flags.items())},
        CASE WHEN source = 'web' THEN coalesce(status BETWEEN 100 AND 399, false)
             ELSE coalesce(result = 'success', false) END AS ok,
        coalesce(source = 'web' AND status BETWEEN 200 AND 299, false) AS served
      FROM c)
    SELECT rid, file_id, source, ts_ms, (ts_ms + {TAIPEI_OFFSET_MS}) // {DAY_MS} AS dayn,
      i.addr AS ip, i.ipn, {"".join(f"i.net{p}, i.netn{p}, " for p in prefixes)}method, path, status, account,
      CASE WHEN source = 'auth' THEN account WHEN is_pw_change THEN 'req:' || rid::VARCHAR
      END AS acct,
      CASE WHEN source = 'web' AND is_pw_change AND method = 'POST' AND ok THEN 'password_change'
           WHEN source = 'web' AND is_login THEN 'login' ELSE event END AS event,
      CASE WHEN source = 'web' AND is_pw_change AND method = 'POST' AND ok THEN 'success'
           ELSE result END AS result,
      ok, served, is_static, is_login, is_admin, is_admin_login, is_pw_change,
      {", ".join(matchers)},
      i.country, coalesce(i.country IS NOT NULL AND i.country <> {home}, false) AS is_foreign,
      coalesce(i.country, {home}) AS location,
      coalesce(i.ip_allowed, false) OR {ua_allow}
        OR coalesce({_under_prefix("path", profile.allow.paths)}, false) AS allowed
    FROM d LEFT JOIN ip_info i ON d.ip = i.ip
    """)
    return con.execute("SELECT count(*) FROM ev").fetchone()[0]


TOP_DENIED = 10  # sources and ports listed in the firewall summary


def firewall_summary(con) -> dict[str, Any] | None:
    """Firewall records among the parsed lines (view `u` of `build_events`): counts by action and
    the sources and destination ports denied most; None when there are none.

    Source IPs are not masked (like an alert's `src_ip`, they are what the record is about) and are
    counted in the spelling of `canonical_ip`, so the kernel's expanded IPv6
    (`2001:0db8:0000:…:0001`) and Windows' compressed one are one source.
    """
    fw = "FROM u WHERE source = 'firewall'"
    total, allow, deny = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE action = 'allow'), "
        f"count(*) FILTER (WHERE action = 'deny') {fw}").fetchone()
    if not total:
        return None
    con.execute(f"CREATE OR REPLACE TEMP TABLE fw_denied AS SELECT ip, count(*) AS n {fw} "
                f"AND action = 'deny' AND ip IS NOT NULL GROUP BY ip")
    spelled = [r[0] for r in con.execute(
        "SELECT ip FROM fw_denied WHERE contains(ip, ':') OR contains(ip, '[')").fetchall()]
    con.register("fw_spelling", pa.table({"ip": pa.array(spelled, pa.string()),
                                          "addr": pa.array([canonical_ip(i) for i in spelled],
                                                           pa.string())}))
    top = con.execute(f"""SELECT a, sum(n)::BIGINT AS total FROM (
        SELECT coalesce(s.addr, d.ip) AS a, n FROM fw_denied d LEFT JOIN fw_spelling s USING (ip))
        GROUP BY a ORDER BY total DESC, a LIMIT {TOP_DENIED}""").fetchall()
    con.unregister("fw_spelling")
    countries = iptocc.country_code([ip for ip, _ in top]) if top else []
    ports = con.execute(f"SELECT dst_port, count(*) AS n {fw} AND action = 'deny' AND dst_port "
                        f"IS NOT NULL GROUP BY dst_port ORDER BY n DESC, dst_port "
                        f"LIMIT {TOP_DENIED}").fetchall()
    return {"records": total, "allow": allow, "deny": deny, "other": total - allow - deny,
            "top_denied_sources": [{"ip": ip, "country": c, "count": n}
                                   for (ip, n), c in zip(top, countries, strict=True)],
            "top_denied_ports": [{"port": p, "count": n} for p, n in ports]}
