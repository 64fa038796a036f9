"""`gezi logs`: scan logs for attacks, archive them as Parquet, check coverage, daily review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.text import Text

from gezi.cli.common import JsonOpt, OrgOpt, console, err_console, print_json, settings, table
from gezi.core.db import register_exists, session_scope
from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc, parse_date
from gezi.logwatch.sources import FORMATS

app = typer.Typer(help="日誌監控 Log monitoring: credential stuffing, bots, probing, back-end "
                  "break-ins; archive, retention and daily review.", no_args_is_help=True)

PathsArg = Annotated[list[Path] | None, typer.Argument(
    help="日誌檔 Log files (plain, .gz, .bz2, .zst); may be omitted when --auth is given.")]
AuthOpt = Annotated[list[Path] | None, typer.Option(
    "--auth", help="應用程式登入事件檔 Auth-event file (JSON lines or CSV: ts, ip, user, event, "
    "result); repeatable.")]
ProfileOpt = Annotated[Path | None, typer.Option(
    "--profile", help="網站設定檔 Site profile YAML (see docs/logwatch.md).")]
FormatOpt = Annotated[str, typer.Option("--format", help=f"格式 Format: {' | '.join(FORMATS)}.")]
ShowOpt = Annotated[bool, typer.Option(
    "--show-values", help="顯示未遮罩的個資 Show account names unmasked.")]
YearOpt = Annotated[int | None, typer.Option(
    "--year", min=1970, max=9999,
    help="syslog 第一行的年份 Year of a syslog file's first line (default: from the file's "
    "modification time).")]
TzOpt = Annotated[str | None, typer.Option(
    "--tz", help="無時區時間戳記的時區 Zone of time stamps without one (syslog, JSON access logs, "
    "FortiGate without tz, pfirewall.log); default the profile's timezone, Asia/Taipei.")]
SEVERITY_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "嚴重"}


PROGRESS_MIN_BYTES = 16 * 1024 * 1024  # smaller inputs parse in about a second


def _progress(paths: list[Path], out: Console = err_console):
    """A Rich progress bar over input bytes on stderr, moving inside each file as it is read.

    Shown only when stderr is a terminal (never in pipes, cron mail or captured output) and the
    input is large; returns (bar, callback for `scan(progress=…)`) or (None, None).
    """
    sizes = [p.stat().st_size if p.is_file() else 0 for p in paths]  # in the order scanned
    total = sum(sizes)
    if not out.is_terminal or total < PROGRESS_MIN_BYTES:
        return None, None
    bar = Progress(TextColumn("[bold]解析 parsing"), BarColumn(), DownloadColumn(),
                   TextColumn("{task.description}"), console=out, transient=True)
    task = bar.add_task("", total=total)
    finished = [0]  # files read completely (a file may be given twice)

    def tick(path: Path, share: float) -> None:
        i = min(finished[0], len(sizes) - 1)
        bar.update(task, completed=sum(sizes[:i]) + int(share * sizes[i]), description=path.name)
        if share >= 1:
            finished[0] += 1

    return bar, tick


def _findings(alerts, org_ref: str | None) -> dict:
    """Alerts → findings when a register exists and the organization is clear."""
    from gezi.logwatch.findings import record_findings
    from gezi.org.service import list_orgs, resolve_org

    s = settings()
    if not register_exists(s):
        return {"written": False, "reason": "no register (run `gezi init` to keep findings)"}
    with session_scope(s) as session:
        if org_ref is None and len(list_orgs(session)) != 1:
            return {"written": False,
                    "reason": "register has no single organization; pass --org"}
        org = resolve_org(session, org_ref)
        counts = record_findings(session, org.id, alerts)
        return {"written": True, "org_id": org.id, **counts}


def _source(alert: dict) -> str | None:
    """The alert's IP, with how many other IPs took part (an account guessed from many)."""
    others = alert["src_ip_count"] - 1
    return f"{alert['src_ip']} (+{others})" if alert["src_ip"] and others > 0 else alert["src_ip"]


def _need_input(paths: list[Path] | None, auth: list[Path] | None) -> list[Path]:
    """Log paths, or a one-line error when neither logs nor --auth files were given."""
    if not paths and not auth:
        raise GeziError("請指定日誌檔或 --auth 登入事件檔 give log files and/or --auth files")
    return paths or []


@app.command("scan")
def scan_cmd(
    paths: PathsArg = None,
    auth: AuthOpt = None,
    profile: ProfileOpt = None,
    fmt: FormatOpt = "auto",
    backend: Annotated[str, typer.Option("--backend", help="duckdb | spark")] = "duckdb",
    org: OrgOpt = None,
    show_values: ShowOpt = False,
    year: YearOpt = None,
    tz: TzOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """掃描日誌並執行所有偵測規則 Scan logs and run every detection rule."""
    from gezi.logwatch.scan import scan

    paths = _need_input(paths, auth)
    bar, tick = _progress([*paths, *(auth or [])])  # stderr only: --json keeps stdout
    if bar:
        bar.start()
    try:
        result = scan(paths, auth or [], profile_path=profile, fmt=fmt, backend=backend,
                      show_values=show_values, progress=tick, year=year, tz=tz)
    finally:
        if bar:
            bar.stop()
    result.register = _findings(result.alerts, org)
    doc = result.to_dict(show_values)
    if json_out:
        print_json(doc)
        return
    s = doc["summary"]
    console.print(f"行數 lines {s['lines']:,}　解析 parsed {s['parsed']:,}　略過 skipped "
                  f"{s['skipped']:,}　期間 {s['first_ts']} – {s['last_ts']}")
    for reason, count in s["by_reason"].items():
        console.print(f"  略過 skipped {reason}: {count:,}　例 e.g. {s['samples'].get(reason, '')}")
    for f in s["files"]:
        # a file mixing formats: its lines of the others are skipped (counted above)
        other = (f.get("sniff") or {}).get("other_formats")
        if other:
            kinds = ", ".join(f"{k} {n:,}" for k, n in other.items())
            console.print(f"  注意 {f['path']}：取樣中有其他格式的行 lines of other formats in the "
                          f"sample: {kinds}; 以 read as {f['format']}")
    if s["assumed_zone"]["lines"]:
        console.print(f"  無時區的時間以 {s['assumed_zone']['zone']} 解讀 times without a zone read "
                      f"as {s['assumed_zone']['zone']}: {s['assumed_zone']['lines']:,} 行 lines")
    if s["firewall"]:
        _print_firewall(s["firewall"])
    table("警示 Alerts (category / severity / IP / user / country / first / count)",
          ["類別", "嚴重度", "來源IP", "帳號", "國家", "首次", "次數"],
          [[a["category"], SEVERITY_ZH[a["severity"]], _source(a), a["user"], a["country"],
            a["first_seen"][5:19].replace("T", " "), a["count"]] for a in doc["alerts"]])
    geo = s["geo"]
    console.print(f"地理資料 geolocation: {geo['source']} {geo['version']}，資料日期 data date "
                  f"{geo['data_date']}")
    reg = doc["register"]
    if reg.get("written"):
        console.print(f"已寫入缺失 findings: 新增 created {reg['created']}，更新 updated "
                      f"{reg['updated']}")


def _print_firewall(fw: dict) -> None:
    """Firewall records of a scan: counts by action and the sources denied most."""
    console.print(f"防火牆紀錄 firewall records {fw['records']:,}　允許 allow {fw['allow']:,}　"
                  f"拒絕 deny {fw['deny']:,}　其他 other {fw['other']:,}")
    if fw["top_denied_sources"]:
        table("最常被拒絕的來源 Top denied sources", ["來源IP", "國家", "次數"],
              [[r["ip"], r["country"], r["count"]] for r in fw["top_denied_sources"]])
    if fw["top_denied_ports"]:
        console.print("最常被拒絕的目的埠 top denied ports: " + "、".join(
            f"{r['port']} ({r['count']:,})" for r in fw["top_denied_ports"]))


@app.command("ingest")
def ingest_cmd(paths: PathsArg = None, auth: AuthOpt = None, fmt: FormatOpt = "auto",
               profile: ProfileOpt = None, year: YearOpt = None, tz: TzOpt = None,
               device: Annotated[str | None, typer.Option(
                   "--device", help="產生這些檔案的裝置 Device that wrote these files, for lines "
                   "that name none (default: the file's directory).")] = None,
               json_out: JsonOpt = False) -> None:
    """將日誌正規化存為 Parquet（依來源與日期分區）Store normalized events as Parquet."""
    from gezi.logwatch.store import ingest

    paths = _need_input(paths, auth)
    doc = ingest(settings().data_dir, paths, auth or [], fmt, year=year, tz=tz, profile_path=profile,
                 device=device)
    if json_out:
        print_json(doc)
        return
    table("匯入 Ingested", ["檔案 file", "SHA-256", "狀態 status", "事件 events"],
          [[f["path"], f["sha256"][:16] + "…", f["status"], f.get("events", "")]
           for f in doc["files"]])


@app.command("verify")
def verify_cmd(json_out: JsonOpt = False) -> None:
    """重新核對原始檔與 Parquet 雜湊 Re-check raw-file and Parquet hashes."""
    from gezi.logwatch.store import verify

    doc = verify(settings().data_dir)
    if json_out:
        print_json(doc)
    else:
        table("核對 Verify", ["項目 item", "狀態 status"],
              [[c["path"], c["status"]] for c in doc["checks"]])
        console.print("全部相符 all ok" if doc["ok"] else Text("有不符 mismatches found", style="red"))
    if not doc["ok"]:
        raise typer.Exit(1)


@app.command("coverage")
def coverage_cmd(
    until: Annotated[str | None, typer.Option("--until", help="截止日 End day (default today).")]
    = None,
    gap_days: Annotated[int, typer.Option(
        "--gap-days", min=1, help="裝置連續幾天無紀錄算缺漏 Days a device may be silent before it "
        "counts as a gap.")] = 1,
    json_out: JsonOpt = False,
) -> None:
    """列出保存期限內缺少日誌的日期（含各裝置）Days without logs inside the retention period, also
    per device."""
    from gezi.logwatch.store import coverage

    end = parse_date(until) if until else now_utc().date()
    doc = coverage(settings().data_dir, end, gap_days)
    if json_out:
        print_json(doc)
        return
    table("日誌覆蓋 Coverage", ["來源 source", "保存 retention", "期間 window", "有資料天數 days",
                                "缺漏 missing", "缺漏區間 gaps"],
          [[c["source"], c["retention"], f"{c['window_start']} – {c['window_end']}",
            c["days_with_data"], c["missing_days"], _spans(c["gaps"])] for c in doc["sources"]])
    silent = [(c["source"], d) for c in doc["sources"] for d in c["devices"]
              if d["gaps"] or d["silent_since"]]
    if silent:
        table(f"裝置缺漏 Device gaps (≥ {gap_days} 天 days without records)",
              ["來源 source", "裝置 device", "缺漏天數 missing", "缺漏區間 gaps", "停止於 silent since"],
              [[src, d["device"], d["missing_days"], _spans(d["gaps"]), d["silent_since"] or ""]
               for src, d in silent])


def _spans(gaps: list[list[str]]) -> str:
    """The first five day spans, `…` when there are more."""
    return "; ".join(f"{a}–{b}" for a, b in gaps[:5]) + (" …" if len(gaps) > 5 else "")


@app.command("prune")
def prune_cmd(
    before: Annotated[str, typer.Option("--before", help="刪除此日前的分區 Delete days before.")],
    source: Annotated[str | None, typer.Option("--source", help="web | auth | firewall")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出 List only.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """刪除超過保存期限的 Parquet 分區 Delete partitions older than the retention period."""
    from gezi.logwatch.store import prune

    doc = prune(settings().data_dir, parse_date(before), source, now_utc().date(), dry_run)
    if json_out:
        print_json(doc)
        return
    console.print(f"{'將刪除 would delete' if dry_run else '已刪除 deleted'} "
                  f"{len(doc['deleted'])} 個分區 partitions")


@app.command("report")
def report_cmd(
    day: Annotated[str, typer.Option("--day", help="檢視日 Day to review (YYYY-MM-DD).")],
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Excel 輸出檔")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="HTML 輸出檔")] = None,
    profile: ProfileOpt = None,
    control: Annotated[str | None, typer.Option(
        "--control", help="連結的控制措施代碼 Control code to link the report to.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """每日登入失敗與異常IP檢視報告 Daily review of failed logins and foreign-IP logins."""
    from gezi.logwatch.report import daily_review, save_as_evidence, write_html, write_xlsx

    the_day = parse_date(day)
    review = daily_review(settings().data_dir, the_day, profile)
    if xlsx:
        write_xlsx(review, xlsx)
    if html:
        write_html(review, html)
    outputs = [p for p in (xlsx, html) if p]
    review["register"] = save_as_evidence(settings(), outputs, the_day, org, control)
    if json_out:
        print_json(review)
        return
    console.print(f"{review['title']}（{the_day.isoformat()}）")
    for name, rows in (("登入失敗（帳號）", review["failed_by_account"]),
                       ("登入失敗（IP）", review["failed_by_ip"]),
                       ("非客戶帳號嘗試", review["unknown_accounts"]),
                       ("國外IP登入", review["foreign_logins"])):
        console.print(f"{name}: {len(rows)}")
    console.print(f"警示 alerts: {len(review['alerts'])}")
    for p in outputs:
        console.print(f"已輸出 written {p}")


def register(root: typer.Typer) -> None:
    """Add `gezi logs`."""
    root.add_typer(app, name="logs")

