"""`gezi audit`: the hash-chained audit trail of the register."""

from __future__ import annotations

from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, console, err_console, print_json, table
from gezi.cli.common import register as open_register
from gezi.core import audit

app = typer.Typer(help="稽核軌跡 The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(json_out: JsonOpt = False) -> None:
    """驗證稽核軌跡 Verify the chain; exit 1 naming the first bad entry."""
    with open_register() as session:
        r = audit.verify(session)
    if json_out:
        print_json({"ok": r.ok, "entries": r.entries, "first_bad": r.first_bad,
                    "reason": r.reason})
    elif r.ok:
        console.print(f"稽核軌跡完整 audit trail intact: {r.entries} entries")
    else:
        err_console.print(f"稽核軌跡遭竄改 audit trail broken at entry {r.first_bad}: {r.reason}")
    if not r.ok:
        raise typer.Exit(1)


@app.command("log")
def log(
    table_name: Annotated[str | None, typer.Option("--table", help="只看某資料表 One table.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="筆數 Number of entries.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """顯示最近的異動 Show recent changes (who, when, what)."""
    with open_register() as session:
        rows = audit.history(session, table_name, limit)
        docs = [{"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action,
                 "table": e.table_name, "row": e.row_key, "hash": e.hash} for e in rows]
    if json_out:
        print_json({"entries": docs})
        return
    table("稽核軌跡 Audit trail", ["#", "時間 (UTC)", "人員", "動作", "資料表", "列"],
          [[d["seq"], d["ts"][:19], d["actor"], d["action"], d["table"], d["row"]] for d in docs])


def register(root: typer.Typer) -> None:
    """Add `gezi audit`."""
    root.add_typer(app, name="audit")
