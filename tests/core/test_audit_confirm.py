"""The confirmation `gezi audit erase` asks on a terminal, answered yes and no through the real
CLI — also for the erase command that closing a granted deletion request offers. SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import shlex
import sys

import pytest

from gezi.core import audit

from .test_audit_erasure import REASON, _entries, _new_request, _personal, org_cli  # noqa: F401

pytestmark = pytest.mark.usefixtures("org_cli")  # an organization, through the real CLI


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


def _answer(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(text))


@pytest.mark.parametrize("answer", ["y", "n", ""])  # an empty answer takes the default: no
def test_erase_asks_and_only_yes_erases(cli, db_url, monkeypatch, answer):
    rid = _new_request(cli)
    n = len(_personal(db_url))
    _answer(monkeypatch, answer + "\n")
    r = cli("audit", "erase", "--request", rid, "--reason", REASON)
    assert "will erase" in r.err and "cannot be undone" in r.err and "Erase?" in r.err
    assert "王小明" not in r.err + r.out and "0912345678" not in r.err + r.out
    if answer == "y":
        assert r.code == 0 and "已刪除 erased" in r.out
        assert len(_personal(db_url)) < n and len(_entries(db_url, audit.ERASE_TABLE)) == 1
    else:
        assert r.code == 2 and "未刪除 nothing erased" in r.err
        assert len(_personal(db_url)) == n and _entries(db_url, audit.ERASE_TABLE) == []
    assert cli("audit", "verify").code == 0


@pytest.mark.parametrize("answer", ["n", "y"])
def test_the_erasure_offered_when_a_deletion_request_is_granted(cli, db_url, monkeypatch, answer):
    rid = _new_request(cli)
    assert cli("requests", "verify-identity", rid, "--method", "會員登入後台核對").code == 0
    closed = cli("requests", "close", rid, "--decision", "granted")
    assert closed.code == 0, closed.err
    offered = closed.out.split("erase the subject's values on the audit trail: ", 1)[1].strip()
    args = shlex.split(offered)
    assert args[:4] == ["gezi", "audit", "erase", "--request"] and args[4] == rid
    assert _entries(db_url, audit.ERASE_TABLE) == []  # offered, not done
    n = len(_personal(db_url))

    _answer(monkeypatch, answer + "\n")
    r = cli(*args[1:])  # the command as printed, run by the officer at a terminal
    assert "Erase?" in r.err
    if answer == "y":
        assert r.code == 0 and len(_entries(db_url, audit.ERASE_TABLE)) == 1
        shown = cli("audit", "log", "--table", "privacy_requests", "--show-values", "--json").json
        assert all(e["after"]["subject_masked"] == audit.ERASED for e in shown["entries"])
    else:
        assert r.code == 2 and len(_personal(db_url)) == n
        assert _entries(db_url, audit.ERASE_TABLE) == []
