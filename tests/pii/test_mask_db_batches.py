"""`mask_database` masks free-text columns a batch of rows at a time: every cell must come out
exactly as masking that cell on its own would make it, across batch boundaries, with line
breaks inside cells and with empty and NULL cells in between."""

from __future__ import annotations

import sqlalchemy as sa

from gezi.pii import db as pii_db
from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text

NOTES = [
    "客戶王小明來電，電話0912-345-678",
    "",
    None,
    "寄送地址：臺北市大安區忠孝東路四段100號5樓\n備註：身分證A123456789",
    "no personal data here",
    "Email wang.xiaoming@example.com.tw，生日 79.05.03",
    "統一編號 04595257 請開發票",
    "ip=203.0.113.5 登入失敗",
]


def test_free_text_cells_masked_as_one_by_one(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(pii_db, "BATCH_ROWS", 7)  # several batches, cut mid-pattern of NOTES
    engine = sa.create_engine(db_url)
    rows = [{"id": i, "note": NOTES[i % len(NOTES)]} for i in range(60)]
    with engine.begin() as conn:
        conn.execute(sa.text("create table tickets (id integer primary key, note text)"))
        conn.execute(sa.text("insert into tickets (id, note) values (:id, :note)"), rows)
    engine.dispose()
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    report = pii_db.mask_database(db_url, dst)
    out = sa.create_engine(dst)
    with out.connect() as conn:
        got = dict(conn.execute(sa.text("select id, note from tickets")).fetchall())
    out.dispose()
    expected = {}
    for row in rows:
        note = row["note"]
        hits = analyze_text(note, column="note") if note else []
        expected[row["id"]] = mask_text(note, hits, "partial", None, False) if hits else note
    assert got == expected
    assert got[3] != NOTES[3] and "A123456789" not in got[3] and "\n" in got[3]
    (table,) = report["tables"]
    assert table["rows"] == 60
    assert table["values_masked"]["note"] == sum(1 for v in expected.values() if v and v not in NOTES)
