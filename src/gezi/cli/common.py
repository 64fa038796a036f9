"""Shared CLI plumbing: settings, register sessions, JSON output, tables, errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from gezi.core.db import session_scope
from gezi.core.fsnames import printable_doc
from gezi.core.settings import Settings, get_settings
from gezi.core.timeutil import iso

# Piped output (a file, `less`, CI logs) gets a wide console so tables are not cut at 80 columns.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
# No Rich markup in printed text: titles, names and paths typed by people may hold [x] or [/]
# (which raised MarkupError); styles are given as Text and style= where wanted.
console = Console(highlight=False, soft_wrap=False, width=_PIPE_WIDTH, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="輸出單一 JSON 文件 Print one JSON document.")]
RocOpt = Annotated[bool, typer.Option("--roc", help="以民國紀年顯示日期 Show dates as 113年05月31日.")]
OrgOpt = Annotated[
    str | None,
    typer.Option("--org", help="組織 id、統一編號或名稱 Organization id, UBN or name (needed "
                 "when the register holds more than one)."),
]


def settings() -> Settings:
    """Settings for this command run."""
    return get_settings()


@contextmanager
def register() -> Iterator[Session]:
    """A committed-on-success session on the initialized register."""
    with session_scope(settings()) as session:
        yield session


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return iso(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def print_json(doc: Any) -> None:
    """Write exactly one JSON document to stdout, valid UTF-8 even when a file name in it is
    not (see gezi.core.fsnames)."""
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=_default)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(printable_doc(doc), ensure_ascii=False, indent=2, default=_default)
    sys.stdout.write(text + "\n")


def print_json_stream(head: dict, key: str, items: Iterable[Any], serialized: bool = False) -> None:
    """Write one JSON document: ``head`` plus ``key`` holding ``items``, each item serialized
    as it comes (``serialized``: items are JSON texts already), so a scan with millions of
    findings never builds the whole text in memory."""
    out = sys.stdout
    body = json.dumps(head, ensure_ascii=False, indent=2, default=_default)
    out.write(body[:-1].rstrip() + ("," if head else "") + f"\n  {json.dumps(key)}: [")
    for i, item in enumerate(items):
        text = item if serialized else json.dumps(item, ensure_ascii=False, default=_default)
        out.write(("," if i else "") + "\n    " + text)
    out.write("\n  ]\n}\n")


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table. Cells are data (file names, column names, titles a person typed) and
    are shown as written: ``[姓名]`` or ``[red]`` in them is no style tag. A cell that is a Rich
    ``Text`` keeps its style (整體 in bold, 逾期 in red)."""
    t = Table(title=title, show_lines=False)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*(v if isinstance(v, Text) else Text("" if v is None else str(v)) for v in row))
    console.print(t)


def fail(message: str) -> None:
    """Stop with a one-line error and exit code 2 (used for bad input caught in the CLI)."""
    from gezi.core.errors import GeziError

    raise GeziError(message)
