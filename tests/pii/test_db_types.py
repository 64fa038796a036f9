"""Column types of real schemas: JSON/JSONB read value by value under their keys, text arrays,
binary columns counted and skipped (copied as they are), wide text read up to a cap per cell,
phones kept in integer columns read as text — by scan-db and by mask-db."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gezi.pii import db as pii_db

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
