"""Free text typed about an incident (its title, cause, how it came to light) names affected
people: it is kept outside the audit chain as a salted commitment and can be erased. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest

from .test_audit_erasure import REASON, _entries, _personal, org_cli  # noqa: F401

pytestmark = pytest.mark.usefixtures("org_cli")  # an organization, through the real CLI


def _chain(db_url: str, table: str) -> str:
    return json.dumps([[e.before, e.after] for e in _entries(db_url, table)], ensure_ascii=False)


def test_an_incidents_free_text_is_a_commitment_and_erasable(cli, db_url):
    title, cause, found = "會員王小明帳號遭盜用", "林美玲之密碼遭撞庫", "客戶陳建國來電反映"
    r = cli("incidents", "new", "--title", title, "--detected-at", "2026-03-06T10:00", "--affected", "1",
            "--data", "姓名", "--cause", cause, "--how-found", found, "--json")
    assert r.code == 0, r.err
    chain = _chain(db_url, "incidents")
    assert [v for v in (title, cause, found) if v in chain] == []
    assert {title, cause, found} <= {p.value for p in _personal(db_url)}

    (entry, *_) = _entries(db_url, "incidents")
    erased = cli("audit", "erase", "--table", "incidents", "--row", entry.row_key, "--reason", REASON,
                 "--yes", "--json")
    assert erased.code == 0, erased.err
    assert {"title", "cause", "how_found"} <= set(erased.json["columns"])
    assert not {title, cause, found} & {p.value for p in _personal(db_url)}
    assert cli("audit", "verify").code == 0
