"""Send the incident notice by SMTP: one delivery record per person, throttled, resumable.

Never twice to the same person (documented in docs/incidents.md):

* each recipient is a row keyed by a salted hash of the address (the address is not stored);
* a row is claimed (``sending``, committed, compare-and-set on ``row_version``) *before* the
  message goes out, and marked ``sent`` (committed) right after the server accepted it;
* a row found in ``sending`` when a run starts belongs to a run that crashed between claiming
  and recording the result: the server may or may not have the message, so it becomes
  ``uncertain`` and is **not** resent unless the operator passes ``resend_uncertain`` after
  checking the mail server's log;
* a refusal by the server (5xx/4xx reply to MAIL, RCPT or DATA) is ``failed``: nothing was
  accepted, so the next run sends it again; a connection lost during DATA is ``uncertain``;
* one run at a time per incident (``gezi.privacy.lease``): a run takes the incident's lease
  before it looks at any row and renews it before every message, a second run is refused while
  the lease is live, so a row in ``sending`` is only ever seen by a run whose predecessors'
  leases have all ended — ``resend_uncertain`` cannot resend a message another run is sending.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import re
import smtplib
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc
from gezi.org.models import Organization
from gezi.privacy import lease as leases
from gezi.privacy import notices, optout
from gezi.privacy.incident_models import Incident, IncidentEvent, NoticeDelivery

SAMPLE = 3
MAX_LINE = 1000  # an e-mail address plus a name; anything longer is not a recipient line
RETRYABLE = ("pending", "failed")
# What read_list_file may answer that is a real decoding (UTF-16 only with its BOM).
RECIPIENT_ENCODINGS = ("utf-8", "utf-8-sig", "cp950", "utf-16")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how fast to send."""

    host: str = "localhost"
    port: int = 25
    sender: str = ""
    rate: float = 5.0  # messages per second
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Recipient:
    """One person from the recipients file (kept in memory only)."""

    email: str
    name: str | None


@dataclass
class RecipientFile:
    """The valid recipients of a CSV file and what was skipped."""

    recipients: list[Recipient]
    invalid: int = 0
    invalid_sample: list[str] = field(default_factory=list)
    duplicates: int = 0


def _mask_line(line: str) -> str:
    return re.sub(r"[^\s,;]{2,}", lambda m: m.group(0)[:1] + "***", line)[:60]


def _bad(result: RecipientFile, number: int, text: str) -> None:
    result.invalid += 1
    if len(result.invalid_sample) < SAMPLE:
        result.invalid_sample.append(f"line {number}: {text}")


def _address_key(address: str) -> str | None:
    """The normalized address (the opt-out register's form), or None when it is not one."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in address):  # NUL, CR… would break SMTP
        return None
    try:
        return optout.normalize("email", address)
    except GeziError:
        return None


def read_recipients(path: Path) -> RecipientFile:
    """Read ``email[,name]`` lines (UTF-8 with or without BOM, or Big5/CP950 as Taiwanese Excel
    exports it); a header line ``email,…`` is allowed. Bad lines are counted and sampled
    (masked), duplicates (case-insensitive) are dropped."""
    text, encoding = optout.read_list_file(path)
    if encoding not in RECIPIENT_ENCODINGS:
        # A guess such as cp1252 would put garbled names into the greeting of a legal notice.
        raise GeziError(f"收件人檔案須為 UTF-8 或 Big5 recipients file must be UTF-8 or Big5/CP950: "
                        f"{path.name} (looks like {encoding})")
    result = RecipientFile(recipients=[])
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE:
            _bad(result, number, f"({len(line)} characters, longer than {MAX_LINE})")
            continue
        try:  # one record per physical line: a stray quote cannot swallow the rest of the file
            cells = [c.strip() for c in next(csv.reader([line], strict=True), [])]
        except csv.Error as exc:
            _bad(result, number, f"({exc})")
            continue
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in ("email", "e-mail", "電子郵件", "電子信箱"):
            continue
        # Full-width forms typed with a Chinese input method (ｗａｎｇ＠…) folded as the key is.
        address = unicodedata.normalize("NFKC", cells[0]).strip()
        key = _address_key(address)
        if key is None:
            _bad(result, number, _mask_line(",".join(cells)))
            continue
        if not address.isascii():
            # smtplib speaks ASCII only (no SMTPUTF8): such an address would crash the run with
            # the row already claimed, and leave the person uncertain.
            _bad(result, number, "(非 ASCII 地址 non-ASCII address, not supported)")
            continue
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        name = cells[1] if len(cells) > 1 and cells[1] else None
        result.recipients.append(Recipient(address, name))
    if not result.recipients:
        raise GeziError(f"收件人檔案沒有有效的電子郵件 no valid address in {path} "
                        f"({result.invalid} invalid line(s))")
    return result


def recipient_hash(incident: Incident, address: str) -> str:
    """Salted SHA-256 of the lower-cased address (salt per incident)."""
    return hashlib.sha256(f"{incident.recipient_salt}:{address.lower()}".encode()).hexdigest()


@dataclass
class SendReport:
    """What one run did."""

    recipients: int = 0
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    uncertain: int = 0
    held_uncertain: int = 0
    stopped: bool = False
    error: str | None = None
    took_over_lease: bool = False  # the previous run's lease had expired (it died or stalled)
    # Everyone in this run's file is sent to (by this run or an earlier one), read from the
    # register while this run still holds the lease, so no other run can change it meanwhile.
    all_sent: bool = False

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI prints it."""
        return dict(self.__dict__)


class _Ambiguous(Exception):
    """The connection failed while the message was being transferred."""


class _Refused(Exception):
    """The server refused the message; ``fatal`` when the session cannot go on."""

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


def _message(org: Organization, incident: Incident, config: SmtpConfig, person: Recipient,
             delivery: NoticeDelivery) -> EmailMessage:
    text = notices.notice_text(org, incident, name=person.name)
    title = notices.subject(org)
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = config.sender
    msg["To"] = Address(display_name=person.name or "", addr_spec=person.email)
    msg["Date"] = format_datetime(now_utc())
    msg["Message-ID"] = make_msgid(domain=config.sender.partition("@")[2] or None)
    msg["X-Gezi-Incident"] = str(incident.id)
    msg["X-Gezi-Delivery"] = str(delivery.id)
    # base64: long CJK lines would break the 998-octet SMTP line limit as 8bit
    msg.set_content(text, cte="base64")
    msg.add_alternative(notices.to_html(title, text), subtype="html", cte="base64")
    return msg


def _transfer(conn: smtplib.SMTP, sender: str, msg: EmailMessage, to: str) -> None:
    """MAIL, RCPT, DATA step by step, so a refusal is told apart from a lost connection."""
    try:
        code, resp = conn.mail(sender)
        if code != 250:
            raise _Refused(f"MAIL {code} {resp!r}", fatal=True)
        code, resp = conn.rcpt(to)
        if code not in (250, 251):
            conn.rset()
            raise _Refused(f"RCPT {code} {resp!r}", fatal=code < 500)
    except (smtplib.SMTPException, OSError) as exc:
        raise _Refused(f"{type(exc).__name__}: {exc}", fatal=True) from None
    try:
        # smtplib sends bytes as given: lines must already end in CRLF
        code, resp = conn.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    except smtplib.SMTPDataError as exc:  # the server answered DATA with a refusal
        raise _Refused(f"DATA {exc.smtp_code} {exc.smtp_error!r}", fatal=True) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _Ambiguous(f"{type(exc).__name__}: {exc}") from None
    if code != 250:
        raise _Refused(f"DATA {code} {resp!r}", fatal=True)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    try:
        conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        conn.ehlo_or_helo_if_needed()
        if config.starttls:
            conn.starttls()
            conn.ehlo()
        if config.user:
            conn.login(config.user, config.password or "")
    except (smtplib.SMTPException, OSError) as exc:
        raise GeziError(f"無法連線郵件伺服器 cannot connect to SMTP {config.host}:{config.port}: "
                        f"{exc}") from None
    return conn


def _rows(session: Session, incident: Incident, people: list[Recipient]
          ) -> list[tuple[Recipient, NoticeDelivery]]:
    """One delivery row per person (created when new), committed before anything is sent."""
    try:
        return _create_rows(session, incident, people)
    except sa.exc.IntegrityError:
        # a run started at the same moment created some of the rows first: use those
        session.rollback()
        return _create_rows(session, incident, people)


def _create_rows(session: Session, incident: Incident, people: list[Recipient]
                 ) -> list[tuple[Recipient, NoticeDelivery]]:
    existing = {d.recipient_hash: d for d in session.scalars(
        sa.select(NoticeDelivery).where(NoticeDelivery.incident_id == incident.id))}
    out = []
    for person in people:
        h = recipient_hash(incident, person.email)
        row = existing.get(h)
        if row is None:
            row = NoticeDelivery(incident_id=incident.id, recipient_hash=h, status="pending",
                                 recipient_masked=optout.mask("email", person.email.lower()))
            session.add(row)
            existing[h] = row
        out.append((person, row))
    session.commit()
    return out


def _hold_stuck(session: Session, incident: Incident) -> int:
    """Rows left in ``sending`` by a crashed run become ``uncertain`` (never resent blindly)."""
    stuck = list(session.scalars(sa.select(NoticeDelivery).where(
        NoticeDelivery.incident_id == incident.id, NoticeDelivery.status == "sending")))
    for row in stuck:
        row.status = "uncertain"
        row.error = "前次執行中斷，無法確認是否已寄達 previous run stopped while sending"
    session.commit()
    return len(stuck)


def _claim(session: Session, row: NoticeDelivery, allowed: tuple[str, ...]) -> bool:
    """Compare-and-set the row to ``sending``; False if another run changed it first."""
    session.refresh(row)
    if row.status not in allowed:
        return False
    row.status, row.sending_at, row.attempts = "sending", now_utc(), (row.attempts or 0) + 1
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return False
    return True


def _finish(session: Session, row: NoticeDelivery, status: str, error: str | None = None,
            message_id: str | None = None) -> None:
    for _ in range(3):  # a concurrent run may have marked our row uncertain meanwhile
        row.status, row.error = status, error
        if status == "sent":
            row.sent_at, row.message_id = now_utc(), message_id
        try:
            session.commit()
            return
        except StaleDataError:
            session.rollback()
            session.refresh(row)
    raise GeziError(f"無法更新寄送紀錄 cannot record delivery {row.id}")


Hook = Callable[[str, NoticeDelivery], None]


def send_notices(session: Session, org: Organization, incident: Incident, people: list[Recipient],
                 config: SmtpConfig, actor: str, *, resend_uncertain: bool = False,
                 hook: Hook | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 lease_ttl: float = leases.LEASE_TTL) -> SendReport:
    """Send the notice to everyone in ``people`` not yet sent to; commits as it goes.

    Holds the incident's notify lease for the whole run (``LeaseHeld``, a one-line error, while
    another run holds it); stops when the lease is lost. ``hook(stage, row)`` is called at
    "claimed" and "accepted" (tests inject failures there); ``sleep``/``clock`` make the
    throttle testable without waiting.
    """
    if not optout.EMAIL_RE.match(config.sender):
        raise GeziError("--from 須為有效的電子郵件 sender must be a valid address")
    if config.rate <= 0:
        raise GeziError("--rate 須大於 0 must be greater than 0")
    missing = notices.missing_items(incident)
    if missing:
        raise GeziError("通知內容不完整 the notice lacks: " + "；".join(missing))
    report = SendReport(recipients=len(people))
    lease = leases.acquire(session.get_bind(), incident.id, ttl=max(lease_ttl, 4 * config.timeout))
    report.took_over_lease = lease.took_over
    try:
        _hold_stuck(session, incident)
        rows = _rows(session, incident, people)
        allowed = RETRYABLE + (("uncertain",) if resend_uncertain else ())
        todo = []
        for person, row in rows:
            if row.status == "sent":
                report.already_sent += 1
            elif row.status in allowed:
                todo.append((person, row))
            else:
                report.held_uncertain += 1
        if todo:
            _send_all(session, org, incident, todo, config, report, lease, hook, sleep, clock)
        session.add(IncidentEvent(
            incident_id=incident.id, kind="notice", actor=actor, at=now_utc(),
            text=f"電子郵件通知 e-mail notice run: 本次寄出 {report.sent}、先前已寄 "
                 f"{report.already_sent}、失敗 {report.failed}、結果不明 "
                 f"{report.uncertain + report.held_uncertain}"
                 + (f"（中止 stopped: {report.error}）" if report.stopped else "")
                 + ("（接手前次執行已過期之租約 took over an expired lease）"
                    if report.took_over_lease else "")))
        session.commit()
        hashes = [row.recipient_hash for _, row in rows]
        sent = session.scalar(sa.select(sa.func.count()).select_from(NoticeDelivery).where(
            NoticeDelivery.incident_id == incident.id, NoticeDelivery.status == "sent",
            NoticeDelivery.recipient_hash.in_(hashes))) if hashes else 0
        # A stopped run answers 1 even if everyone happens to be sent: when it lost its lease,
        # the count was read while another run may be changing it.
        report.all_sent = sent == len(hashes) and not report.stopped
    finally:
        # Released here so the next run need not wait for the expiry; a process killed outright
        # leaves it to expire. A failing release must not hide the error that brought us here:
        # the lease then simply expires.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            lease.release()
    return report


def _send_all(session: Session, org: Organization, incident: Incident,
              todo: list[tuple[Recipient, NoticeDelivery]], config: SmtpConfig,
              report: SendReport, lease: leases.Lease, hook: Hook | None,
              sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
    interval = 1.0 / config.rate
    conn = _connect(config)
    allowed = ("pending", "failed", "uncertain")  # rows in todo were already filtered
    last: float | None = None
    try:
        for person, row in todo:
            if last is not None and (wait := last + interval - clock()) > 0:
                _pause(wait, lease, sleep)
            # Renewed before every message: a run that stalled past its expiry (and may have
            # been taken over) finds out here and stops instead of sending alongside the new one.
            if not lease.renew():
                report.stopped = True
                report.error = "租約已被其他執行接手 lease taken over by another run"
                break
            # built before the claim, so only the SMTP exchange can leave a row in "sending"
            msg = _message(org, incident, config, person, row)
            if not _claim(session, row, allowed):
                continue
            if hook:
                hook("claimed", row)
            last = clock()
            try:
                _transfer(conn, config.sender, msg, person.email)
            except _Refused as exc:
                _finish(session, row, "failed", str(exc))
                report.failed += 1
                if exc.fatal:
                    report.stopped, report.error = True, str(exc)
                    break
                continue
            except _Ambiguous as exc:
                _finish(session, row, "uncertain", str(exc))
                report.uncertain += 1
                report.stopped, report.error = True, str(exc)
                break
            if hook:
                hook("accepted", row)
            _finish(session, row, "sent", message_id=msg["Message-ID"])
            report.sent += 1
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the connection is already gone; nothing left to tidy


def _pause(wait: float, lease: leases.Lease, sleep: Callable[[float], None]) -> None:
    """Sleep for the throttle in slices, renewing the lease so a slow rate cannot outlive it."""
    step = lease.ttl / 4
    while wait > step:
        sleep(step)
        wait -= step
        lease.renew()  # a lost lease is noticed by the renewal before the next message
    sleep(wait)


def deliveries(session: Session, incident: Incident) -> list[NoticeDelivery]:
    """The incident's delivery records (masked recipients only)."""
    return list(session.scalars(sa.select(NoticeDelivery).where(
        NoticeDelivery.incident_id == incident.id).order_by(NoticeDelivery.id)))
