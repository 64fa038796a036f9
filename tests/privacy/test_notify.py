"""Notice by e-mail against a real SMTP server (aiosmtpd): exactly one mail per person, even
after a failing server or a crash mid-run (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from gezi.core.db import engine_for, session_scope
from gezi.core.errors import GeziError
from gezi.core.settings import get_settings
from gezi.core.timeutil import as_utc, iso, now_utc
from gezi.org.service import resolve_org
from gezi.privacy import mailer
from gezi.privacy.incident_models import NotifyLease
from gezi.privacy.incidents import get_incident

UBN = "04595257"
PEOPLE = [f"user{n}@example.com" for n in range(1, 8)]


class Recorder:
    """SMTP handler that keeps every accepted message; can refuse after ``accept_limit``."""

    def __init__(self) -> None:
        self.accepted: list[tuple[list[str], bytes]] = []
        self.accept_limit: int | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook name
        with self.lock:
            if self.accept_limit is not None and len(self.accepted) >= self.accept_limit:
                return "451 4.3.0 temporarily unavailable"
            self.accepted.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def per_recipient(self) -> Counter:
        return Counter(r.lower() for tos, _ in self.accepted for r in tos)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def incident_id(initialized, cli) -> str:
    assert cli("org", "add", "--name", "好物網購股份有限公司", "--ubn", UBN, "--industry",
               "ecommerce").code == 0
    r = cli("incidents", "new", "--title", "會員資料外洩", "--detected-at", "2026-03-06T10:00",
            "--affected", str(len(PEOPLE)), "--data", "姓名,電子信箱", "--contact-phone",
            "02-2345-6789", "--json")
    iid = str(r.json["id"])
    assert cli("incidents", "timeline", iid, "--add", "封鎖異常帳號", "--kind", "measure").code == 0
    return iid


def _csv(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "recipients.csv"
    lines = ["email,name"] + [f"{p},王小明{n}" for n, p in enumerate(PEOPLE)]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _notify(cli, smtp, iid, csv, *extra):
    return cli("incidents", "notify", iid, "--recipients", csv, "--smtp-host", "127.0.0.1",
               "--smtp-port", str(smtp.port), "--from", "dpo@shop.example", "--rate", "1000/s",
               *extra, "--json")


def test_everyone_gets_exactly_one_mail_and_rerun_sends_nothing(incident_id, cli, smtp,
                                                                 tmp_path):
    csv = _csv(tmp_path, "not-an-address,某人\nUSER1@EXAMPLE.COM,重複\n\n")
    r = _notify(cli, smtp, incident_id, csv)
    assert r.code == 0, r.out
    assert (r.json["sent"], r.json["invalid_lines"], r.json["duplicates"]) == (len(PEOPLE), 1, 1)
    assert "not-an-address" not in r.out  # the sample is masked
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})
    r = _notify(cli, smtp, incident_id, csv)
    assert r.code == 0 and r.json["sent"] == 0 and r.json["already_sent"] == len(PEOPLE)
    assert len(smtp.accepted) == len(PEOPLE)

    msg = message_from_bytes(smtp.accepted[0][1], policy=policy.default)
    assert msg["Subject"] == "【個資事故通知】好物網購股份有限公司"
    body = msg.get_body(("plain",)).get_content()
    assert "王小明0 您好" in body and "165" in body and "115年03月06日" in body
    assert msg.get_body(("html",)) is not None

    r = cli("incidents", "deliveries", incident_id, "--json")
    rows = r.json["deliveries"]
    assert len(rows) == len(PEOPLE) and {d["status"] for d in rows} == {"sent"}
    assert all(d["recipient"].startswith("u***@") for d in rows)
    assert "user1@example.com" not in r.out
    assert "user1@example.com" not in cli("incidents", "deliveries", incident_id).out


def test_server_failing_after_k_then_rerun_delivers_the_rest(incident_id, cli, smtp, tmp_path):
    csv = _csv(tmp_path)
    smtp.accept_limit = 3
    r = _notify(cli, smtp, incident_id, csv)
    assert r.code == 1  # not everyone reached: the run says so
    assert (r.json["sent"], r.json["failed"], r.json["stopped"]) == (3, 1, True)
    assert "451" in r.json["error"]
    smtp.accept_limit = None
    r = _notify(cli, smtp, incident_id, csv)
    assert r.code == 0, r.out
    assert (r.json["sent"], r.json["already_sent"]) == (len(PEOPLE) - 3, 3)
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})
    attempts = {d["attempts"] for d in cli("incidents", "deliveries", incident_id,
                                            "--json").json["deliveries"]}
    assert attempts == {1, 2}  # the refused one was tried twice, nobody got two mails


class Crash(Exception):
    """Stands for the process dying."""


def _direct_run(smtp, iid: str, *, hook=None, resend_uncertain: bool = False,
                lease_ttl: float = mailer.leases.LEASE_TTL) -> mailer.SendReport:
    """One notify run through the service, in its own session (as another process would)."""
    people = [mailer.Recipient(p, None) for p in PEOPLE]
    config = mailer.SmtpConfig(host="127.0.0.1", port=smtp.port, sender="dpo@shop.example",
                               rate=1000)
    with session_scope(get_settings()) as session:
        org = resolve_org(session, None)
        return mailer.send_notices(session, org, get_incident(session, org, int(iid)), people,
                                   config, "tester", hook=hook, resend_uncertain=resend_uncertain,
                                   lease_ttl=lease_ttl)


def _run_with_crash(stage: str, at: int, smtp) -> None:
    """Call the mailer directly with a hook that 'kills' the run at the at-th recipient."""
    seen = []

    def hook(where, row):
        if where == stage:
            seen.append(row.id)
            if len(seen) == at:
                raise Crash(where)

    with pytest.raises(Crash):
        _direct_run(smtp, "1", hook=hook)


def test_crash_after_the_server_accepted_never_sends_twice(incident_id, cli, smtp, tmp_path):
    _run_with_crash("accepted", 3, smtp)  # the 3rd mail went out, "sent" was never recorded
    assert len(smtp.accepted) == 3
    r = _notify(cli, smtp, incident_id, _csv(tmp_path))
    assert r.code == 1  # one person is held as uncertain
    assert (r.json["sent"], r.json["already_sent"], r.json["held_uncertain"]) == (4, 2, 1)
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})
    states = Counter(d["status"] for d in cli("incidents", "deliveries", incident_id,
                                              "--json").json["deliveries"])
    assert states == Counter({"sent": 6, "uncertain": 1})
    r = _notify(cli, smtp, incident_id, _csv(tmp_path))  # a plain re-run still holds it
    assert r.json["sent"] == 0 and smtp.per_recipient()[PEOPLE[2]] == 1


def test_crash_before_sending_is_held_until_the_operator_resends(incident_id, cli, smtp,
                                                                  tmp_path):
    _run_with_crash("claimed", 2, smtp)  # row 2 claimed, nothing sent to that person
    assert smtp.per_recipient() == Counter({PEOPLE[0]: 1})
    r = _notify(cli, smtp, incident_id, _csv(tmp_path))
    assert r.json["held_uncertain"] == 1 and PEOPLE[1] not in smtp.per_recipient()
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--resend-uncertain")
    assert r.code == 0 and r.json["sent"] == 1
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})


def test_throttle_spaces_messages_by_the_rate(incident_id, smtp):
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    people = [mailer.Recipient(p, None) for p in PEOPLE[:4]]
    config = mailer.SmtpConfig(host="127.0.0.1", port=smtp.port, sender="dpo@shop.example",
                               rate=2)
    with session_scope(get_settings()) as session:
        org = resolve_org(session, None)
        report = mailer.send_notices(session, org, get_incident(session, org, 1), people, config,
                                     "tester", sleep=sleep, clock=lambda: now[0])
    assert report.sent == 4
    assert waits == [0.5, 0.5, 0.5]


def test_smtp_down_is_a_one_line_error_and_nothing_is_marked_sent(incident_id, cli, tmp_path):
    r = cli("incidents", "notify", incident_id, "--recipients", _csv(tmp_path), "--smtp-host",
            "127.0.0.1", "--smtp-port", str(_free_port()), "--from", "dpo@shop.example")
    assert r.code == 2 and "cannot connect to SMTP" in r.err
    rows = cli("incidents", "deliveries", incident_id, "--json").json["deliveries"]
    assert {d["status"] for d in rows} == {"pending"}


def test_bad_recipients_file_and_sender(incident_id, cli, tmp_path, smtp):
    empty = tmp_path / "empty.csv"
    empty.write_text("email\nnope\n", encoding="utf-8")
    r = _notify(cli, smtp, incident_id, empty)
    assert r.code == 2 and "no valid address" in r.err
    r = cli("incidents", "notify", incident_id, "--recipients", _csv(tmp_path), "--from", "x",
            "--smtp-port", str(smtp.port), "--smtp-host", "127.0.0.1")
    assert r.code == 2 and "sender" in r.err
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--rate", "fast")
    assert r.code == 2 and "--rate" in r.err
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--rate", "0")
    assert r.code == 2 and "greater than 0" in r.err
    assert smtp.accepted == []


def test_recipients_file_in_utf8_bom_or_big5_and_undecodable_refused(tmp_path):
    lines = "email,name\nA@Example.com,甲\na@example.com,乙\n王小明@example.com,丙\nｂ＠example.com,許功蓋\n"
    for encoding in ("utf-8", "utf-8-sig", "cp950"):  # cp950: Big5 as Taiwanese Excel saves it
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(lines.encode(encoding))
        parsed = mailer.read_recipients(path)
        # full-width forms folded; a non-ASCII local part cannot go over plain SMTP: invalid
        assert [(r.email, r.name) for r in parsed.recipients] == [("A@Example.com", "甲"),
                                                                 ("b@example.com", "許功蓋")]
        assert (parsed.duplicates, parsed.invalid) == (1, 1), encoding
        assert "non-ASCII" in parsed.invalid_sample[0] and "王小明" not in parsed.invalid_sample[0]
    bad = tmp_path / "latin.csv"  # neither UTF-8 nor Big5
    bad.write_bytes(b"email,name\nx@example.com,\xff\xfe\xfa\x80\n")
    with pytest.raises(GeziError, match="UTF-8 or Big5") as exc:
        mailer.read_recipients(bad)
    assert "\n" not in str(exc.value)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"email\x00\x01\x02")
    with pytest.raises(GeziError, match="cannot read"):
        mailer.read_recipients(binary)


def test_big5_recipients_file_is_sent_with_the_names_intact(incident_id, cli, smtp, tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes("電子郵件,姓名\nuser1@example.com,許功蓋\n".encode("cp950"))
    r = _notify(cli, smtp, incident_id, path)
    assert r.code == 0 and r.json["sent"] == 1, r.out
    body = message_from_bytes(smtp.accepted[0][1], policy=policy.default).get_body(("plain",))
    assert "許功蓋 您好" in body.get_content()


def test_huge_nul_and_quoted_lines_are_counted_not_fatal(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text("email,name\n" + "x" * 200_000 + "\nok@example.com,\"王,小明\"\n"
                    "bad\x00@example.com\n\"unterminated@example.com\nlast@example.com\n",
                    encoding="utf-8")
    parsed = mailer.read_recipients(path)
    assert [(r.email, r.name) for r in parsed.recipients] == [
        ("ok@example.com", "王,小明"), ("last@example.com", None)]
    assert parsed.invalid == 3 and "longer than" in parsed.invalid_sample[0]


def test_second_run_while_one_is_sending_is_refused_and_nobody_gets_two(incident_id, cli, smtp,
                                                                         tmp_path):
    """Regression: `--resend-uncertain` started while another run was sending marked that run's
    in-flight row uncertain and sent it again. The first run now holds the incident's lease; the
    second is refused (exit 2, one line) without touching any row."""
    sending, go = threading.Event(), threading.Event()
    reports: list[mailer.SendReport] = []

    def hook(stage, row):
        if stage == "claimed" and not sending.is_set():
            sending.set()  # the first person's row is in "sending", the mail not yet out
            assert go.wait(30)

    first = threading.Thread(target=lambda: reports.append(_direct_run(smtp, incident_id,
                                                                       hook=hook)))
    first.start()
    try:
        assert sending.wait(30)
        r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--resend-uncertain")
        assert r.code == 2 and r.out == ""
        assert "another notify run" in r.err and "另有寄送程序" in r.err
        assert len(r.err.strip().splitlines()) == 1
        states = Counter(d["status"] for d in cli("incidents", "deliveries", incident_id,
                                                  "--json").json["deliveries"])
        assert states == Counter({"sending": 1, "pending": len(PEOPLE) - 1})  # left alone
    finally:
        go.set()
        first.join(60)
    assert reports[0].sent == len(PEOPLE) and reports[0].all_sent
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--resend-uncertain")  # lease released
    assert r.code == 0 and r.json["already_sent"] == len(PEOPLE) and r.json["sent"] == 0
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})


def test_two_runs_started_at_once_one_sends_each_person_once(incident_id, smtp):
    """Both runs start together (one with --resend-uncertain): only one can hold the lease; the
    other is refused, or — if it came after the first finished — finds everyone sent. The run
    that sent answers for its whole file: all_sent, exit 0."""
    barrier = threading.Barrier(2)
    outcomes: list[mailer.SendReport | str] = []

    def slow(stage, row):
        time.sleep(0.02)  # keep the first run busy long enough for the two to overlap

    def run(resend: bool) -> None:
        barrier.wait()
        try:
            outcomes.append(_direct_run(smtp, incident_id, hook=slow, resend_uncertain=resend))
        except mailer.leases.LeaseHeld as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run, args=(resend,)) for resend in (False, True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 2
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})
    reports = [o for o in outcomes if isinstance(o, mailer.SendReport)]
    assert sum(r.sent for r in reports) == len(PEOPLE)
    assert all(r.all_sent for r in reports)  # every run that ran answers for its whole file
    assert all("another notify run" in o for o in outcomes if isinstance(o, str))


def test_dead_runs_lease_blocks_resend_until_it_expires_then_is_taken_over(incident_id, cli,
                                                                          smtp, tmp_path):
    """A run killed mid-send leaves its lease and a row in `sending`. Until the lease expires
    even --resend-uncertain is refused; afterwards the next run takes the lease over, holds the
    row as uncertain, and resends it only when asked."""
    _run_with_crash("claimed", 2, smtp)  # row 2 in "sending"; PEOPLE[1] got nothing
    engine = engine_for(get_settings().db_url)
    dead = mailer.leases.acquire(engine, int(incident_id), ttl=60, holder="dead-run")  # killed: kept
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--resend-uncertain")
    assert r.code == 2 and "another notify run" in r.err and len(r.err.strip().splitlines()) == 1
    # When the dead run's lease ends, and what to do then, in the officer's words and in English.
    with engine.connect() as conn:
        until = as_utc(conn.scalar(sa.select(NotifyLease.expires_at)))
    shown = until.replace(microsecond=0) + timedelta(seconds=1 if until.microsecond else 0)
    assert f"至 {iso(shown)}" in r.err and f"until {iso(shown)}" in r.err
    wait = int(re.search(r"\(in (\d+) s\)", r.err).group(1))
    assert 55 <= wait <= 60 and f"約 {wait} 秒後" in r.err
    assert "請於到期後重新執行" in r.err and "run again after that time" in r.err
    assert PEOPLE[1] not in smtp.per_recipient()
    past = now_utc() - timedelta(minutes=5)
    with engine.begin() as conn:  # its expiry passes
        conn.execute(NotifyLease.__table__.update().values(expires_at=past))
    r = _notify(cli, smtp, incident_id, _csv(tmp_path))
    assert r.code == 1 and r.json["took_over_lease"] and r.json["held_uncertain"] == 1
    assert PEOPLE[1] not in smtp.per_recipient()
    assert not dead.renew()  # the dead run, were it to wake up, would find the lease gone
    texts = [e["text"] for e in cli("incidents", "timeline", incident_id, "--json").json["timeline"]]
    assert any("took over an expired lease" in t for t in texts)
    r = _notify(cli, smtp, incident_id, _csv(tmp_path), "--resend-uncertain")
    assert r.code == 0 and r.json["sent"] == 1 and not r.json["took_over_lease"]
    assert smtp.per_recipient() == Counter({p: 1 for p in PEOPLE})


def test_a_run_that_loses_its_lease_stops_before_the_next_message(incident_id, smtp):
    """A run that stalled past its expiry and was taken over must not go on sending next to the
    new holder: it renews before every message and stops when the lease is not its own."""

    def hook(stage, row):
        if stage == "accepted" and row.id == 2:  # meanwhile another run took the lease over
            with engine_for(get_settings().db_url).begin() as conn:
                conn.execute(NotifyLease.__table__.update().values(holder="other-run"))

    report = _direct_run(smtp, incident_id, hook=hook)
    assert (report.sent, report.stopped, report.all_sent) == (2, True, False)
    assert "lease" in report.error
    assert len(smtp.accepted) == 2


@pytest.mark.parametrize("before", ["none", "expired"])
def test_two_runs_taking_the_lease_at_once_one_holds_it(incident_id, before):
    """Taking the lease reads it, then writes it, in one transaction that first takes an explicit
    lock (SQLite BEGIN IMMEDIATE, PostgreSQL the incident's row). The first run is held between
    its read and its write; the second must not read until the first has written, so it finds
    the lease taken and is refused — never two holders (expired lease) or a failed insert (none).
    Left to pysqlite's deferred transactions, or without the row lock, the second read the same
    lease as the first, and both wrote."""
    engine = engine_for(get_settings().db_url)
    iid = int(incident_id)
    if before == "expired":  # a run killed long ago
        mailer.leases.acquire(engine, iid, holder="dead-run")
        with engine.begin() as conn:
            conn.execute(NotifyLease.__table__.update().values(expires_at=now_utc() - timedelta(minutes=5)))
    first_read, second_read = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def take(name: str, hook) -> None:
        try:
            outcomes[name] = mailer.leases.acquire(engine, iid, holder=name, hook=hook)
        except Exception as exc:  # any failure is an outcome to compare
            outcomes[name] = exc

    def hold_first() -> None:
        first_read.set()
        second_read.wait(1.5)  # with the lock, the second cannot read before we write

    first = threading.Thread(target=take, args=("first", hold_first))
    first.start()
    assert first_read.wait(30)
    second = threading.Thread(target=take, args=("second", second_read.set))
    second.start()
    first.join(60)
    second.join(60)
    assert isinstance(outcomes["first"], mailer.leases.Lease)
    assert outcomes["first"].took_over is (before == "expired")
    assert isinstance(outcomes["second"], mailer.leases.LeaseHeld), outcomes["second"]
    assert "another notify run" in str(outcomes["second"])
    with engine.connect() as conn:
        assert conn.scalar(sa.select(NotifyLease.holder)) == "first"
