"""`gezi inventory rescan` walks the directories added with `add-scan --per-file` again: a file
holding personal data that the inventory does not list gets an entry and a finding (`new_files`
in the JSON), the directory's `--exclude` globs still leave files out, and files already listed
are scanned once. A file given by name or a directory entry never gains sibling entries. On
SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from gezi.core.db import session_scope
from gezi.core.settings import get_settings
from gezi.pii.inventory_models import PdScanDir

from .test_inventory import CUSTOMERS, NID, _findings, _org

OTHER_NID = "F131104093"


def _names(entries: list[dict]) -> list[str]:
    return sorted(e["name"] for e in entries)


def test_rescan_creates_flagged_entries_for_new_files_and_honours_the_globs(initialized, cli,
                                                                           tmp_path):
    _org(cli)
    folder = tmp_path / "exports"
    (folder / "archive").mkdir(parents=True)
    (folder / "members.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "readme.txt").write_text("沒有個資的說明文件\n", encoding="utf-8")
    r = cli("inventory", "add-scan", folder, "--per-file", "--exclude", "*.bak",
            "--exclude", "archive", "--json")
    assert r.code == 0, r.err
    assert _names(r.json["entries"]) == ["members.csv"]

    # Since then: a new export, a backup and an archived file (both excluded), a new file
    # without personal data, and the README now holding an ID number.
    (folder / "new-members.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "members.bak").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "archive" / "2019.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "todo.txt").write_text("下週整理會議室\n", encoding="utf-8")
    (folder / "readme.txt").write_text(f"測試帳號身分證 {OTHER_NID}\n", encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert NID not in r.out and OTHER_NID not in r.out
    assert _names(doc["entries"]) == ["members.csv", "new-members.csv", "readme.txt"]
    assert [e["location"] for e in doc["entries"]].count(str(folder / "members.csv")) == 1
    new = {e["name"]: e for e in doc["new_files"]}
    assert sorted(new) == ["new-members.csv", "readme.txt"]
    assert all(e["created"] and e["flag"]["severity"] == "high" for e in new.values())
    assert "清冊未登錄" in new["new-members.csv"]["flag"]["title"]
    assert new["new-members.csv"]["counts"]["TW_NATIONAL_ID"] == 2
    old = next(e for e in doc["entries"] if e["name"] == "members.csv")
    assert not old["created"] and old["flag"] is None
    findings = _findings()
    assert sorted(f.detail["location"] for f in findings) == sorted(
        str(folder / n) for n in ("new-members.csv", "readme.txt"))
    assert {f.detail["new_file_in"] for f in findings} == {str(folder)}
    assert not any(NID in str(f.detail) or OTHER_NID in str(f.detail) for f in findings)
    # The new entry lists what was found, like any new entry: a person confirms or changes it.
    shown = cli("inventory", "show", new["readme.txt"]["id"], "--json").json
    assert [c["code"] for c in shown["categories"]] == ["C003"]

    # Nothing new since: no entry is created, no finding added or repeated.
    r = cli("inventory", "rescan", "--json")
    assert r.json["new_files"] == [] and not any(e["created"] for e in r.json["entries"])
    assert [f.occurrences for f in _findings()] == [1, 1]

    # A listed file that no longer holds personal data is updated by the walk, not re-created.
    (folder / "members.csv").write_text("已刪除\n", encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    members = next(e for e in r.json["entries"] if e["name"] == "members.csv")
    assert members["counts"] == {} and not members["created"]


def test_human_output_names_the_new_file(initialized, cli, tmp_path):
    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, "--per-file").code == 0
    (folder / "b.csv").write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "rescan")
    assert r.code == 0, r.err
    assert "new file with personal data" in r.err and str(folder / "b.csv") in r.err
    assert NID not in r.out + r.err


def test_files_beside_a_file_entry_or_in_a_directory_entry_get_no_entry(initialized, cli,
                                                                        tmp_path):
    _org(cli)
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "members.csv").write_text(CUSTOMERS, encoding="utf-8")
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", loose / "members.csv", "--json").code == 0
    assert cli("inventory", "add-scan", whole, "--json").code == 0  # one entry, the directory
    (loose / "sibling.csv").write_text(CUSTOMERS, encoding="utf-8")
    (whole / "b.csv").write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert r.json["new_files"] == [] and _names(r.json["entries"]) == ["members.csv", "whole"]
    directory = next(e for e in r.json["entries"] if e["name"] == "whole")
    assert directory["counts"]["TW_NATIONAL_ID"] == 4  # the new file counts in the directory
    assert _findings() == []
    with session_scope(get_settings()) as s:
        assert s.scalars(sa.select(PdScanDir)).all() == []


def test_a_per_file_directory_that_is_gone_is_reported_missing(initialized, cli, tmp_path):
    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, "--per-file", "--json").code == 0
    (folder / "a.csv").unlink()
    folder.rmdir()
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert sorted(r.json["missing"]) == sorted([str(folder), str(folder / "a.csv")])
    assert r.json["entries"] == [] and r.json["new_files"] == []


def test_a_later_per_file_scan_replaces_the_directory_globs(initialized, cli, tmp_path):
    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, "--per-file", "--exclude", "*.bak").code == 0
    assert cli("inventory", "add-scan", folder, "--per-file").code == 0  # now nothing left out
    (folder / "b.bak").write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert _names(r.json["new_files"]) == ["b.bak"]
    with session_scope(get_settings()) as s:
        (row,) = s.scalars(sa.select(PdScanDir)).all()
        assert (row.location, row.exclude) == (str(folder), [])


def test_register_from_before_per_file_directories_is_upgraded(initialized, cli, tmp_path):
    """A register at migration 0005 (no pd_scan_dirs) gets the table on `gezi init`; its
    per-file entries are re-scanned as before, and a new per-file scan records its directory."""
    from gezi.core.db import init_db

    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    engine = sa.create_engine(get_settings().db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE pd_scan_dirs"))
        conn.execute(sa.text("ALTER TABLE pd_files DROP COLUMN columns"))  # and what 0009 added
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0005_inventory_exclude' "
                             "WHERE version_num = '0009_inventory_db_columns'"))
    engine.dispose()
    assert init_db(get_settings()) == "upgraded"
    (folder / "b.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, "--per-file", "--json").code == 0
    (folder / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert _names(r.json["new_files"]) == ["c.csv"]
