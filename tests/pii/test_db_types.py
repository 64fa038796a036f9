"""Column types of real schemas: JSON/JSONB read value by value under their keys, text arrays,
binary columns counted and skipped (copied as they are), wide text read up to a cap per cell,
phones kept in integer columns read as text — by scan-db and by mask-db."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gezi.pii import db as pii_db

from .test_db_mask_schemas import _pg_only

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
CAP = 60


def _seed(url: str) -> bool:
    """profiles on both databases, its text array on PostgreSQL only; True on PostgreSQL."""
    engine = sa.create_engine(url)
    pg = engine.dialect.name == "postgresql"
    meta = sa.MetaData()
    cols = [sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
            sa.Column("photo", sa.LargeBinary), sa.Column("bio", sa.Text), sa.Column("c09", sa.Integer)]
    if pg:
        cols.append(sa.Column("phones", postgresql.ARRAY(sa.Text)))
    profiles = sa.Table("profiles", meta, *cols)
    meta.create_all(engine)
    rows = []
    for i in range(4):
        row = {"id": i, "c09": 912345670 + i, "photo": PHOTO if i % 2 else None,
               # 花美玲's surname is outside the list: found only under the key 姓名.
               "data": {"姓名": "花美玲", "contact": {"phone": f"091234567{i}"},
                        "orders": [{"addr": "台北市大安區忠孝東路四段100號5樓"}], "vip": True},
               # the phone of row 0 stands past the cap of characters read per cell
               "bio": ("很" * CAP if i == 0 else "") + f"手機 093311122{i}"}
        if pg:
            row["phones"] = [f"092233344{i}", "無"]
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(profiles.insert(), rows)
    engine.dispose()
    return pg


def test_scan_db_column_types(db_url, cli, fresh_env, monkeypatch):
    monkeypatch.setattr(pii_db, "MAX_CELL_CHARS", CAP)
    pg = _seed(db_url)
    r = cli("pii", "scan-db", db_url, "--json")
    assert r.code == 0, r.err
    cols = {c["column"]: c for c in r.json["tables"][0]["columns"]}
    data = cols["data"]
    assert data["kind"] == "json" and data["classification"] is None  # a document is never one value
    assert {e: v["rows"] for e, v in data["entities"].items()} == {
        "PERSON_NAME": 4, "PHONE_NUMBER": 4, "TW_ADDRESS": 4}
    assert data["keys"] == {"addr": ["TW_ADDRESS"], "phone": ["PHONE_NUMBER"], "姓名": ["PERSON_NAME"]}
    assert cols["photo"]["binary_values_skipped"] == 2 and cols["photo"]["non_null"] == 0
    assert cols["photo"]["entities"] == {} and cols["photo"]["classification"] is None
    assert cols["bio"]["cells_truncated"] == 1
    assert cols["bio"]["entities"]["PHONE_NUMBER"]["rows"] == 3  # row 0's phone was not read
    mobile = cols["c09"]
    assert (mobile["classification"], mobile["entities"]["PHONE_NUMBER"]["share"]) == ("PHONE_NUMBER", 1.0)
    if pg:
        assert cols["phones"]["kind"] == "array" and cols["phones"]["entities"]["PHONE_NUMBER"]["rows"] == 4
        assert cols["phones"]["entities"]["PHONE_NUMBER"]["share"] == 1.0
    assert "0912345670" not in r.out and "花美玲" not in r.out
    human = cli("pii", "scan-db", db_url)
    assert "profiles.photo: 2 個值 values" in human.out and "二進位資料" in human.out
    assert f"1 格只讀前 {CAP}" in human.out


def test_mask_db_column_types(db_url, cli, fresh_env, tmp_path, monkeypatch):
    monkeypatch.setattr(pii_db, "MAX_CELL_CHARS", CAP)  # the copy still reads whole cells
    pg = _seed(db_url)
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    r = cli("mask-db", db_url, dst, "--json")
    assert r.code == 0, r.err
    (report,) = r.json["tables"]
    assert report["binary_columns_unscanned"] == ["photo"]
    assert report["masked_columns"] == {"c09": "PHONE_NUMBER"}
    out = sa.create_engine(dst)
    meta = sa.MetaData()
    profiles = sa.Table("profiles", meta, autoload_with=out)
    with out.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(sa.select(profiles).order_by(profiles.c.id))]
    out.dispose()
    first = rows[0]
    data = first["data"]
    assert data["vip"] is True and set(data) == {"姓名", "contact", "orders", "vip"}  # structure kept
    assert data["姓名"] == "花○玲" and data["contact"]["phone"] == "0912-***-670"
    assert "忠孝東路四段100號" not in data["orders"][0]["addr"]
    assert first["c09"] == "0912-***-670"
    assert "0933111220" not in first["bio"] and first["bio"].startswith("很" * CAP)  # past the cap too
    assert [row["photo"] for row in rows] == [None, PHOTO, None, PHOTO]
    if pg:
        phones = first["phones"]
        assert phones == ["0922-***-440", "無"]
    assert report["values_masked"]["data"] == 4 and report["values_masked"]["bio"] == 4


def test_types_sqlalchemy_does_not_know(db_url, cli, fresh_env, tmp_path):
    """A composite type, a domain, point, inet, interval, tsvector: no warnings, values read as
    the driver gives them; the composite's text is masked in place in the copy."""
    _pg_only(db_url)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create type contact as (name text, phone text)"))
        conn.execute(sa.text("create domain twid as varchar(10)"))
        conn.execute(sa.text("create table agents (id int primary key, c contact, nid twid, pt point, "
                             "iv interval, ip inet, words tsvector)"))
        conn.execute(sa.text("insert into agents values (:i, row('王小明', :p), :n, point(1, 2), '1 day', "
                             "'203.0.113.5', to_tsvector('x'))"),
                     [{"i": i, "p": f"091234567{i}", "n": n} for i, n in enumerate(["A123456789", "B234567894"])])
    engine.dispose()
    r = cli("pii", "scan-db", db_url, "--json")
    assert r.code == 0, r.err
    assert r.err == ""  # no "Did not recognize type" warnings
    cols = {c["column"]: c for c in r.json["tables"][0]["columns"]}
    assert cols["c"]["kind"] == "unknown" and cols["c"]["entities"]["PHONE_NUMBER"]["rows"] == 2
    assert cols["nid"]["kind"] == "text" and cols["nid"]["classification"] == "TW_NATIONAL_ID"
    assert cols["ip"]["classification"] == "IP_ADDRESS"
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    masked = cli("mask-db", db_url, dst, "--json")
    assert masked.code == 0, masked.err
    out = sa.create_engine(dst)
    with out.connect() as conn:
        dump = repr(conn.execute(sa.text("select * from agents")).fetchall())
    out.dispose()
    for raw in ("0912345670", "A123456789", "203.0.113.5"):
        assert raw not in dump
    assert "(1,2)" in dump and "(王○明,0912-***-670)" in dump  # a point as its text; the composite masked in place


def test_sqlite_values_that_do_not_fit_their_declared_type(tmp_path, cli, fresh_env):
    """SQLite keeps any value in any column, as apps write them: 2024/01/05 in a DATETIME, an
    ROC date in a DATE, text in a NUMERIC, JSON that does not parse. Scanned and copied as stored."""
    src = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(src)
    rows = [(1, "2024/01/05 10:00", "79.05.03", "abc", "yes", "{bad", "0912345678"),
            (2, "2024-01-05 10:00:00", "1990-05-03", 12.5, 1, '{"phone": "0922333444"}', "0922333444")]
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (id integer primary key, created datetime, born date, "
                             "amount numeric, flag boolean, data json, mobile text)"))
        conn.execute(sa.text("insert into t values (:a, :b, :c, :d, :e, :f, :g)"),
                     [dict(zip("abcdefg", row, strict=True)) for row in rows])
    engine.dispose()
    r = cli("pii", "scan-db", src, "--json")
    assert r.code == 0, r.err
    cols = {c["column"]: c for c in r.json["tables"][0]["columns"]}
    assert cols["mobile"]["classification"] == "PHONE_NUMBER"
    assert cols["data"]["entities"]["PHONE_NUMBER"]["rows"] == 1 and cols["data"]["non_null"] == 2
    dst = tmp_path / "masked.db"
    masked = cli("mask-db", src, f"sqlite:///{dst}")
    assert masked.code == 0, masked.err
    with sqlite3.connect(dst) as con:
        got = con.execute("select * from t order by id").fetchall()
    assert got == [(1, "2024/01/05 10:00", "79.05.03", "abc", "yes", "{bad", "0912-***-678"),
                   (2, "2024-01-05 10:00:00", "1990-05-03", 12.5, 1, '{"phone": "0922-***-444"}', "0922-***-444")]
