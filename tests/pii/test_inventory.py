"""The personal-data inventory (個資檔案清冊) on SQLite and PostgreSQL, through the real CLI."""

from __future__ import annotations

import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gezi.compliance.models import Finding
from gezi.core.db import session_scope
from gezi.core.settings import get_settings
from gezi.pii import inventory as inv
from gezi.pii.registry import get_registry

NID = "A123456789"
CARD = "4111111111111111"
CUSTOMERS = ("姓名,身分證字號,手機\n"
             f"王小明,{NID},0912-345-678\n"
             "陳怡君,B287654335,0933123456\n")


def _org(cli) -> None:
    r = cli("org", "add", "--name", "測試商店股份有限公司", "--ubn", "04595252",
            "--industry", "ecommerce", "--json")
    assert r.code == 0, r.err


def _findings() -> list[Finding]:
    with session_scope(get_settings()) as s:
        return list(s.scalars(sa.select(Finding).where(Finding.source == "pii")
                              .order_by(Finding.id)))


def test_entity_categories_cover_every_recognizer_and_exist_in_the_moj_list():
    mapping = inv.entity_categories()  # raises if a code is not in moj-pd-categories
    assert set(mapping) == {r.entity for r in get_registry().recognizers}
    assert mapping["TW_NATIONAL_ID"] == "C003"
    assert {mapping[e] for e in ("PERSON_NAME", "PHONE_NUMBER", "TW_ADDRESS", "EMAIL_ADDRESS")} \
        == {"C001"}
    assert mapping["CREDIT_CARD"] == mapping["BANK_ACCOUNT"] == "C002"


def test_scan_creates_entry_and_rescan_flags_undeclared_category(initialized, cli, tmp_path):
    _org(cli)
    data = tmp_path / "customers.csv"
    data.write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "add-scan", data, "--json")
    assert r.code == 0, r.err
    assert NID not in r.out and "0912-345-678" not in r.out
    entry = r.json["entries"][0]
    assert entry["created"] and entry["flag"] is None
    assert entry["counts"]["TW_NATIONAL_ID"] == 2 and entry["records"] == 2

    shown = cli("inventory", "show", entry["id"], "--json").json
    assert [c["code"] for c in shown["categories"]] == ["C001", "C003"]
    assert shown["location_kind"] == "file" and shown["location"] == str(data.resolve())
    samples = {e["entity"]: e["samples"] for e in shown["entities"]}
    assert samples["TW_NATIONAL_ID"] and NID not in str(samples)
    assert shown["first_seen"] and shown["undeclared_categories"] == []
    assert not _findings()

    # A credit card column appears: C002 is not in the register → one finding, deduplicated.
    data.write_text(CUSTOMERS.replace("手機\n", "手機,信用卡號\n", 1)
                    .replace("0912-345-678\n", f"0912-345-678,{CARD}\n"), encoding="utf-8")
    for _ in range(2):
        r = cli("inventory", "add-scan", data, "--json")
        assert r.code == 0, r.err
        assert CARD not in r.out
    flag = r.json["entries"][0]["flag"]
    assert flag["severity"] == "medium" and "C002" in flag["title"]
    (finding,) = _findings()
    assert finding.occurrences == 2 and finding.detail["undeclared_categories"] == ["C002"]
    assert CARD not in str(finding.detail) and NID not in str(finding.detail)
    shown = cli("inventory", "show", entry["id"], "--json").json
    assert shown["undeclared_categories"] == ["C002"]
    assert {e["entity"]: e["count"] for e in shown["entities"]}["CREDIT_CARD"] == 1

    # Neither the register tables nor the audit trail hold a raw value.
    with session_scope(get_settings()) as s:
        stored = [str(row) for t in ("pd_files", "pd_file_entities", "findings", "audit_log")
                  for row in s.execute(sa.text(f"SELECT * FROM {t}"))]
    assert stored and not any(NID in row or CARD in row for row in stored)

    # Declaring C002 resolves the mismatch: a further re-scan raises nothing new.
    assert cli("inventory", "set", entry["id"], "--category", "C001", "--category", "C002",
               "--category", "C003").code == 0
    r = cli("inventory", "add-scan", data, "--json")
    assert r.json["entries"][0]["flag"] is None
    assert len(_findings()) == 1


def test_location_declared_without_pii_is_flagged_when_pii_appears(initialized, cli, tmp_path):
    _org(cli)
    notes = tmp_path / "notes.txt"
    notes.write_text("今天的會議紀錄：討論新版網站的上線時程。\n", encoding="utf-8")
    r = cli("inventory", "add-scan", notes, "--json")
    entry = r.json["entries"][0]
    assert entry["counts"] == {}
    shown = cli("inventory", "show", entry["id"], "--json").json
    assert shown["categories"] == [] and shown["first_seen"] is None

    notes.write_text(f"客戶身分證字號{NID}，請回電。\n", encoding="utf-8")
    r = cli("inventory", "add-scan", notes, "--json")
    flag = r.json["entries"][0]["flag"]
    assert flag["severity"] == "high" and "無個資" in flag["title"]
    (finding,) = _findings()
    assert finding.detail["counts"] == {"TW_NATIONAL_ID": 1}
    shown = cli("inventory", "show", entry["id"], "--json").json
    assert shown["last_seen"] is not None and shown["last_scanned_at"] == shown["last_seen"]


def test_directory_is_one_entry_or_one_per_file(initialized, cli, tmp_path):
    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "b.txt").write_text("聯絡信箱 someone@example.com.tw\n", encoding="utf-8")
    (folder / "c.txt").write_text("沒有個資的說明文件\n", encoding="utf-8")
    r = cli("inventory", "add-scan", folder, "--json")
    (entry,) = r.json["entries"]
    assert entry["counts"]["EMAIL_ADDRESS"] == 1 and entry["counts"]["TW_NATIONAL_ID"] == 2
    assert cli("inventory", "show", entry["id"], "--json").json["location_kind"] == "directory"

    r = cli("inventory", "add-scan", folder, "--per-file", "--json")
    names = sorted(e["name"] for e in r.json["entries"])
    assert names == ["a.csv", "b.txt"]  # files without PII get no entry
    assert len(cli("inventory", "list", "--json").json["entries"]) == 3

    # Members of an archive belong to the archive: one entry for the .zip, re-scannable.
    with zipfile.ZipFile(folder / "d.zip", "w") as archive:
        archive.writestr("inner/members.csv", CUSTOMERS)
    r = cli("inventory", "add-scan", folder, "--per-file", "--json")
    zipped = [e for e in r.json["entries"] if e["name"] == "d.zip"]
    assert len(zipped) == 1 and zipped[0]["counts"]["TW_NATIONAL_ID"] == 2
    assert cli("inventory", "rescan", "--json").json["missing"] == []
    (folder / "d.zip").unlink()

    # A scan limited to phones updates phone counts only; the other counts stay.
    r = cli("inventory", "add-scan", folder / "a.csv", "--entities", "PHONE_NUMBER", "--json")
    entry = r.json["entries"][0]
    assert set(entry["counts"]) == {"PHONE_NUMBER"} and not entry["created"]
    counts = {e["entity"]: e["count"]
              for e in cli("inventory", "show", entry["id"], "--json").json["entities"]}
    assert counts["TW_NATIONAL_ID"] == 2 and counts["PHONE_NUMBER"] == 2
    assert cli("inventory", "add-scan", folder, "--entities", "NO_SUCH_ENTITY").code == 2


def test_set_validates_codes_and_export_writes_the_register(initialized, cli, tmp_path):
    _org(cli)
    data = tmp_path / "members.csv"
    data.write_text(CUSTOMERS, encoding="utf-8")
    entry_id = cli("inventory", "add-scan", data, "--json").json["entries"][0]["id"]

    bad = cli("inventory", "set", entry_id, "--purpose", "999")
    assert bad.code == 2 and "999" in bad.err and len(bad.err.strip().splitlines()) == 1
    assert cli("inventory", "set", entry_id, "--legal-basis", "19-1-9").code == 2
    assert cli("inventory", "set", entry_id, "--no-pii", "--category", "C001").code == 2
    assert cli("inventory", "show", 999, "--json").code == 2

    r = cli("inventory", "set", entry_id, "--name", "會員資料", "--owner-unit", "客服部",
            "--purpose", "040", "--purpose", "090", "--purpose", "會員活動通知",
            "--legal-basis", "19-1-2", "--legal-basis", "19-1-5",
            "--collection-method", "會員註冊表單", "--retention", "會員終止後五年",
            "--recipients", "本公司客服", "--cross-border", "無", "--vendor", "雲端主機商",
            "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert [p.get("code") or p.get("text") for p in doc["purposes"]] == ["040", "090", "會員活動通知"]
    assert [b["code"] for b in doc["legal_bases"]] == ["19-1-2", "19-1-5"]
    assert doc["missing"] == []

    out = tmp_path / "清冊.xlsx"
    r = cli("inventory", "export", "--xlsx", out, "--roc", "--json")
    assert r.code == 0, r.err
    assert r.json["entries"] == 1
    ws = load_workbook(out)["個人資料檔案清冊"]
    header = [c.value for c in ws[4]]
    for col in ("個資檔案名稱", "保有單位", "存放位置", "特定目的（代碼）", "個人資料類別（代碼）",
                "蒐集方式/法律依據", "筆數", "保存期限", "利用對象", "國際傳輸", "委外廠商", "最後盤點日"):
        assert col in header, col
    row = dict(zip(header, [c.value for c in ws[5]], strict=True))
    assert row["個資檔案名稱"] == "會員資料" and row["保有單位"] == "客服部"
    assert row["特定目的（代碼）"].startswith("040 行銷")
    assert "C003 政府資料中之辨識者" in row["個人資料類別（代碼）"]
    assert "會員註冊表單" in row["蒐集方式/法律依據"] and "第19條第1項第5款" in row["蒐集方式/法律依據"]
    assert row["筆數"] == 2 and row["國際傳輸"] == "無" and row["委外廠商"] == "雲端主機商"
    assert "國民身分證統一編號（C003）：2" in row["掃描偵測之個資種類（數量）"]
    assert ws.row_dimensions[5].height >= 30  # sized for its wrapped lines when printed
    assert "年" in row["最後盤點日"]  # ROC date, e.g. 115年11月23日
    cells = " ".join(str(c.value) for r_ in ws.iter_rows() for c in r_ if c.value is not None)
    assert NID not in cells and "0912-345-678" not in cells
    assert cli("inventory", "export", "--xlsx", tmp_path / "x.csv").code == 2

    r = cli("inventory", "export", "--xlsx", tmp_path / "kept.xlsx", "--evidence", "--json")
    assert r.code == 0, r.err
    listed = cli("evidence", "list", "--json").json
    kept = [e for e in listed["evidence"] if e["id"] == r.json["evidence_id"]]
    assert kept and kept[0]["sha256"] == r.json["sha256"] and kept[0]["kind"] == "other_record"


def test_workbook_records_count_rows_of_every_sheet(initialized, cli, tmp_path):
    from openpyxl import Workbook

    _org(cli)
    wb = Workbook()
    wb.active.title = "客戶"
    wb.active.append(["姓名", "身分證字號"])
    wb.active.append(["王小明", NID])
    staff = wb.create_sheet("員工")
    staff.append(["姓名", "手機"])
    staff.append(["陳怡君", "0912-345-678"])
    staff.append(["林淑芬", "0933-123-456"])
    wb.save(tmp_path / "book.xlsx")
    r = cli("inventory", "add-scan", tmp_path / "book.xlsx", "--json")
    assert r.code == 0, r.err
    assert r.json["entries"][0]["records"] == 3


def test_add_db_records_one_entry_per_table_with_pii(initialized, cli, tmp_path):
    _org(cli)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, "
                             "national_id TEXT, mobile TEXT)"))
        conn.execute(sa.text("CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT)"))
        for n, (name, nid) in enumerate([("王小明", NID), ("陳怡君", "B287654335"),
                                         ("林淑芬", "F131104093")]):
            conn.execute(sa.text("INSERT INTO customers VALUES (:i, :n, :d, :m)"),
                         {"i": n, "n": name, "d": nid, "m": f"091234567{n}"})
        conn.execute(sa.text("INSERT INTO products VALUES (1, '保溫杯')"))
    engine.dispose()
    r = cli("inventory", "add-db", url, "--sample", "2", "--json")
    assert r.code == 0, r.err
    (entry,) = r.json["entries"]
    assert entry["name"] == "customers" and entry["records"] == 3  # COUNT(*), not the sample
    assert entry["counts"]["TW_NATIONAL_ID"] == 2
    shown = cli("inventory", "show", entry["id"], "--json").json
    assert shown["location_kind"] == "db_table" and shown["location"].endswith("#customers")
    assert "C003" in [c["code"] for c in shown["categories"]]
    assert cli("inventory", "add-db", "nosuchdb://x").code == 2


def test_entity_category_codes_must_exist_in_the_moj_list(tmp_path, monkeypatch):
    from gezi.catalog import loader
    from gezi.catalog.loader import CatalogError

    bad = tmp_path / "pii" / "entity-categories.yaml"
    bad.parent.mkdir()
    bad.write_text(loader.data_file(inv.ENTITY_CATEGORIES_FILE).read_text(encoding="utf-8")
                   .replace("category: C011", "category: C999"), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(tmp_path))  # a user's replacement data file
    loader.clear_cache()
    try:
        with pytest.raises(CatalogError, match="C999"):
            inv.entity_categories()
    finally:
        monkeypatch.delenv("GEZI_CATALOG_DIR")
        loader.clear_cache()


def test_rescan_updates_every_location_and_reports_what_is_gone(initialized, cli, tmp_path):
    _org(cli)
    members, notes, old = tmp_path / "members.csv", tmp_path / "notes.txt", tmp_path / "old.txt"
    members.write_text(CUSTOMERS, encoding="utf-8")
    notes.write_text("會議紀錄：沒有個資。\n", encoding="utf-8")
    old.write_text("舊檔 someone@example.com.tw\n", encoding="utf-8")
    assert cli("inventory", "add-scan", members, notes, old, "--json").code == 0
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, national_id TEXT)"))
        conn.execute(sa.text("INSERT INTO customers VALUES (1, :a), (2, :b)"),
                     {"a": NID, "b": "F131104093"})
    assert cli("inventory", "add-db", url, "--json").code == 0

    notes.write_text(f"會議紀錄：客戶身分證 {NID}\n", encoding="utf-8")
    old.unlink()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM customers WHERE id = 2"))
    engine.dispose()
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["missing"] == [str(old.resolve())] and doc["unreachable"] == []
    by_name = {e["name"]: e for e in doc["entries"]}
    assert set(by_name) == {"members.csv", "notes.txt", "customers"}
    assert not any(e["created"] for e in doc["entries"])
    assert by_name["notes.txt"]["flag"]["severity"] == "high"
    assert by_name["customers"]["records"] == 1 and by_name["customers"]["counts"] == {
        "TW_NATIONAL_ID": 1}
    assert NID not in r.out


def test_rescan_needs_the_full_url_of_a_database_with_a_password():
    from gezi.pii.inventory_models import PdFile

    stored = "postgresql+psycopg://app:***@db.internal/shop"
    entries = [PdFile(location_kind="db_table", location=f"{stored}#customers"),
               PdFile(location_kind="db_table", location=f"{stored}#orders")]
    plan = inv.plan_rescan(entries)
    assert plan.unreachable == [stored] and plan.databases == {}
    full = "postgresql+psycopg://app:s3cret@db.internal/shop"
    plan = inv.plan_rescan(entries, [full])
    assert plan.databases == {full: stored} and plan.unreachable == []


def test_manual_entry_for_paper_files_is_exported_and_left_alone_by_rescan(initialized, cli,
                                                                         tmp_path):
    _org(cli)
    r = cli("inventory", "add", "--name", "紙本會員申請書", "--location", "總公司二樓檔案櫃", "--json")
    assert r.code == 0, r.err
    entry_id = r.json["id"]
    assert r.json["location_kind"] == "manual" and r.json["categories"] == []
    assert cli("inventory", "add", "--name", "重複", "--location", "總公司二樓檔案櫃").code == 2
    assert cli("inventory", "set", entry_id, "--category", "C001", "--category", "C003",
               "--purpose", "090", "--retention", "五年").code == 0
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0 and r.json["entries"] == [] and r.json["missing"] == []
    out = tmp_path / "清冊.xlsx"
    assert cli("inventory", "export", "--xlsx", out).code == 0
    ws = load_workbook(out)["個人資料檔案清冊"]
    header = [c.value for c in ws[4]]
    row = dict(zip(header, [c.value for c in ws[5]], strict=True))
    assert row["存放位置"] == "總公司二樓檔案櫃" and row["位置類型"].startswith("人工登錄")
    assert "C003" in row["個人資料類別（代碼）"]
