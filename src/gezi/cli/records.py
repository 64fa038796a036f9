"""`gezi records`: the record kinds an inspector asks for (seed 000 §十) and where they are missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, table
from gezi.cli.common import register as reg
from gezi.core.timeutil import now_utc, parse_date, show_date
from gezi.org.service import resolve_org
from gezi.privacy import records as svc
from gezi.privacy.clocks import taipei_day

app = typer.Typer(help="紀錄與證據留存 Records and evidence kept for inspection.", no_args_is_help=True)


@app.command("kinds")
def kinds(
    all_kinds: Annotated[bool, typer.Option("--all", help="含其他證據類型 Every catalogued kind.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """列出應留存之紀錄類型與保存年限 List the record kinds and their retention."""
    docs = [{"code": k.code, "name": k.name.zh, "retention_years": k.retention_years,
             "source": k.source.citation} for k in svc.record_kinds(all_kinds)]
    if json_out:
        print_json({"kinds": docs})
        return
    table("紀錄類型 Record kinds", ["code", "名稱", "保存年限", "出處"],
          [[d["code"], d["name"], d["retention_years"], d["source"]] for d in docs])


@app.command("gaps")
def gaps(
    months: Annotated[int, typer.Option("--months", help="檢查期間（月）Window in months.")] = 12,
    on: Annotated[str | None, typer.Option("--on", help="基準日 As of this day (default today).")] = None,
    all_kinds: Annotated[bool, typer.Option("--all", help="含其他證據類型 Every catalogued kind.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """列出期間內無任何紀錄之類型 Record kinds with no evidence entry in the last N months."""
    day = parse_date(on) if on is not None else taipei_day(now_utc())
    with reg() as session:
        doc = svc.gaps(session, resolve_org(session, org), day, months, all_kinds)
    if json_out:
        print_json(doc)
        return
    table(f"紀錄缺口 Record gaps {show_date(doc['since'], roc)} – {show_date(doc['on'], roc)}",
          ["code", "紀錄類型", "筆數", "最近一筆", "缺口"],
          [[k["code"], k["name"], k["entries"], show_date(k["latest"], roc), "缺 GAP" if k["gap"] else ""]
           for k in doc["kinds"]])
    console.print(f"缺口 {doc['gaps']} / {len(doc['kinds'])} 類 kinds without an entry in {months} months")


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="輸出 Excel 檔 Workbook to write (.xlsx).")],
    months: Annotated[int, typer.Option("--months", help="紀錄缺口檢查期間（月）Gap window in months.")] = 12,
    on: Annotated[str | None, typer.Option("--on", help="基準日 As of this day (default today).")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """匯出個資作業紀錄簿（受檢用）Export requests, opt-outs, vendors, transfers and gaps to Excel."""
    day = parse_date(on) if on is not None else taipei_day(now_utc())
    with reg() as session:
        path = svc.export_workbook(session, resolve_org(session, org), out, day, months)
    if json_out:
        print_json({"out": path})
    else:
        console.print(f"已匯出 exported {path}")


def register(root: typer.Typer) -> None:
    """Add `gezi records`."""
    root.add_typer(app, name="records")
