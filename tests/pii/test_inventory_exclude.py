"""`gezi inventory add-scan --exclude`: a directory's 個資檔案 leaves out what the globs match
(by name or by path below the directory, as `gezi pii scan --exclude`), records them, and
`gezi inventory rescan` applies them again; `show` and the exported 清冊 state them. On SQLite
and PostgreSQL, including a register created before the exclusions were stored."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from gezi.core.db import init_db
from gezi.core.settings import get_settings

from .test_inventory import CUSTOMERS, NID, _org

GLOBS = ["archive/2019/*", "*.bak", ".git"]


def _folder(tmp_path: Path) -> Path:
    """members.csv (2 IDs, 2 names, 2 phones) and archive/2020 (1 e-mail) are read; a 2019
    archive, a .bak and a .git folder, each holding personal data, are left out."""
    folder = tmp_path / "exports"
    for sub in ("archive/2019", "archive/2020", ".git"):
        (folder / sub).mkdir(parents=True)
    (folder / "members.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "archive/2020/new.txt").write_text("聯絡信箱 someone@example.com.tw\n", encoding="utf-8")
    (folder / "archive/2019/old.txt").write_text("身分證 F131104093\n", encoding="utf-8")
    (folder / "notes.bak").write_text("手機 0933-123-456\n", encoding="utf-8")
    (folder / ".git/config").write_text("email = dev@example.com.tw\n", encoding="utf-8")
    return folder


READ = {"TW_NATIONAL_ID": 2, "PERSON_NAME": 2, "PHONE_NUMBER": 2, "EMAIL_ADDRESS": 1}
EVERYTHING = {"TW_NATIONAL_ID": 3, "PERSON_NAME": 2, "PHONE_NUMBER": 3, "EMAIL_ADDRESS": 2}


def _counts(cli, entry_id: int) -> dict[str, int]:
    shown = cli("inventory", "show", entry_id, "--json").json
    return {e["entity"]: e["count"] for e in shown["entities"] if e["count"]}


def _exported_location(cli, out: Path) -> str:
    """存放位置 of the first 個資檔案 of the exported 清冊."""
    assert cli("inventory", "export", "--xlsx", out).code == 0
    ws = load_workbook(out)["個人資料檔案清冊"]
    return dict(zip([c.value for c in ws[4]], [c.value for c in ws[5]], strict=True))["存放位置"]


def test_add_scan_excludes_records_and_rescan_applies_them_again(initialized, cli, tmp_path):
    _org(cli)
    folder = _folder(tmp_path)
    args = [a for g in GLOBS for a in ("--exclude", g)]
    r = cli("inventory", "add-scan", folder, *args, "--exclude", "*.bak", "--exclude", "", "--json")
    assert r.code == 0, r.err
    (entry,) = r.json["entries"]
    assert entry["counts"] == READ and r.json["files_scanned"] == 2
    assert entry["exclude"] == GLOBS  # each glob once, empty ones dropped
    shown = cli("inventory", "show", entry["id"], "--json").json
    assert shown["exclude"] == GLOBS and shown["location_kind"] == "directory"
    human = cli("inventory", "show", entry["id"])
    assert "排除" in human.out and "archive/2019/*" in human.out and "*.bak" in human.out

    # Personal data grows in the excluded places and in a file that is read.
    (folder / "archive/2019/older.txt").write_text(f"身分證 {NID}\n", encoding="utf-8")
    (folder / "notes.bak").write_text("信用卡 4111111111111111\n", encoding="utf-8")
    (folder / "archive/2020/new.txt").write_text("信箱 a@example.com.tw、b@example.com.tw\n",
                                                 encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    (again,) = r.json["entries"]
    assert again["exclude"] == GLOBS and again["flag"] is None  # no card: C002 never read
    assert _counts(cli, entry["id"]) == {**READ, "EMAIL_ADDRESS": 2}
    assert cli("inventory", "show", entry["id"], "--json").json["exclude"] == GLOBS

    out = tmp_path / "清冊.xlsx"
    assert _exported_location(cli, out) == f"{folder.resolve()}\n排除（不掃描）：archive/2019/*、*.bak、.git"

    # A scan without --exclude reads everything; its entry records that, and so does rescan.
    r = cli("inventory", "add-scan", folder, "--json")
    assert r.json["entries"][0]["exclude"] == [] and not r.json["entries"][0]["created"]
    assert cli("inventory", "rescan", "--json").json["entries"][0]["exclude"] == []
    assert _counts(cli, entry["id"]) == {**EVERYTHING, "TW_NATIONAL_ID": 4, "PHONE_NUMBER": 2,
                                         "EMAIL_ADDRESS": 3, "CREDIT_CARD": 1}
    assert _exported_location(cli, out) == str(folder.resolve())


def test_per_file_entries_leave_out_excluded_files(initialized, cli, tmp_path):
    _org(cli)
    folder = _folder(tmp_path)
    r = cli("inventory", "add-scan", folder, "--per-file", "--exclude", "*.bak",
            "--exclude", "archive", "--json")
    assert r.code == 0, r.err
    assert sorted(e["name"] for e in r.json["entries"]) == ["config", "members.csv"]
    assert all(e["exclude"] == [] for e in r.json["entries"])  # a file is never left out


def test_a_folder_name_that_is_not_utf8_is_excluded_again_by_rescan(initialized, cli, tmp_path):
    _org(cli)
    folder = _folder(tmp_path)
    big5 = os.fsdecode("舊檔".encode("cp950"))  # a Big5 name from a Windows share
    (folder / big5).mkdir()
    (folder / big5 / "old.txt").write_text(f"身分證 {NID}\n", encoding="utf-8")
    r = cli("inventory", "add-scan", folder, "--exclude", big5, "--exclude", "*.bak",
            "--exclude", ".git", "--exclude", "archive", "--json")
    assert r.code == 0, r.err
    (entry,) = r.json["entries"]
    assert entry["exclude"] == ["\\xc2\\xc2\\xc0\\xc9", "*.bak", ".git", "archive"]
    assert entry["counts"] == {"TW_NATIONAL_ID": 2, "PERSON_NAME": 2, "PHONE_NUMBER": 2}
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert r.json["entries"][0]["exclude"] == entry["exclude"]
    assert _counts(cli, entry["id"]) == entry["counts"]


def test_register_from_before_exclusions_is_upgraded(initialized, cli, tmp_path):
    """A register whose pd_files has no exclude column (migration 0005 not applied) gets it
    on `gezi init`; its entries have no exclusions and are re-scanned as before."""
    _org(cli)
    folder = _folder(tmp_path)
    entry_id = cli("inventory", "add-scan", folder, "--json").json["entries"][0]["id"]
    engine = sa.create_engine(get_settings().db_url)
    with engine.begin() as conn:  # and without what later inventory migrations added
        conn.execute(sa.text("ALTER TABLE pd_files DROP COLUMN exclude"))
        conn.execute(sa.text("ALTER TABLE pd_files DROP COLUMN columns"))
        conn.execute(sa.text("DROP TABLE pd_scan_dirs"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0002_inventory' "
                             "WHERE version_num = '0009_inventory_db_columns'"))
    engine.dispose()
    assert init_db(get_settings()) == "upgraded"
    with sa.create_engine(get_settings().db_url).connect() as conn:
        assert {"exclude", "columns"} <= {c["name"] for c in sa.inspect(conn).get_columns("pd_files")}
    assert cli("inventory", "show", entry_id, "--json").json["exclude"] == []
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert _counts(cli, entry_id) == EVERYTHING
    r = cli("inventory", "add-scan", folder, "--exclude", ".git", "--json")
    assert r.json["entries"][0]["exclude"] == [".git"]
    assert _counts(cli, entry_id) == {**EVERYTHING, "EMAIL_ADDRESS": 1}
