"""`gezi init`, refusing foreign databases, and the hash-chained audit trail."""

import sqlalchemy as sa

from gezi.core.db import engine_for


def test_init_is_idempotent(cli, gezi_env):
    first = cli("init", "--json")
    assert first.code == 0, first.err
    assert first.json["status"] == "created"
    again = cli("init", "--json")
    assert again.code == 0 and again.json["status"] == "upgraded"


def test_commands_before_init_give_one_line_error(cli, gezi_env):
    r = cli("org", "list")
    assert r.code == 2
    assert "gezi init" in r.err and len(r.err.strip().splitlines()) == 1


def test_refuses_database_that_is_not_gezis(cli, gezi_env, db_url):
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO customers VALUES (1, 'x')"))
    r = cli("init")
    assert r.code == 2
    assert "not a gezi database" in r.err
    with engine_for(db_url).connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert tables == {"customers"}  # nothing written
        assert conn.execute(sa.text("SELECT count(*) FROM customers")).scalar() == 1
    assert cli("org", "list").code == 2


def _add_org(cli):
    r = cli("org", "add", "--name", "測試公司", "--ubn", "04595252", "--industry", "ecommerce",
            "--capital", "20000000", "--json")
    assert r.code == 0, r.err
    return r.json


def test_audit_chain_records_and_verifies(cli, initialized):
    _add_org(cli)
    start = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json")
    assert start.code == 0, start.err
    ok = cli("audit", "verify", "--json")
    assert ok.code == 0 and ok.json["ok"] and ok.json["entries"] >= 2
    log = cli("audit", "log", "--json").json["entries"]
    assert {e["table"] for e in log} >= {"organizations", "assessments"}
    assert all(e["actor"] == "tester" for e in log)


def test_audit_detects_altered_entry(cli, initialized, db_url):
    _add_org(cli)
    cli("assess", "start", "--framework", "moda-pd-security-plan")
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor='mallory' WHERE seq=1"))
    r = cli("audit", "verify", "--json")
    assert r.code == 1
    assert r.json["first_bad"] == 1 and not r.json["ok"]


def test_audit_detects_removed_entries(cli, initialized, db_url):
    _add_org(cli)
    cli("assess", "start", "--framework", "moda-pd-security-plan")
    with engine_for(db_url).begin() as conn:
        n = conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar()
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq=:n"), {"n": n})  # the tip
    tip = cli("audit", "verify", "--json")
    assert tip.code == 1 and tip.json["first_bad"] == n
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq=1"))
    r = cli("audit", "verify")
    assert r.code == 1 and "entry 1" in r.err


def test_every_new_session_factory_is_audited(initialized):
    """Regression: many register sessions in one process (a server, the tests) all get audited."""
    import gc

    from gezi.core.db import session_scope
    from gezi.core.settings import get_settings
    from gezi.org.models import Organization

    settings = get_settings()
    for n in range(40):
        with session_scope(settings) as s:
            s.add(Organization(name=f"org{n}", ubn=f"{n:08d}", industry="other", settings={}))
        gc.collect()
    with session_scope(settings) as s:
        from gezi.core import audit

        result = audit.verify(s)
        assert result.ok and result.entries == 40


def test_audit_log_names_inserted_rows_and_changed_fields(cli, initialized):
    """Regression: inserts were logged with an empty row key; the log shows what changed and
    (only with --show-values) the before/after values, times in Asia/Taipei, ROC with --roc."""
    _add_org(cli)
    a = cli("assess", "start", "--framework", "moda-pd-security-plan", "--json").json["id"]
    log = cli("audit", "log", "--json").json["entries"]
    inserted = [e for e in log if e["action"] == "insert"]
    assert inserted and all(e["row"] for e in inserted)
    assert any(e["table"] == "assessments" and e["row"] == str(a) for e in inserted)
    assert all(e["ts"].endswith("+08:00") and "before" not in e for e in log)
    cli("assess", "close", str(a))
    upd = cli("audit", "log", "--json", "--show-values", "--table", "assessments").json["entries"][0]
    assert upd["action"] == "update" and "status" in upd["fields"]
    assert upd["before"]["status"] == "open" and upd["after"]["status"] == "closed"
    roc = cli("audit", "log", "--roc", "--limit", "1")
    assert roc.code == 0 and "年" in roc.out


def test_concurrent_writers_keep_the_chain_and_fail_cleanly(cli, initialized):
    """Two writers adding findings at once keep the chain valid; two creating the same row at
    once give the loser a one-line GeziError (was an IntegrityError traceback), nothing written."""
    import threading

    import pytest

    from gezi.compliance.findings import upsert_finding
    from gezi.core.db import session_scope
    from gezi.core.errors import GeziError
    from gezi.core.settings import get_settings

    org_id = _add_org(cli)["id"]
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for n in range(15):
                with session_scope(get_settings()) as s:
                    upsert_finding(s, org_id=org_id, source="test", fingerprint=f"{name}-{n}",
                                   title=f"{name} {n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ok = cli("audit", "verify", "--json").json
    assert ok["ok"] and ok["entries"] >= 31

    # The late writer checked "no such finding" before the early one committed it: its insert
    # hits the unique constraint and must end as a clean GeziError.
    from gezi.compliance.models import Finding

    def same() -> Finding:
        return Finding(org_id=org_id, source="test", fingerprint="same", title="t", severity="low",
                       detail={}, status="open", occurrences=1)

    with pytest.raises(GeziError, match="concurrent change"):
        with session_scope(get_settings()) as late:
            late.add(same())
            with session_scope(get_settings()) as early:
                early.add(same())
    assert cli("audit", "verify", "--json").json["entries"] == ok["entries"] + 1


def test_audit_detects_an_emptied_trail(cli, initialized, db_url):
    """Regression: deleting every entry and the chain head left `verify` reporting an intact,
    empty trail although the register holds data."""
    assert cli("audit", "verify", "--json").json["ok"]  # a fresh register: empty and intact
    _add_org(cli)
    head = cli("audit", "verify", "--json").json["head_hash"]
    assert head and len(head) == 64
    with engine_for(db_url).begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
        conn.execute(sa.text("DELETE FROM audit_head"))
    r = cli("audit", "verify", "--json")
    assert r.code == 1 and not r.json["ok"] and "empty" in r.json["reason"]


def test_init_with_a_file_as_data_dir_or_an_empty_variable(cli, tmp_path, monkeypatch):
    """Regression: GEZI_DATA_DIR naming a file gave a traceback; GEZI_DATA_DIR= (empty) made the
    current directory the data directory instead of ./gezi-data."""
    monkeypatch.delenv("GEZI_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    plain = tmp_path / "not-a-dir"
    plain.write_text("x", encoding="utf-8")
    monkeypatch.setenv("GEZI_DATA_DIR", str(plain))
    r = cli("init")
    assert r.code == 2 and "cannot create data directory" in r.err and "Traceback" not in r.err
    monkeypatch.setenv("GEZI_DATA_DIR", "")
    monkeypatch.setenv("GEZI_ACTOR", "")
    ok = cli("init", "--json")
    assert ok.code == 0, ok.err
    assert ok.json["data_dir"] == str(tmp_path / "gezi-data")
    assert not (tmp_path / "gezi.db").exists()
