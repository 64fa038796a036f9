"""`gezi init`: create the data directory and the register."""

from __future__ import annotations

import typer

from gezi.cli.common import JsonOpt, console, print_json, settings
from gezi.core.db import init_db, safe_url


def init(json_out: JsonOpt = False) -> None:
    """建立資料目錄與登錄資料庫（可重複執行）Create the data directory and the register.

    SQLite in ./gezi-data by default; GEZI_DATA_DIR and GEZI_DATABASE_URL override.
    """
    s = settings()
    outcome = init_db(s)
    if json_out:
        print_json({"status": outcome, "data_dir": str(s.data_dir.resolve()),
                    "database": safe_url(s.db_url)})
        return
    verb = "已建立 created" if outcome == "created" else "已是最新 up to date"
    console.print(f"登錄資料庫{verb}: {safe_url(s.db_url)}")
    console.print(f"資料目錄 data directory: {s.data_dir.resolve()}")


def register(app: typer.Typer) -> None:
    """Add `gezi init`."""
    app.command("init")(init)
