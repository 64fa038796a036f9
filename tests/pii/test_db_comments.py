"""scan-db and mask-db read column and table comments as hints next to the column name: an
abbreviated column (cust_nm, c02) whose comment says 客戶姓名 or 聯絡電話 is classified by it.
SQLite has no comments: the same table is then classified by names and values alone."""

from __future__ import annotations

import sqlalchemy as sa

# 花美玲… have surnames outside the surname list: found only where a column says 姓名.
PEOPLE = [(1, "花美玲", "A123456789"), (2, "邰文華", "B234567894"), (3, "麻志明", "F131104093"),
          (4, "亓官明", "A800000014")]


def _seed(url: str) -> bool:
    """The table, with comments where the database keeps them; True when it does."""
    engine = sa.create_engine(url)
    commented = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(sa.text("create table cust (id integer primary key, cust_nm varchar(20), "
                             "idn varchar(10), c02 varchar(20), c03 varchar(40))"))
        conn.execute(sa.text("insert into cust (id, cust_nm, idn) values (:i, :n, :p)"),
                     [{"i": i, "n": n, "p": p} for i, n, p in PEOPLE])
        if commented:
            for column, comment in (("cust_nm", "客戶姓名"), ("idn", "身分證字號"), ("c02", "聯絡電話"),
                                    ("c03", "聯絡人王小明的備註")):
                conn.execute(sa.text(f"comment on column cust.{column} is '{comment}'"))
            conn.execute(sa.text("comment on table cust is '會員主檔'"))
    engine.dispose()
    return commented


def test_comments_are_hints(db_url, cli, fresh_env):
    commented = _seed(db_url)
    r = cli("pii", "scan-db", db_url, "--json")
    assert r.code == 0, r.err
    (table,) = r.json["tables"]
    cols = {c["column"]: c for c in table["columns"]}
    if commented:
        assert table["comment"] == "會員主檔"
        assert cols["cust_nm"]["comment"] == "客戶姓名"
        assert cols["cust_nm"]["comment_hints"] == ["PERSON_NAME"] and cols["cust_nm"]["name_hints"] == []
        assert cols["cust_nm"]["classification"] == "PERSON_NAME"
        assert cols["cust_nm"]["basis"] == "values+comment"
        assert cols["cust_nm"]["entities"]["PERSON_NAME"]["share"] == 1.0
        assert cols["idn"]["basis"] == "values+comment"
        # No values, but the comment says what the column is for.
        assert (cols["c02"]["classification"], cols["c02"]["basis"]) == ("PHONE_NUMBER", "comment")
        assert cols["c03"]["comment"] == "聯絡人王○明的備註"  # a comment is no place for a name either
        assert "王小明" not in r.out
    else:
        assert table["comment"] is None and cols["cust_nm"]["comment"] is None
        assert cols["cust_nm"]["classification"] is None and cols["cust_nm"]["entities"] == {}
        assert cols["c02"]["classification"] is None
        assert cols["idn"]["basis"] == "values"
    assert cols["idn"]["classification"] == "TW_NATIONAL_ID"
    human = cli("pii", "scan-db", db_url)
    assert human.code == 0, human.err
    if commented:
        line = next(line for line in human.out.splitlines() if "cust_nm" in line)
        assert "public.cust.cust_nm" in line and "客戶姓名" in line and "PERSON_NAME" in line
        assert "花美玲" not in human.out


def test_mask_db_masks_a_column_its_comment_names(db_url, cli, fresh_env, tmp_path):
    commented = _seed(db_url)
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    r = cli("mask-db", db_url, dst, "--json")
    assert r.code == 0, r.err
    engine = sa.create_engine(dst)
    with engine.connect() as conn:
        names = conn.execute(sa.text("select cust_nm from cust order by id")).scalars().all()
    engine.dispose()
    if commented:
        assert r.json["tables"][0]["masked_columns"]["cust_nm"] == "PERSON_NAME"
        assert names == ["花○玲", "邰○華", "麻○明", "亓○明"]
    else:  # without the comment nothing says these are names
        assert names == [n for _, n, _ in PEOPLE]
