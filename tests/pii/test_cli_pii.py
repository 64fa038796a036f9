"""`gezi pii scan`, `gezi pii scan-db`, `gezi mask`, `gezi mask-db` through the real entry point."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from gezi.core.twid import national_id_is_valid

CHAT = "客戶王小明說他的身分證是Ａ１２３４５６７８９\n電話 0912-345-678\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "chat.txt").write_text(CHAT, encoding="utf-8")
    (tmp_path / "c.csv").write_text("姓名,統一編號\n陳怡君,04595252\n", encoding="utf-8")
    return tmp_path


def test_scan_json_document_without_init(fresh_env, cli, files):
    r = cli("pii", "scan", files, "--json", "--workers", "1")
    assert r.code == 0, r.err
    doc = r.json
    assert set(doc) == {"summary", "findings"}
    assert doc["summary"]["files_scanned"] == 2 and doc["summary"]["files_skipped"] == 0
    by = {(f["entity"], f["line"], f["row"], f["column"], f["start"], f["end"], f["value"])
          for f in doc["findings"]}
    assert by == {
        ("PERSON_NAME", 1, None, None, 2, 5, "王○明"),
        ("TW_NATIONAL_ID", 1, None, None, 12, 22, "Ａ１２****７８９"),
        ("PHONE_NUMBER", 2, None, None, 3, 15, "0912-***-678"),
        ("PERSON_NAME", None, 2, "姓名", 0, 3, "陳○君"),
        ("TW_UBN", None, 2, "統一編號", 0, 8, "04****52"),
    }
    assert set(doc["findings"][0]) == {"path", "line", "start", "end", "row", "column", "entity",
                                       "score", "value"}
    for raw in ("王小明", "Ａ１２３４５６７８９", "0912-345-678", "陳怡君", "04595252"):
        assert raw not in r.out
    assert not (files / "gezi-data").exists()


def test_scan_show_values_and_entities(fresh_env, cli, files):
    r = cli("pii", "scan", files / "chat.txt", "--json", "--show-values",
            "--entities", "tw_national_id,PHONE_NUMBER")
    assert r.code == 0, r.err
    assert [(f["entity"], f["value"]) for f in r.json["findings"]] == [
        ("TW_NATIONAL_ID", "Ａ１２３４５６７８９"), ("PHONE_NUMBER", "0912-345-678")]


def test_scan_human_output_is_masked(fresh_env, cli, files):
    r = cli("pii", "scan", files, "--workers", "2")
    assert r.code == 0, r.err
    assert "王○明" in r.out and "王小明" not in r.out
    assert "略過 0" in r.out


@pytest.mark.parametrize("args", [
    ("pii", "scan", "does-not-exist.txt"),
    ("pii", "scan", ".", "--entities", "NOT_AN_ENTITY"),
    ("pii", "scan-db", "nosuchdialect://x"),
    ("mask", "a.csv", "b.csv", "--method", "shuffle"),
    ("mask", "missing.csv", "b.csv"),
])
def test_bad_input_exits_2_with_one_line(fresh_env, cli, args):
    r = cli(*args)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_mask_cli_pseudonym_with_key_file(fresh_env, cli, files, monkeypatch):
    monkeypatch.delenv("GEZI_MASK_KEY", raising=False)
    r = cli("mask", files / "chat.txt", files / "out.txt", "--method", "pseudonym")
    assert r.code == 2 and "key" in r.err
    key = files / "mask.key"
    key.write_bytes(b"a-secret-key-of-32-bytes-0123456")
    r = cli("mask", files / "chat.txt", files / "out.txt", "--method", "pseudonym",
            "--key-file", key, "--format-preserving", "--json")
    assert r.code == 0, r.err
    assert r.json["by_entity"] == {"PERSON_NAME": 1, "PHONE_NUMBER": 1, "TW_NATIONAL_ID": 1}
    out = (files / "out.txt").read_text(encoding="utf-8")
    assert "王小明" not in out and "0912-345-678" not in out
    pid = out.splitlines()[0][12:22]
    assert national_id_is_valid(pid)
    assert (files / "chat.txt").read_text(encoding="utf-8") == CHAT
    again = cli("mask", files / "chat.txt", files / "out.txt", "--json")
    assert again.code == 2  # exists without --force


def _seed(url: str) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    customers = sa.Table(
        "customers", meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(40)),
        sa.Column("national_id", sa.String(12)),
        sa.Column("mobile", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("amount", sa.Integer),
    )
    orders = sa.Table(
        "orders", meta,
        sa.Column("order_no", sa.String(20), primary_key=True),
        sa.Column("customer_national_id", sa.String(12)),
        sa.Column("shipping", sa.Text),
    )
    meta.create_all(engine)
    people = [("王小明", "A123456789", "0912345678"), ("陳怡君", "B234567894", "0922333444"),
              ("林淑芬", "F131104093", "02-2345-6789"), ("張志豪", "A800000014", "0933111222")]
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"id": i, "full_name": n, "national_id": pid, "mobile": m,
             "note": "VIP" if i % 2 else f"客戶{n}來電，手機{m}", "amount": 100 * i}
            for i, (n, pid, m) in enumerate(people, start=1)])
        conn.execute(orders.insert(), [
            {"order_no": f"SO2024{i:04d}", "customer_national_id": pid,
             "shipping": "台北市大安區忠孝東路四段100號5樓"}
            for i, (_n, pid, _m) in enumerate(people, start=1)])
    engine.dispose()


def test_scan_db_classifies_columns(db_url, cli, fresh_env):
    _seed(db_url)
    r = cli("pii", "scan-db", db_url, "--json", "--sample", "10")
    assert r.code == 0, r.err
    tables = {t["table"]: {c["column"]: c for c in t["columns"]} for t in r.json["tables"]}
    cust = tables["customers"]
    assert cust["full_name"]["classification"] == "PERSON_NAME"
    assert cust["national_id"]["classification"] == "TW_NATIONAL_ID"
    assert cust["national_id"]["entities"]["TW_NATIONAL_ID"]["share"] == 0.75  # 1 is an ARC
    assert cust["national_id"]["entities"]["TW_RESIDENT_CERT"]["share"] == 0.25
    assert cust["mobile"]["classification"] == "PHONE_NUMBER"
    assert cust["mobile"]["entities"]["PHONE_NUMBER"]["share"] == 1.0
    assert cust["note"]["classification"] is None  # free text: contains PII, masked in place
    assert cust["note"]["entities"]["PHONE_NUMBER"]["rows"] == 2
    assert cust["amount"]["classification"] is None and cust["id"]["classification"] is None
    assert tables["orders"]["shipping"]["classification"] == "TW_ADDRESS"
    assert tables["orders"]["order_no"]["classification"] is None
    assert r.json["summary"]["pii_columns"] == 5
    assert "王小明" not in r.out


def test_scan_db_sample_limits_rows(db_url, fresh_env):
    from gezi.pii.scan import scan_database

    _seed(db_url)
    result = scan_database(db_url, sample=2)
    assert {t["table"]: t["rows_scanned"] for t in result["tables"]} == {"customers": 2, "orders": 2}
    full = scan_database(db_url, full=True)
    assert {t["table"]: t["rows_scanned"] for t in full["tables"]} == {"customers": 4, "orders": 4}


def test_mask_db_copies_without_original_values(db_url, cli, fresh_env, tmp_path):
    _seed(db_url)
    dst = f"sqlite:///{tmp_path / 'masked.db'}"
    key = tmp_path / "k"
    key.write_bytes(b"another-secret-key-0123456789")
    r = cli("mask-db", db_url, dst, "--method", "pseudonym", "--key-file", key,
            "--format-preserving", "--json")
    assert r.code == 0, r.err
    con = sqlite3.connect(tmp_path / "masked.db")
    cust = con.execute("select id, full_name, national_id, mobile, note, amount from customers "
                       "order by id").fetchall()
    orders = con.execute("select order_no, customer_national_id, shipping from orders "
                         "order by order_no").fetchall()
    dump = repr(cust) + repr(orders)
    for original in ("王小明", "陳怡君", "林淑芬", "張志豪", "A123456789", "B234567894",
                     "F131104093", "A800000014", "0912345678", "0922333444", "02-2345-6789",
                     "忠孝東路四段100號"):
        assert original not in dump
    assert [row[5] for row in cust] == [100, 200, 300, 400]  # non-PII kept
    assert cust[0][4] == "VIP"
    # Pseudonyms are deterministic across tables: the join on the national ID still works.
    joined = con.execute("select count(*) from orders o join customers c "
                         "on o.customer_national_id = c.national_id").fetchone()[0]
    assert joined == 4
    assert national_id_is_valid(cust[0][2])
    # The source is untouched.
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select national_id from customers where id = 1")).scalar() \
            == "A123456789"
    engine.dispose()
    again = cli("mask-db", db_url, dst)
    assert again.code == 2 and "already has tables" in again.err


def test_mask_db_primary_key_with_pii_needs_pseudonym(tmp_path, cli, fresh_env):
    src = f"sqlite:///{tmp_path / 'src.db'}"
    engine = sa.create_engine(src)
    with engine.begin() as conn:
        conn.execute(sa.text("create table people (national_id text primary key, note text)"))
        conn.execute(sa.text("insert into people values ('A123456789', '無')"))
    engine.dispose()
    dst = f"sqlite:///{tmp_path / 'dst.db'}"
    r = cli("mask-db", src, dst)
    assert r.code == 2 and "pseudonym" in r.err
    r = cli("mask-db", src, src)
    assert r.code == 2 and "same" in r.err


def test_scan_exclude_min_score_and_fail_on_findings(fresh_env, cli, tmp_path):
    root = tmp_path / "share"
    for rel, text in {"keep/a.txt": "身分證 A123456789", "node_modules/b.txt": "電話 0912-345-678",
                      "backup/2019/c.txt": "mail x@example.com", "d.bak": "王小明",
                      "keep/e.txt": "來源 203.0.113.5"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    r = cli("pii", "scan", root, "--exclude", "node_modules", "--exclude", "*.bak",
            "--exclude", "backup/2019/*", "--json", "--workers", "1")
    assert r.code == 0, r.err
    assert sorted(f["path"].rsplit("/", 1)[-1] for f in r.json["findings"]) == ["a.txt", "e.txt"]
    assert r.json["summary"]["files_scanned"] == 2
    # A national ID validated by its checksum (1.0) stays; an IP with a context word (0.9) goes.
    r = cli("pii", "scan", root / "keep", "--min-score", "0.95", "--json", "--workers", "1")
    assert [(f["entity"], f["score"]) for f in r.json["findings"]] == [("TW_NATIONAL_ID", 1.0)]
    assert r.json["summary"]["by_entity"] == {"TW_NATIONAL_ID": 1}
    # --fail-on-findings: exit 1 with the report still printed; 0 when nothing is found.
    r = cli("pii", "scan", root / "keep", "--fail-on-findings", "--workers", "1")
    assert r.code == 1 and "TW_NATIONAL_ID" in r.out
    r = cli("pii", "scan", root / "keep", "--fail-on-findings", "--json", "--workers", "1")
    assert r.code == 1 and r.json["summary"]["findings"] == 2
    (tmp_path / "clean.txt").write_text("沒有個資", encoding="utf-8")
    assert cli("pii", "scan", tmp_path / "clean.txt", "--fail-on-findings").code == 0


def test_scan_table_shows_brackets_in_names_as_written(fresh_env, cli, tmp_path, monkeypatch):
    """Rich reads [s!姓名] or [red] as a style tag and dropped it from the table: paths, column
    names and reasons are data and are shown as written."""
    (tmp_path / "[red]a.txt").write_text("電話 0912-345-678", encoding="utf-8")
    (tmp_path / "b.csv").write_text("s,[b]姓名\nx,王小明\n", encoding="utf-8")
    (tmp_path / "[bad].zip").write_bytes(b"PK\x03\x04 broken")
    monkeypatch.chdir(tmp_path)  # short relative paths: no line is wrapped in the table
    r = cli("pii", "scan", Path("."), "--workers", "1")
    assert r.code == 0, r.err
    assert "[red]a.txt" in r.out and "[[b]姓名]" in r.out and "[bad].zip" in r.out


@pytest.mark.parametrize(("src", "dst"), [("book.xlsx", "out.ods"), ("book.xlsx", "out.csv"),
                                          ("letter.docx", "out.odt"), ("letter.docx", "out")])
def test_a_document_is_masked_into_its_own_format_only(fresh_env, cli, tmp_path, src, dst):
    import docx
    import openpyxl

    if src.endswith(".xlsx"):
        wb = openpyxl.Workbook()
        wb.active.append(["姓名", "手機"])
        wb.active.append(["王小明", "0912345678"])
        wb.save(tmp_path / src)
    else:
        document = docx.Document()
        document.add_paragraph("收件人王小明，手機0912345678")
        document.save(tmp_path / src)
    r = cli("mask", tmp_path / src, tmp_path / dst)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "the output must be" in r.err
    assert not (tmp_path / dst).exists()


def test_a_column_named_after_a_person_is_masked_in_the_report(fresh_env, cli, tmp_path):
    (tmp_path / "sales.csv").write_text("月份,王小明,陳怡君\n1月,100,200\n", encoding="utf-8")
    r = cli("pii", "scan", tmp_path / "sales.csv", "--json")
    assert r.code == 0, r.err
    assert {f["column"] for f in r.json["findings"]} == {"王○明", "陳○君"}
    assert "王小明" not in r.out and "陳怡君" not in r.out
    human = cli("pii", "scan", tmp_path / "sales.csv")
    assert "王小明" not in human.out and "[王○明]" in human.out
    shown = cli("pii", "scan", tmp_path / "sales.csv", "--json", "--show-values")
    assert {f["column"] for f in shown.json["findings"]} == {"王小明", "陳怡君"}
