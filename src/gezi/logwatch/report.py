"""Daily review of login failures and abnormal-IP logins (TWSE 網路安全管理 14–15), from the archive.

The review reads the Parquet archive (`gezi logs ingest`): the reviewed day plus the days the
rules need as history (8 days of web logs for the traffic baseline, every archived day of auth
events for the per-account country history).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gezi.core.db import register_exists, session_scope
from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import roc_date
from gezi.logwatch.catalog import effective_rules, ipv6_prefixes, load_profile, retention, rule_catalog
from gezi.logwatch.engine import build_alerts, rule_rows
from gezi.logwatch.geo import geo_data_info
from gezi.logwatch.mask import mask_value
from gezi.logwatch.normalize import RULE_SOURCES, build_events
from gezi.logwatch.parse import Workspace
from gezi.logwatch.store import days_with_data, events_dir

TITLE = "每日登入失敗紀錄及非客戶帳號嘗試登入檢視報告"
WEB_HISTORY_DAYS = 8
SECTIONS = {
    "failed_by_account": ("登入失敗（依帳號）", ["帳號 account", "失敗次數 failures", "來源IP數 IPs",
                                                "首次 first", "最後 last"]),
    "failed_by_ip": ("登入失敗（依IP）", ["來源IP", "國家 country", "失敗次數 failures",
                                          "帳號數 accounts", "首次 first", "最後 last"]),
    "unknown_accounts": ("非客戶帳號嘗試登入", ["來源IP", "國家 country", "帳號 account",
                                                "次數 attempts", "首次 first"]),
    "foreign_logins": ("國外IP登入成功", ["帳號 account", "來源IP", "國家 country", "時間 time"]),
    "alerts": ("警示", ["規則 rule", "類別 category", "嚴重度 severity", "來源IP source IPs",
                         "來源IP數 IPs", "帳號 user", "國家 country", "次數 count", "首次 first"]),
}


def _t(ms: int | None) -> str:
    if ms is None:
        return ""
    return (dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC) + dt.timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M:%S")


def daily_review(data_dir: Path, day: dt.date, profile_path: Path | None = None
                 ) -> dict[str, Any]:
    """The day's review as a JSON-ready dict (accounts masked)."""
    have = days_with_data(data_dir)
    root = events_dir(data_dir)
    files: list[tuple[Path, str]] = []
    for source, days in have.items():
        if source not in RULE_SOURCES:  # firewall records: archived for retention, no rule reads them
            continue
        for d in sorted(days):
            if d > day or (source != "auth" and (day - d).days >= WEB_HISTORY_DAYS):
                continue
            files += [(p, source) for p in sorted(root.glob(f"source={source}/day={d}/*.parquet"))]
    if not any(day in have.get(source, ()) for source in RULE_SOURCES):
        raise GeziError(f"{day.isoformat()} 無已匯入的網站或登入日誌 no ingested logs for that day "
                        "(web or auth; firewall records are not reviewed); run `gezi logs ingest` first")
    profile = load_profile(profile_path)
    rules = effective_rules(profile)
    dayn = (day - dt.date(1970, 1, 1)).days
    with Workspace() as ws:
        for path, source in files:
            ws.add_parquet(path, source)
        build_events(ws, profile, rule_catalog().matchers, ipv6_prefixes(rules))
        q = ws.con.execute
        failed_acct = q(f"""SELECT account, count(*), count(DISTINCT ip), min(ts_ms), max(ts_ms)
            FROM ev WHERE dayn = {dayn} AND source = 'auth' AND event = 'login'
            AND result = 'failure' GROUP BY account ORDER BY 2 DESC, 1""").fetchall()
        # failures without a source IP (Windows console / NTLM logons) are listed under '-'
        failed_ip = q(f"""SELECT coalesce(ip, '-') AS ip, any_value(country), count(*), count(DISTINCT account),
            min(ts_ms), max(ts_ms) FROM ev WHERE dayn = {dayn} AND source = 'auth'
            AND event = 'login' AND result IN ('failure', 'unknown_user')
            GROUP BY ip ORDER BY 3 DESC, 1""").fetchall()
        unknown = q(f"""SELECT coalesce(ip, '-') AS ip, any_value(country), account, count(*), min(ts_ms) FROM ev
            WHERE dayn = {dayn} AND source = 'auth' AND event = 'login'
            AND result = 'unknown_user' GROUP BY ip, account ORDER BY 4 DESC, 1, 3""").fetchall()
        foreign = q(f"""SELECT account, ip, country, ts_ms FROM ev WHERE dayn = {dayn}
            AND source = 'auth' AND event = 'login' AND result = 'success' AND is_foreign
            ORDER BY ts_ms, account""").fetchall()
        alerts = [a for a in build_alerts(ws, rules, rule_rows(ws, rules)) if a.day == day]
    return {
        "title": TITLE, "day": day.isoformat(), "roc_day": roc_date(day),
        "basis": "seed 003_1ebab6476a18df1e.txt 網路安全管理 14–15；撞庫事件後的資安強化措施",
        "geo": geo_data_info(),
        "failed_by_account": [[mask_value(a), n, ips, _t(f), _t(last)]
                              for a, n, ips, f, last in failed_acct],
        "failed_by_ip": [[ip, c or "", n, accts, _t(f), _t(last)]
                         for ip, c, n, accts, f, last in failed_ip],
        "unknown_accounts": [[ip, c or "", mask_value(a), n, _t(f)]
                             for ip, c, a, n, f in unknown],
        "foreign_logins": [[mask_value(a), ip, c, _t(ts)] for a, ip, c, ts in foreign],
        # every source IP (most events first): an account guessed from many addresses shows them
        "alerts": [[a.rule.id, a.rule.category, a.rule.severity, a.sources_zh(), a.src_ip_count,
                    mask_value(a.user), a.country or "", a.count, _t(a.first_ms)]
                   for a in alerts],
    }


def write_xlsx(review: dict[str, Any], path: Path) -> None:
    """One summary sheet and one sheet per section."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "摘要"
    geo = review["geo"]
    for row in ([review["title"]], ["檢視日", review["day"], review["roc_day"]],
                ["依據", review["basis"]],
                ["地理資料", f"{geo['source']} {geo['version']}", f"資料日期 {geo['data_date']}"],
                [], *[[SECTIONS[k][0], len(review[k])] for k in SECTIONS]):
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=14)
    for key, (name, header) in SECTIONS.items():
        sheet = wb.create_sheet(name[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in review[key]:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_html(review: dict[str, Any], path: Path) -> None:
    """A self-contained HTML page (printable)."""
    e = html.escape
    geo = review["geo"]
    parts = [f"<!doctype html><html lang='zh-Hant'><head><meta charset='utf-8'>"
             f"<title>{e(review['title'])} {e(review['day'])}</title><style>"
             "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #999;padding:4px 8px}th{background:#eee}</style></head><body>",
             f"<h1>{e(review['title'])}</h1>",
             f"<p>檢視日：{e(review['day'])}（{e(review['roc_day'])}）<br>依據：{e(review['basis'])}"
             f"<br>地理資料：{e(str(geo['source']))} {e(str(geo['version']))}，資料日期 "
             f"{e(str(geo['data_date']))}</p>"]
    for key, (name, header) in SECTIONS.items():
        parts.append(f"<h2>{e(name)}（{len(review[key])}）</h2>")
        if not review[key]:
            parts.append("<p>無 none</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for row in review[key]:
            parts.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("<p>檢視人員簽核 Reviewed by：＿＿＿＿＿＿　日期：＿＿＿＿＿＿</p></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def save_as_evidence(settings: Settings, outputs: list[Path], day: dt.date,
                     org_ref: str | None, control_code: str | None) -> dict[str, Any]:
    """Keep the written report files as `log_review` evidence and link them to controls.

    Linked controls: the one named by --control, else every control of the organization linked
    to an item listed under `review_items` in retention.yaml (TWSE 網路安全管理 14–15).
    """
    from gezi.compliance.controls import get_control
    from gezi.compliance.evidence import add_evidence, link_evidence
    from gezi.compliance.models import Control, ControlLink
    from gezi.org.service import list_orgs, resolve_org

    if not outputs:
        return {"saved": False, "reason": "no --xlsx/--html output to keep"}
    if not register_exists(settings):
        return {"saved": False, "reason": "no register"}
    with session_scope(settings) as session:
        if org_ref is None and len(list_orgs(session)) != 1:
            return {"saved": False, "reason": "register has no single organization; pass --org"}
        org = resolve_org(session, org_ref)
        if control_code:
            controls = [get_control(session, org, control_code)]
        else:
            refs = [r.split(":", 1) for r in retention().review_items]
            cond = sa.or_(*[sa.and_(ControlLink.framework_id == f, ControlLink.item_id == i)
                            for f, i in refs]) if refs else sa.false()
            controls = list(session.scalars(
                sa.select(Control).join(ControlLink, ControlLink.control_id == Control.id)
                .where(Control.org_id == org.id, cond).distinct().order_by(Control.id)))
        saved = []
        for out in outputs:
            ev = add_evidence(session, settings, org_id=org.id, path=out, kind="log_review",
                              actor=settings.who, title=f"{TITLE} {day.isoformat()}",
                              effective_date=day)
            for c in controls:
                link_evidence(session, ev, "control", str(c.id))
            saved.append(ev.id)
        return {"saved": True, "org_id": org.id, "evidence_ids": saved,
                "controls": [c.code for c in controls]}
