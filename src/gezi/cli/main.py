"""The `gezi` command: groups are registered here and live one per module."""

from __future__ import annotations

import importlib
import sys

import typer

from gezi.core.errors import GeziError

app = typer.Typer(
    name="gezi",
    help="gezi 個資 — 個人資料保護與資安管理：盤點、評鑑、監控、證據留存。\n\n"
    "Run and prove a Taiwanese personal-data protection and information-security programme.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, attribute): each module exposes a Typer group `app` or a single command function.
GROUPS: list[tuple[str, str]] = [
    ("gezi.cli.init", "register"),
    ("gezi.cli.org", "register"),
    ("gezi.cli.catalog", "register"),
    ("gezi.cli.assess", "register"),
    ("gezi.cli.findings", "register"),
    ("gezi.cli.controls", "register"),
    ("gezi.cli.evidence", "register"),
    ("gezi.cli.audit", "register"),
    ("gezi.cli.demo", "register"),
    ("gezi.cli.inventory", "register"),
    ("gezi.cli.requests", "register"),
    ("gezi.cli.optout", "register"),
    ("gezi.cli.vendors", "register"),
    ("gezi.cli.transfers", "register"),
    ("gezi.cli.records", "register"),
    ("gezi.cli.incidents", "register"),
    ("gezi.cli.pii", "register"),
    ("gezi.cli.mask", "register"),
    ("gezi.cli.logs", "register"),
]

for module_name, attr in GROUPS:
    getattr(importlib.import_module(module_name), attr)(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with exit code 2 instead of tracebacks."""
    try:
        rv = app(args=argv, prog_name="gezi", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: typer prints them, exit code 2
        exc.show()
        sys.exit(getattr(exc, "exit_code", 2))
    except GeziError as exc:
        sys.stderr.write(f"gezi: 錯誤 error: {exc}\n")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("gezi: 已中止 aborted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
