"""`gezi inventory forget-dir DIR`: a directory remembered by `add-scan --per-file` is no longer
walked by `rescan` for new files; its files' entries stay and are still re-scanned; the change
is on the audit trail; a directory never remembered is a one-line error. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from gezi.core.audit import AuditEntry
from gezi.core.db import session_scope
from gezi.core.settings import get_settings
from gezi.pii.inventory_models import PdScanDir

from .test_inventory import CUSTOMERS, NID, _org


def _remembered() -> list[str]:
    with session_scope(get_settings()) as s:
        return list(s.scalars(sa.select(PdScanDir.location)))


def test_forgotten_directory_is_no_longer_walked_and_its_entries_stay(initialized, cli, tmp_path):
    _org(cli)
    folder, other = tmp_path / "exports", tmp_path / "hr"
    folder.mkdir()
    other.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    (other / "staff.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, other, "--per-file", "--exclude", "*.bak").code == 0
    listed = cli("inventory", "list", "--json").json["scan_dirs"]
    assert [(d["location"], d["exclude"]) for d in listed] == [(str(folder), ["*.bak"]),
                                                              (str(other), ["*.bak"])]
    human = cli("inventory", "list")
    assert "Directories walked for new files" in human.out and str(folder) in human.out

    r = cli("inventory", "forget-dir", folder, "--json")
    assert r.code == 0, r.err
    assert r.json["forgotten"] == str(folder) and r.json["exclude"] == ["*.bak"]
    assert [e["location"] for e in r.json["entries_kept"]] == [str(folder / "a.csv")]
    assert _remembered() == [str(other)]

    (folder / "b.csv").write_text(CUSTOMERS, encoding="utf-8")
    (other / "new.csv").write_text(CUSTOMERS, encoding="utf-8")
    r = cli("inventory", "rescan", "--json")
    assert r.code == 0, r.err
    assert [e["name"] for e in r.json["new_files"]] == ["new.csv"]  # only the remembered one
    names = sorted(e["name"] for e in r.json["entries"])
    assert names == ["a.csv", "new.csv", "staff.csv"]  # a.csv still re-scanned as a file
    assert NID not in r.out

    with session_scope(get_settings()) as s:
        (entry,) = s.scalars(sa.select(AuditEntry).where(AuditEntry.table_name == "pd_scan_dirs",
                                                         AuditEntry.action == "delete")).all()
        assert entry.actor == "tester"
        assert str(folder) not in str(entry.before)  # the folder name: a commitment in the chain
    assert cli("audit", "verify").code == 0


def test_forgetting_a_directory_that_is_gone_or_never_remembered(initialized, cli, tmp_path,
                                                                 monkeypatch):
    _org(cli)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("inventory", "add-scan", folder, "--per-file").code == 0
    (folder / "a.csv").unlink()
    folder.rmdir()
    assert cli("inventory", "rescan", "--json").json["missing"] == [str(folder / "a.csv"), str(folder)]

    monkeypatch.chdir(tmp_path)  # a relative path, as add-scan takes it
    r = cli("inventory", "forget-dir", "exports")
    assert r.code == 0, r.err
    assert "已停止追蹤目錄" in r.out and str(folder) in r.out
    assert cli("inventory", "rescan", "--json").json["missing"] == [str(folder / "a.csv")]

    r = cli("inventory", "forget-dir", folder)  # already forgotten
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "未以 --per-file 登錄" in r.err and "Traceback" not in r.err
    r = cli("inventory", "forget-dir", tmp_path / "never")
    assert r.code == 2 and "gezi inventory list" in r.err
