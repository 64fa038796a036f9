"""Free-text reasons on the audit trail can hold a person's data (a name typed into a reason):
the erasure's own reason is refused when gezi's recognizers find personal data in it, and every
reason (the erasure's, a request's extension and decision reasons, a duty's note) is kept
outside the chain as a salted commitment, so it can be erased. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from gezi.core import audit

from .test_audit_erasure import REASON, _entries, _new_request, _personal, org_cli  # noqa: F401

pytestmark = pytest.mark.usefixtures("org_cli")  # an organization, through the real CLI


def _chain(db_url: str, table: str) -> str:
    return json.dumps([[e.before, e.after] for e in _entries(db_url, table)], ensure_ascii=False)


def test_an_erasure_reason_holding_personal_data_is_refused_naming_types_only(cli, db_url):
    rid = _new_request(cli)
    n = len(_personal(db_url))
    for reason, entity in (("王小明來電要求刪除", "PERSON_NAME"), ("會員 0912345678 申請刪除", "PHONE_NUMBER")):
        r = cli("audit", "erase", "--request", rid, "--reason", reason, "--yes", "--json")
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1
        assert entity in r.err and "刪除理由含個人資料" in r.err
        assert "王小明" not in r.err and "0912345678" not in r.err
    assert len(_personal(db_url)) == n and _entries(db_url, audit.ERASE_TABLE) == []


def test_the_erasure_reason_is_kept_aside_and_can_itself_be_erased(cli, db_url):
    rid = _new_request(cli)
    first = cli("audit", "erase", "--request", rid, "--reason", REASON, "--yes", "--json").json
    (entry,) = _entries(db_url, audit.ERASE_TABLE)
    assert audit.is_commitment(entry.after["reason"]) and REASON not in _chain(db_url, audit.ERASE_TABLE)
    log = cli("audit", "log", "--table", audit.ERASE_TABLE, "--show-values", "--json").json["entries"]
    assert log[0]["after"]["reason"] == REASON

    # The erasure entry's row key, as `audit log` shows it, names it for an erasure in turn.
    r = cli("audit", "erase", "--table", audit.ERASE_TABLE, "--row", entry.row_key,
                "--reason", "誤植理由，依個資法第11條刪除", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json["entries"] == [first["erasure_entry"]] and r.json["columns"] == ["reason"]
    log = cli("audit", "log", "--table", audit.ERASE_TABLE, "--show-values", "--json").json["entries"]
    assert log[-1]["after"]["reason"] == audit.ERASED and log[-1]["erased"] == ["reason"]
    assert cli("audit", "verify").code == 0


def test_request_reasons_and_duty_notes_are_commitments_erasable_with_the_request(cli, db_url):
    rid = _new_request(cli)
    extension, decision = "王小明要求延後處理", "王小明之交易紀錄依法保存"  # names typed into reasons
    assert cli("requests", "extend", rid, "--reason", extension).code == 0
    assert cli("requests", "close", rid, "--decision", "refused", "--reason", decision).code == 0
    chain = _chain(db_url, "privacy_requests")
    assert extension not in chain and decision not in chain
    assert {extension, decision} <= {p.value for p in _personal(db_url)}

    r = cli("audit", "erase", "--request", rid, "--reason", REASON, "--yes", "--json")
    assert r.code == 0 and {"extension_reason", "decision_reason"} <= set(r.json["columns"])
    assert not {extension, decision} & {p.value for p in _personal(db_url)}
    assert cli("audit", "verify").code == 0
    # The register keeps the request's handling record (PDPA Art 13): only the trail's copies go.
    shown = cli("requests", "show", rid, "--json").json
    assert (shown["extension_reason"], shown["decision_reason"]) == (extension, decision)


def test_a_duty_note_is_kept_aside_like_the_timeline_entry_it_is_copied_to(cli, db_url):
    r = cli("incidents", "new", "--title", "會員資料外洩", "--detected-at", "2026-03-06T10:00",
                "--affected", "3", "--data", "姓名", "--json")
    iid = str(r.json["id"])
    duty = r.json["obligations"][0]["id"]
    note = "已致電王小明說明"
    assert cli("incidents", "done", iid, duty, "--note", note).code == 0
    assert note not in _chain(db_url, "incident_duties") and note not in _chain(db_url, "incident_events")
    assert note in {p.value for p in _personal(db_url)}
