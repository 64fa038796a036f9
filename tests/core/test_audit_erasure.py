"""Erasable personal values on the audit trail (PDPA Art 11), on SQLite and PostgreSQL: personal
columns are committed in the chain and kept aside, verify checks both, `gezi audit erase`
removes them and records the erasure, and tampering with either side is detected."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from gezi.core import audit
from gezi.core.db import engine_for, session_scope
from gezi.core.settings import get_settings
from gezi.core.timeutil import TAIPEI
from gezi.privacy.ops_models import DataSubjectRequest

UBN = "04595257"
REASON = "個資法第11條第3項 當事人請求刪除"


@pytest.fixture
def org_cli(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    return cli


def _new_request(cli, subject: str = "王小明", contact: str = "0912345678") -> str:
    received = (datetime.now(TAIPEI) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = cli("requests", "new", "--type", "delete", "--received", received, "--subject", subject,
            "--contact", contact, "--json")
    assert r.code == 0, r.err
    return str(r.json["id"])


def _entries(db_url: str, table: str, row: str | None = None) -> list:
    with engine_for(db_url).connect() as conn:
        q = sa.select(audit.AuditEntry.__table__).where(audit.AuditEntry.__table__.c.table_name == table)
        if row is not None:
            q = q.where(audit.AuditEntry.__table__.c.row_key == row)
        return list(conn.execute(q.order_by(audit.AuditEntry.__table__.c.seq)))


def _personal(db_url: str) -> list:
    with engine_for(db_url).connect() as conn:
        return list(conn.execute(sa.select(audit.AuditPersonal.__table__)))


def _erase(cli, *args: str):
    return cli("audit", "erase", *args, "--reason", REASON, "--yes", "--json")


def test_personal_values_are_committed_in_the_chain_and_kept_aside(org_cli, db_url):
    rid = _new_request(org_cli)
    org_cli("requests", "verify-identity", rid, "--method", "臨櫃核對身分證")
    trail = _entries(db_url, "privacy_requests", rid)
    chain_text = json.dumps([[e.before, e.after] for e in trail], ensure_ascii=False)
    assert "王○明" not in chain_text and "臨櫃核對身分證" not in chain_text
    inserted = trail[0].after
    assert audit.is_commitment(inserted["subject_masked"]) and audit.is_commitment(inserted["contact_digest"])
    # Non-personal columns stay in the chain as they were.
    assert inserted["request_type"] == "delete" and inserted["status"] == "open"
    assert inserted["identity_method"] is None  # an empty value is no personal data: not committed
    kept = {(p.seq, p.side, p.column_name): p for p in _personal(db_url)}
    assert kept[(trail[0].seq, "after", "subject_masked")].value == "王○明"
    assert len(kept[(trail[0].seq, "after", "subject_masked")].salt) == 32
    # An update commits both sides under one salt: an unchanged value shows as unchanged.
    upd = trail[1]
    assert upd.before["subject_masked"] == upd.after["subject_masked"]
    assert upd.before["identity_method"] is None and audit.is_commitment(upd.after["identity_method"])
    log = org_cli("audit", "log", "--json", "--table", "privacy_requests").json["entries"]
    assert log[0]["fields"] == ["identity_method", "identity_verified_at", "identity_verified_by"]
    assert "王○明" not in json.dumps(log, ensure_ascii=False)
    shown = org_cli("audit", "log", "--json", "--show-values", "--table", "privacy_requests").json["entries"]
    assert shown[-1]["after"]["subject_masked"] == "王○明" and shown[0]["after"]["identity_method"] == "臨櫃核對身分證"
    ok = org_cli("audit", "verify", "--json")
    assert ok.code == 0 and ok.json["ok"] and ok.json["personal_values"] == len(kept) and ok.json["erased_values"] == 0


def test_erase_a_request_removes_its_values_keeps_the_chain_and_records_the_erasure(org_cli, db_url, monkeypatch):
    from gezi.cli import common

    monkeypatch.setattr(common.console, "width", 200)  # no wrapping when COLUMNS=80 (as in CI)
    rid = _new_request(org_cli)
    other = _new_request(org_cli, subject="李大華", contact="0987654321")
    assert org_cli("optout", "add", "--phone", "0912-345-678", "--channel", "all").code == 0
    org_cli("requests", "verify-identity", rid, "--method", "臨櫃核對")
    closed = org_cli("requests", "close", rid, "--decision", "granted", "--json")
    assert closed.code == 0, closed.err
    assert closed.json["audit_erase"].startswith(f"gezi audit erase --request {rid} ")
    before = len(_personal(db_url))
    head = org_cli("audit", "verify", "--json").json["head_hash"]

    r = _erase(org_cli, "--request", rid)
    assert r.code == 0, r.err
    doc = r.json
    optout = str(_entries(db_url, "marketing_optouts")[0].row_key)
    assert doc["erased"] and {(t["table"], t["row"]) for t in doc["targets"]} == {
        ("privacy_requests", rid), ("marketing_optouts", optout)}  # same phone; 李大華 is not touched
    assert {"subject_masked", "contact_digest", "digest", "masked", "identity_method"} <= set(doc["columns"])
    assert doc["in_chain"] == []
    left = _personal(db_url)
    # Gone: the values erased; added: the erasure's own reason, kept aside like them.
    assert len(left) == before - doc["values"] + 1 and "王○明" not in json.dumps([p.value for p in left],
                                                                              ensure_ascii=False)
    assert all(p.seq not in doc["entries"] for p in left)
    assert any(p.value == "李○華" for p in left)

    # The erasure is an entry of its own: who, which rows/columns, the reason — no values.
    entry = _entries(db_url, audit.ERASE_TABLE)[-1]
    assert entry.seq == doc["erasure_entry"] and entry.action == "erase" and entry.actor == "tester"
    assert audit.is_commitment(entry.after["reason"]) and entry.after["entries"] == doc["entries"]
    assert [p.value for p in left if p.seq == entry.seq] == [REASON]
    text = json.dumps(entry.after, ensure_ascii=False)
    assert "○" not in text and "0912" not in text and "***" not in text

    v = org_cli("audit", "verify", "--json").json
    assert v["ok"] and v["erased_values"] == doc["values"] and v["head_hash"] != head
    shown = org_cli("audit", "log", "--json", "--show-values", "--table", "privacy_requests", "--limit", "100").json
    mine = [e for e in shown["entries"] if e["row"] == rid]
    assert all(e["after"]["subject_masked"] == audit.ERASED for e in mine)
    assert all("subject_masked" in e["erased"] for e in mine)
    assert next(e for e in shown["entries"] if e["row"] == other)["after"]["subject_masked"] == "李○華"
    table = org_cli("audit", "log", "--table", "privacy_requests")
    assert table.code == 0 and "已刪除 erased" in table.out

    again = _erase(org_cli, "--table", "privacy_requests", "--row", rid)
    assert again.code == 0 and again.json["erased"] is False and again.json["erasure_entry"] is None


def test_tampered_or_silently_deleted_values_and_tampered_entries_are_detected(org_cli, db_url):
    rid = _new_request(org_cli)
    seq = _entries(db_url, "privacy_requests", rid)[0].seq
    eng = engine_for(db_url)
    p = audit.AuditPersonal.__table__
    where = sa.and_(p.c.seq == seq, p.c.side == "after", p.c.column_name == "subject_masked")
    with eng.begin() as conn:
        conn.execute(p.update().where(where).values(value="李○華"))
    bad = org_cli("audit", "verify", "--json")
    assert bad.code == 1 and bad.json["first_bad"] == seq and "commitment" in bad.json["reason"]
    with eng.begin() as conn:
        conn.execute(p.update().where(where).values(value="王○明"))
    assert org_cli("audit", "verify").code == 0
    with eng.begin() as conn:
        salt = conn.execute(sa.select(p.c.salt).where(where)).scalar_one()
        conn.execute(p.update().where(where).values(salt="zz" * 16))
    assert org_cli("audit", "verify", "--json").json["first_bad"] == seq  # no traceback on a non-hex salt
    with eng.begin() as conn:
        conn.execute(p.update().where(where).values(salt=salt))
    # A value removed behind the trail's back is not an erasure.
    with eng.begin() as conn:
        conn.execute(p.delete().where(where))
    gone = org_cli("audit", "verify", "--json")
    assert gone.code == 1 and gone.json["first_bad"] == seq and "without a recorded erasure" in gone.json["reason"]
    # A value planted for an entry that does not commit to it.
    with eng.begin() as conn:
        conn.execute(p.insert().values(seq=seq, side="after", column_name="subject_masked", salt=salt,
                                       value="王○明"))
        conn.execute(p.insert().values(seq=seq, side="after", column_name="request_type", salt="00" * 16,
                                       value="delete"))
    planted = org_cli("audit", "verify", "--json")
    assert planted.code == 1 and "no commitment" in planted.json["reason"]
    with eng.begin() as conn:
        conn.execute(p.delete().where(p.c.column_name == "request_type"))
    assert org_cli("audit", "verify").code == 0
    # The chain itself: an erased entry's commitments are still covered by its hash.
    assert _erase(org_cli, "--request", rid).code == 0
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor='mallory' WHERE seq=:s"), {"s": seq})
    broken = org_cli("audit", "verify", "--json")
    assert broken.code == 1 and broken.json["first_bad"] == seq and "hash" in broken.json["reason"]


def test_entries_written_before_the_upgrade_are_reported_not_erasable(org_cli, db_url, monkeypatch):
    # An entry written without commitments, as every entry before migration 0007 was.
    with monkeypatch.context() as m:
        m.setattr(DataSubjectRequest, "__personal__", frozenset())
        rid = _new_request(org_cli)
    org_cli("requests", "verify-identity", rid, "--method", "電話回撥")
    r = _erase(org_cli, "--table", "privacy_requests", "--row", rid)
    assert r.code == 0, r.err
    first = _entries(db_url, "privacy_requests", rid)[0]
    assert r.json["in_chain"] == [first.seq] and first.after["subject_masked"] == "王○明"
    assert r.json["erased"] and first.seq not in r.json["entries"]
    assert org_cli("audit", "verify").code == 0


@pytest.mark.parametrize("args,needle", [
    (["--table", "customers", "--row", "1"], "unknown table"),
    (["--table", "privacy_requests", "--row", "999"], "no audit entries"),
    (["--request", "999"], "no request #999"),
    (["--request", "99999999999"], "no request"),
    (["--table", "privacy_requests"], "--table T --row KEY"),
    (["--request", "1", "--table", "privacy_requests", "--row", "1"], "either --request"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(org_cli, db_url, args, needle):
    _new_request(org_cli)
    n = len(_personal(db_url))
    r = _erase(org_cli, *args)
    assert r.code == 2 and needle in r.err and len(r.err.strip().splitlines()) == 1
    assert len(_personal(db_url)) == n and _entries(db_url, audit.ERASE_TABLE) == []


def test_reason_and_confirmation_are_required(org_cli, db_url):
    rid = _new_request(org_cli)
    n = len(_personal(db_url))
    blank = org_cli("audit", "erase", "--request", rid, "--reason", "  ", "--yes")
    assert blank.code == 2 and "--reason" in blank.err
    unconfirmed = org_cli("audit", "erase", "--request", rid, "--reason", REASON)  # stdin is no terminal
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err and len(unconfirmed.err.strip().splitlines()) == 1
    assert len(_personal(db_url)) == n
    human = org_cli("audit", "erase", "--request", rid, "--reason", REASON, "--yes")
    assert human.code == 0 and "已刪除 erased" in human.out


def test_service_erase_on_other_declared_tables(initialized):
    """Inventory samples and findings are erasable too; the service refuses a blank reason."""
    from gezi.compliance.findings import upsert_finding
    from gezi.core.errors import GeziError
    from gezi.org.service import add_org

    with session_scope(get_settings()) as s:
        org = add_org(s, name="測試電商", ubn=UBN, industry="ecommerce")
        f, _ = upsert_finding(s, org_id=org.id, source="logwatch", fingerprint="x", title="帳號 wang.xm 暴力破解",
                              severity="high", detail={"account": "wang.xm", "src_ips": ["203.0.113.9"]})
        s.flush()
        fid = str(f.id)
    with session_scope(get_settings()) as s:
        with pytest.raises(GeziError):
            audit.erase(s, [("findings", fid)], " ")
        plan = audit.erase(s, [("findings", fid)], "保存期限屆滿")
        assert plan.values == 2 and plan.columns == ["detail", "title"]
    with session_scope(get_settings()) as s:
        entries = audit.history(s, "findings")
        assert "wang.xm" not in json.dumps([e.after for e in entries])
        assert audit.reveal(s, entries)[entries[0].seq].after["detail"] == audit.ERASED
        assert audit.verify(s).ok
