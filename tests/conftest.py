"""Shared fixtures: a register on SQLite *and* PostgreSQL, and an in-process `gezi` runner."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("GEZI_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("GEZI_REQUIRE_POSTGRES") == "1"


def _pg_database() -> Iterator[str]:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("GEZI_REQUIRE_POSTGRES=1 but GEZI_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (scripts/test starts one)")
    name = f"gezi_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from gezi.core.db import engine_for

        engine_for(url).dispose()
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database URL: every register test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def gezi_env(tmp_path, db_url, monkeypatch) -> dict[str, str]:
    """Environment of a gezi install in a temporary data directory on the chosen database."""
    env = {"GEZI_DATA_DIR": str(tmp_path / "gezi-data"), "GEZI_DATABASE_URL": db_url,
           "GEZI_ACTOR": "tester"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return env


@pytest.fixture
def fresh_env(tmp_path, monkeypatch) -> dict[str, str]:
    """A machine where gezi was never initialized (no register, default settings)."""
    for key in ("GEZI_DATA_DIR", "GEZI_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return {}


@pytest.fixture
def initialized(gezi_env) -> dict[str, str]:
    """gezi_env with the register created by `gezi init`."""
    from gezi.core.db import init_db
    from gezi.core.settings import get_settings

    init_db(get_settings())
    return gezi_env


@pytest.fixture
def session(initialized):
    """A SQLAlchemy session on the initialized register (committed at the end)."""
    from gezi.core.db import session_scope
    from gezi.core.settings import get_settings

    with session_scope(get_settings()) as s:
        yield s


@dataclass
class Result:
    """Exit code and captured output of one `gezi` run."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `gezi ARGS…` in-process through the real entry point (errors, exit codes)."""
    from gezi.cli import common
    from gezi.cli.main import main

    # Output as piped into a file: 200 columns, whatever terminal the tests run in (a worker
    # of pytest-xdist may see a terminal of 80 columns, and table cells then wrap).
    monkeypatch.setattr(common.console, "width", 200)
    monkeypatch.setattr(common.err_console, "width", 200)

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
