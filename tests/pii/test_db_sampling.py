"""scan-db samples rows at random, not the first N (often test rows or the oldest records);
``--seed`` repeats a sample; the shares are those of the sampled rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gezi.pii import db as pii_db

ROWS, TEST_ROWS, SAMPLE = 2000, 500, 200


def _seed(url: str) -> None:
    """members: the first 500 rows are test rows without a phone, the other 1500 hold one."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table members (id integer primary key, c05 varchar(20))"))
        conn.execute(sa.text("insert into members values (:i, :v)"),
                     [{"i": i, "v": "TEST" if i <= TEST_ROWS else f"09{i:08d}"} for i in range(1, ROWS + 1)])
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("analyze members"))  # the row estimate the sampling reads
    engine.dispose()


def _sampled_ids(url: str, seed: int) -> tuple[list[int], str]:
    engine = sa.create_engine(url)
    table = sa.Table("members", sa.MetaData(), autoload_with=engine)
    cols = [pii_db._col(table.c.id)]
    with engine.connect() as conn:
        rows, method = pii_db._rows(conn, table, cols, SAMPLE, False, seed, False)
        ids = [row[0] for row in rows]
    engine.dispose()
    return ids, method


def _pg(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "postgresql"


def _phone(result: dict) -> dict:
    (table,) = result["tables"]
    col = next(c for c in table["columns"] if c["column"] == "c05")
    assert table["rows_scanned"] == col["non_null"] == SAMPLE
    phone = col["entities"]["PHONE_NUMBER"]
    assert phone["share"] == round(phone["rows"] / col["non_null"], 4)  # a share of the sample
    return phone


def test_random_sample_repeatable_with_seed(db_url, cli, fresh_env):
    _seed(db_url)
    ids, method = _sampled_ids(db_url, 7)
    assert method == ("random" if _pg(db_url) else "rowid_hash")
    assert len(set(ids)) == SAMPLE and max(ids) > SAMPLE * 2  # not the first rows
    assert sorted(ids) == sorted(_sampled_ids(db_url, 7)[0])
    assert sorted(ids) != sorted(_sampled_ids(db_url, 8)[0])
    r = cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE, "--seed", 7)
    assert r.code == 0, r.err
    assert r.json["seed"] == 7 and r.json["tables"][0]["sampling"] == method
    phone = _phone(r.json)
    assert 0.65 <= phone["share"] <= 0.85  # 0.75 of all rows; the first 200 alone would give 0
    again = cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE, "--seed", 7)
    assert again.json["tables"] == r.json["tables"]
    default = cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE)  # seed 0: repeatable too
    assert default.json["seed"] == 0
    assert default.json["tables"] == cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE).json["tables"]
    human = cli("pii", "scan-db", db_url, "--sample", SAMPLE, "--seed", 7).out
    assert f"每表隨機抽樣 {SAMPLE} 列（種子 7）" in human
    full = cli("pii", "scan-db", db_url, "--json", "--full")
    (table,) = full.json["tables"]
    assert table["sampling"] == "all" and table["rows_scanned"] == ROWS


def test_large_postgresql_table_sampled_by_pages(db_url, cli, fresh_env, monkeypatch):
    if not _pg(db_url):
        return  # TABLESAMPLE is PostgreSQL's
    monkeypatch.setattr(pii_db, "SYSTEM_SAMPLE_ROWS", 1000)  # 2000 rows count as a large table
    _seed(db_url)
    ids, method = _sampled_ids(db_url, 3)
    assert method == "tablesample_system"
    assert len(set(ids)) == len(ids) == SAMPLE  # 5 × 200 rows of pages picked, 200 kept
    assert ids == _sampled_ids(db_url, 3)[0]
    r = cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE, "--seed", 3)
    assert r.code == 0, r.err
    assert r.json["tables"][0]["sampling"] == "tablesample_system"
    assert 0 < _phone(r.json)["share"] < 1


def test_sqlite_table_without_rowid(tmp_path, cli, fresh_env):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table codes (k text primary key, phone text) without rowid"))
        conn.execute(sa.text("create table plain (id integer primary key, phone text)"))
        for name in ("codes", "plain"):
            conn.execute(sa.text(f"insert into {name} values (:k, :p)"),
                         [{"k": i, "p": f"09{i:08d}"} for i in range(10, 40)])
    engine.dispose()
    r = cli("pii", "scan-db", url, "--json", "--sample", 5, "--seed", 1)
    assert r.code == 0, r.err
    tables = {t["table"]: t for t in r.json["tables"]}
    assert tables["codes"]["sampling"] == "random" and tables["codes"]["rows_scanned"] == 5
    assert tables["plain"]["sampling"] == "rowid_hash" and tables["plain"]["rows_scanned"] == 5
    assert tables["codes"]["columns"][1]["classification"] == "PHONE_NUMBER"


def test_never_analyzed_and_partitioned_tables_sized_up(db_url, cli, fresh_env, monkeypatch):
    """After pg_restore nothing is analyzed (reltuples -1), and a partitioned table has no rows
    of its own: their rows are guessed from their partitions' size, so a large one is still
    sampled by pages."""
    if not _pg(db_url):
        pytest.skip("PostgreSQL's statistics")
    monkeypatch.setattr(pii_db, "SYSTEM_SAMPLE_ROWS", 100)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table calls (id integer, c05 varchar(20)) partition by range (id)"))
        conn.execute(sa.text("create table calls_a partition of calls for values from (0) to (1000)"))
        conn.execute(sa.text("create table calls_b partition of calls for values from (1000) to (3000)"))
        conn.execute(sa.text("insert into calls select i, '09' || lpad(i::text, 8, '0') "
                             "from generate_series(1, 2000) i"))
    engine.dispose()
    r = cli("pii", "scan-db", db_url, "--json", "--sample", SAMPLE)
    assert r.code == 0, r.err
    (table,) = r.json["tables"]
    assert (table["table"], table["sampling"], table["rows_scanned"]) == ("calls", "tablesample_system", SAMPLE)
