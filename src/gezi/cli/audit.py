"""`gezi audit`: the hash-chained audit trail of the register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, RocOpt, console, err_console, print_json, table
from gezi.cli.common import register as open_register
from gezi.core import audit
from gezi.core.timeutil import TAIPEI, iso, show_date

app = typer.Typer(help="稽核軌跡 The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(json_out: JsonOpt = False) -> None:
    """驗證稽核軌跡 Verify the chain; exit 1 naming the first bad entry."""
    with open_register() as session:
        r = audit.verify(session)
    if json_out:
        print_json({"ok": r.ok, "entries": r.entries, "first_bad": r.first_bad,
                    "reason": r.reason, "head_hash": r.head_hash})
    elif r.ok:
        console.print(f"稽核軌跡完整 audit trail intact: {r.entries} entries"
                      + (f", head {r.head_hash}" if r.head_hash else ""))
    else:
        err_console.print(f"稽核軌跡遭竄改 audit trail broken at entry {r.first_bad}: {r.reason}")
    if not r.ok:
        raise typer.Exit(1)


def _changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """Names of the columns an update changed (empty for inserts and deletes)."""
    if before is None or after is None:
        return []
    return sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))


def _when(ts: str, roc: bool) -> str:
    """An entry's stored UTC time as Taipei date (Gregorian or ROC) and time of day."""
    at = dt.datetime.fromisoformat(ts).astimezone(TAIPEI)
    return f"{show_date(at.date(), roc)} {at:%H:%M:%S}"


@app.command("log")
def log(
    table_name: Annotated[str | None, typer.Option("--table", help="只看某資料表 One table.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="筆數 Number of entries.")] = 50,
    show_values: Annotated[bool, typer.Option(
        "--show-values", help="顯示異動前後內容（可能含個資）Include before/after values (may hold "
        "personal data).")] = False,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """顯示最近的異動 Show recent changes (who, when, what)."""
    with open_register() as session:
        rows = audit.history(session, table_name, limit)
        docs = []
        for e in rows:
            doc = {"seq": e.seq, "ts": iso(dt.datetime.fromisoformat(e.ts)), "actor": e.actor,
                   "action": e.action, "table": e.table_name, "row": e.row_key,
                   "fields": _changed_fields(e.before, e.after), "hash": e.hash}
            if show_values:
                doc |= {"before": e.before, "after": e.after}
            docs.append(doc)
    if json_out:
        print_json({"entries": docs})
        return
    table("稽核軌跡 Audit trail", ["#", "時間", "人員", "動作", "資料表", "列", "欄位"],
          [[d["seq"], _when(d["ts"], roc), d["actor"], d["action"], d["table"], d["row"],
            ", ".join(d["fields"])] for d in docs])


def register(root: typer.Typer) -> None:
    """Add `gezi audit`."""
    root.add_typer(app, name="audit")
