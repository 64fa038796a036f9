"""`gezi inventory rescan` of an inventoried database: a table holding personal data that the
inventory does not list gets an entry and a finding (`new_tables` in the JSON), and so does a
column holding personal data added to a listed table — "personal data where the inventory says
there is none", as for new files. The scanned database is SQLite or PostgreSQL, like the
register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gezi.core.db import session_scope
from gezi.core.settings import get_settings
from gezi.pii.inventory_models import PdFile
from tests.conftest import _pg_database

from .test_inventory import NID, _findings, _org

OTHER_NID = "F131104093"
PHONE = "0912345678"


@pytest.fixture
def shop_url(db_url, tmp_path) -> Iterator[str]:
    """The database to inventory, of the register's kind (a second database on PostgreSQL)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        yield from _pg_database()


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def _customers(url: str) -> None:
    _sql(url, "CREATE TABLE customers (id INTEGER PRIMARY KEY, national_id TEXT)",
         f"INSERT INTO customers VALUES (1, '{NID}'), (2, '{OTHER_NID}')",
         "CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT)",
         "INSERT INTO products VALUES (1, '保溫杯')")


def test_rescan_flags_new_tables_and_new_columns_holding_personal_data(initialized, cli, shop_url):
    _org(cli)
    _customers(shop_url)
    r = cli("inventory", "add-db", shop_url, "--json")
    assert r.code == 0, r.err
    assert [e["name"] for e in r.json["entries"]] == ["customers"]
    assert not r.json["entries"][0]["flag"]

    # Since then: a new table of orders with buyers' e-mails, a mobile column added to the
    # customers, and a new table without personal data.
    _sql(shop_url, "CREATE TABLE orders (id INTEGER PRIMARY KEY, buyer_email TEXT, total INTEGER)",
         "INSERT INTO orders VALUES (1, 'wang@example.com.tw', 500), (2, 'chen@example.com', 80)",
         "ALTER TABLE customers ADD COLUMN mobile TEXT",
         f"UPDATE customers SET mobile = '{PHONE}'",
         "CREATE TABLE audit_events (id INTEGER PRIMARY KEY, kind TEXT)",
         "INSERT INTO audit_events VALUES (1, 'login')")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert "wang@example.com.tw" not in r.out and PHONE not in r.out and NID not in r.out
    assert sorted(e["name"] for e in doc["entries"]) == ["customers", "orders"]
    assert doc["new_files"] == []
    (table,) = doc["new_tables"]
    assert table["name"] == "orders" and table["created"] and table["location_kind"] == "db_table"
    assert table["flag"]["severity"] == "high" and "清冊未登錄之資料表" in table["flag"]["title"]
    customers = next(e for e in doc["entries"] if e["name"] == "customers")
    assert not customers["created"] and customers["flag"]["severity"] == "high"
    assert "mobile" in customers["flag"]["title"] and "national_id" not in customers["flag"]["title"]

    # The customers' mobile numbers are also a category (C001) the entry does not declare.
    findings = {(f.detail["location"].rsplit("#", 1)[1], f.severity): f for f in _findings()}
    assert sorted(findings) == [("customers", "high"), ("customers", "medium"), ("orders", "high")]
    orders = findings[("orders", "high")]
    assert orders.detail["new_table_in"] == orders.detail["location"].rsplit("#", 1)[0]
    assert orders.detail["new_file_in"] is None
    assert findings[("customers", "high")].detail["new_columns"] == ["mobile"]
    assert findings[("customers", "medium")].detail["undeclared_categories"] == ["C001"]
    assert not any(PHONE in str(f.detail) or NID in str(f.detail) for f in findings.values())
    shown = cli("inventory", "show", table["id"], "--json").json
    assert [c["code"] for c in shown["categories"]] == ["C001"]  # as found, like any new entry

    # Nothing new since: no entry, no finding created or repeated.
    r = cli("inventory", "rescan", "--json")
    assert r.json["new_tables"] == [] and not any(e["created"] for e in r.json["entries"])
    flags = [e["flag"] for e in r.json["entries"] if e["flag"]]
    assert [f["severity"] for f in flags] == ["medium"]  # C001 still undeclared: repeated
    assert [f.occurrences for f in _findings()] == [1, 2, 1]


def test_human_rescan_names_the_new_table(initialized, cli, shop_url):
    _org(cli)
    _customers(shop_url)
    assert cli("inventory", "add-db", shop_url).code == 0
    _sql(shop_url, "CREATE TABLE members (id INTEGER PRIMARY KEY, national_id TEXT)",
         f"INSERT INTO members VALUES (1, '{NID}')")
    r = cli("inventory", "rescan")
    assert r.code == 0, r.err
    assert "新資料表含個資" in r.err and "#members" in r.err
    assert NID not in r.out + r.err


def test_entries_without_recorded_columns_take_the_rescan_as_their_baseline(initialized, cli,
                                                                            shop_url):
    """An entry written before the columns were recorded (migration 0009) cannot tell which
    columns are new: its first re-scan records them without a finding; the next one compares.
    A scan limited with --entities records none (it sees fewer columns)."""
    _org(cli)
    _customers(shop_url)
    assert cli("inventory", "add-db", shop_url, "--entities", "TW_NATIONAL_ID").code == 0
    with session_scope(get_settings()) as s:
        assert s.scalar(sa.select(PdFile.columns)) is None
    _sql(shop_url, "ALTER TABLE customers ADD COLUMN spouse_id TEXT",
         f"UPDATE customers SET spouse_id = '{NID}'")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0 and not any(e["flag"] for e in r.json["entries"])
    with session_scope(get_settings()) as s:
        assert s.scalar(sa.select(PdFile.columns)) == ["national_id", "spouse_id"]
    _sql(shop_url, "ALTER TABLE customers ADD COLUMN email TEXT",
         "UPDATE customers SET email = 'lin@example.com'")
    r = cli("inventory", "rescan", "--json")
    (entry,) = r.json["entries"]
    assert entry["flag"]["severity"] == "high"
    assert "email" in entry["flag"]["title"] and "spouse_id" not in entry["flag"]["title"]


def test_a_new_column_named_after_a_person_is_masked_in_the_finding(initialized, cli, shop_url):
    _org(cli)
    _customers(shop_url)
    assert cli("inventory", "add-db", shop_url).code == 0
    _sql(shop_url, 'ALTER TABLE customers ADD COLUMN "王小明" TEXT',
         f"UPDATE customers SET \"王小明\" = '{NID}'")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    (entry,) = r.json["entries"]
    assert "王○明" in entry["flag"]["title"] and "王小明" not in r.out
    (finding,) = _findings()
    assert finding.detail["new_columns"] == ["王○明"] and "王小明" not in finding.fingerprint
