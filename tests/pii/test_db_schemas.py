"""scan-db reads every non-system schema of PostgreSQL (``--schema`` limits them) and reports
schema.table.column; views only with ``--views``."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from .test_db_mask_schemas import _pg_only

IDS = ["A123456789", "B234567894", "F131104093", "A800000014"]


def _seed(url: str) -> bool:
    """customers (default schema) and a view on it; on PostgreSQL also sales.orders and
    audit.logins. True on PostgreSQL."""
    engine = sa.create_engine(url)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(sa.text("create table customers (id integer primary key, national_id varchar(10))"))
        conn.execute(sa.text("insert into customers values (:i, :p)"),
                     [{"i": i, "p": p} for i, p in enumerate(IDS)])
        conn.execute(sa.text("create view v_customers as select national_id from customers"))
        if pg:
            conn.execute(sa.text("create schema sales"))
            conn.execute(sa.text("create schema audit"))
            conn.execute(sa.text("create table sales.orders (no varchar(12) primary key, buyer varchar(10))"))
            conn.execute(sa.text("insert into sales.orders values (:n, :p)"),
                         [{"n": f"SO{i:04d}", "p": p} for i, p in enumerate(IDS)])
            conn.execute(sa.text("create table audit.logins (at timestamp, ip varchar(40))"))
            conn.execute(sa.text("insert into audit.logins values (now(), '203.0.113.5')"))
            conn.execute(sa.text("create materialized view sales.buyers as select buyer from sales.orders"))
    engine.dispose()
    return pg


def _tables(result: dict) -> dict[str, dict]:
    return {".".join(filter(None, (t["schema"], t["table"]))): t for t in result["tables"]}


def test_all_schemas_views_on_request(db_url, cli, fresh_env):
    pg = _seed(db_url)
    r = cli("pii", "scan-db", db_url, "--json")
    assert r.code == 0, r.err
    tables = _tables(r.json)
    if pg:
        assert set(tables) == {"customers", "sales.orders", "audit.logins"}
        assert r.json["default_schema"] == "public" and set(r.json["schemas"]) == {"public", "sales", "audit"}
        orders = {c["column"]: c for c in tables["sales.orders"]["columns"]}
        assert orders["buyer"]["classification"] == "TW_NATIONAL_ID"
        assert {c["column"]: c["classification"] for c in tables["audit.logins"]["columns"]}["ip"] == "IP_ADDRESS"
        human = cli("pii", "scan-db", db_url)
        assert "sales.orders.buyer" in human.out and "public.customers.national_id" in human.out
        only = cli("pii", "scan-db", db_url, "--json", "--schema", "sales", "--schema", "audit")
        assert set(_tables(only.json)) == {"sales.orders", "audit.logins"}
    else:
        assert set(tables) == {"customers"}
        assert "main.customers.national_id" in cli("pii", "scan-db", db_url).out
    with_views = cli("pii", "scan-db", db_url, "--json", "--views")
    view = _tables(with_views.json)["v_customers"]
    assert view["kind"] == "view" and _tables(with_views.json)["customers"]["kind"] == "table"
    if pg:  # a materialized view is a view too
        assert _tables(with_views.json)["sales.buyers"]["kind"] == "view"
        assert "sales.buyers" not in _tables(r.json)
    assert view["columns"][0]["classification"] == "TW_NATIONAL_ID" and view["rows_scanned"] == 4


@pytest.mark.parametrize("schema", ["nosuch", "pg_catalog'--"])
def test_unknown_schema_is_one_line(db_url, cli, fresh_env, schema):
    _seed(db_url)
    r = cli("pii", "scan-db", db_url, "--schema", schema)
    assert r.code == 2 and "schema not found" in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_table_the_account_cannot_read_is_skipped(db_url, cli, fresh_env, tmp_path):
    _pg_only(db_url)
    _seed(db_url)
    role = f"gezi_ro_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"create role {role} login"))
        conn.execute(sa.text(f"grant usage on schema sales, audit to {role}"))
        conn.execute(sa.text(f"grant select on customers, sales.orders to {role}"))
    url = sa.make_url(db_url).set(username=role).render_as_string(hide_password=False)
    try:
        r = cli("pii", "scan-db", url, "--json")
        assert r.code == 0, r.err
        assert set(_tables(r.json)) == {"customers", "sales.orders"}
        assert r.json["tables_skipped"] == [
            {"table": "logins", "schema": "audit", "reason": "無法讀取 cannot read: InsufficientPrivilege"}]
        assert r.json["summary"]["tables_skipped"] == 1
        human = cli("pii", "scan-db", url)
        assert "略過資料表 skipped table audit.logins" in human.out
        # A masked copy cannot leave a table out: refused, naming it.
        copy = cli("mask-db", url, f"sqlite:///{tmp_path / 'copy.db'}")
        assert copy.code == 2 and "audit.logins" in copy.err and "InsufficientPrivilege" in copy.err
        assert len(copy.err.strip().splitlines()) == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop owned by {role}"))
            conn.execute(sa.text(f"drop role {role}"))
        engine.dispose()


def test_partitions_read_through_their_table(db_url, cli, fresh_env, tmp_path):
    _pg_only(db_url)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table calls (id integer, phone varchar(12)) partition by range (id)"))
        conn.execute(sa.text("create table calls_a partition of calls for values from (0) to (10)"))
        conn.execute(sa.text("create table calls_b partition of calls for values from (10) to (20)"))
        conn.execute(sa.text("insert into calls values (:i, :p)"),
                     [{"i": i, "p": f"09123456{i:02d}"} for i in range(20)])
    engine.dispose()
    r = cli("pii", "scan-db", db_url, "--json", "--full")
    assert r.code == 0, r.err
    (calls,) = r.json["tables"]  # the partitions are not scanned again
    assert calls["table"] == "calls" and calls["rows_scanned"] == 20
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    assert cli("mask-db", db_url, dst).code == 0
    out = sa.create_engine(dst)
    with out.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["calls"]
        assert conn.execute(sa.text("select count(*) from calls")).scalar() == 20  # copied once
    out.dispose()


def test_progress_per_table(db_url, cli, fresh_env, monkeypatch):
    from gezi.cli import common
    from gezi.pii.db import scan_database

    pg = _seed(db_url)
    heard: list[tuple[str, int, int]] = []
    result = scan_database(db_url, progress=lambda *call: heard.append(call))
    names = [".".join(filter(None, (t["schema"], t["table"]))) for t in result["tables"]]
    assert heard == [(name, i, len(names)) for i, name in enumerate(names)]
    assert len(heard) == (3 if pg else 1)
    monkeypatch.setattr(common.err_console, "_force_terminal", True)  # the bar is drawn on a terminal only
    r = cli("pii", "scan-db", db_url, "--json")
    assert r.code == 0, r.err
    assert r.json["summary"]["tables"] == len(names) and "Traceback" not in r.err
