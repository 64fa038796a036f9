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
  accepted, so the next run sends it again; a connection lost during DATA is ``uncertain``.
"""

from __future__ import annotations

import csv
import hashlib
import re
import smtplib
import time
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
from gezi.privacy import notices, optout
from gezi.privacy.incident_models import Incident, IncidentEvent, NoticeDelivery

SAMPLE = 3
MAX_LINE = 1000  # an e-mail address plus a name; anything longer is not a recipient line
RETRYABLE = ("pending", "failed")


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
    """Read ``email[,name]`` lines; a header line ``email,…`` is allowed. Bad lines are counted
    and sampled (masked), duplicates (case-insensitive) are dropped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GeziError(f"無法讀取收件人檔案 cannot read recipients file {path}: {exc.strerror}") \
            from None
    except UnicodeDecodeError:
        raise GeziError(f"收件人檔案須為 UTF-8 recipients file must be UTF-8: {path}") from None
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
        address = cells[0]
        key = _address_key(address)
        if key is None:
            _bad(result, number, _mask_line(",".join(cells)))
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
    all_sent: bool = False  # everyone in the file is sent to (by this run or any other)

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
                 clock: Callable[[], float] = time.monotonic) -> SendReport:
    """Send the notice to everyone in ``people`` not yet sent to; commits as it goes.

    ``hook(stage, row)`` is called at "claimed" and "accepted" (tests inject failures there);
    ``sleep``/``clock`` make the throttle testable without waiting.
    """
    if not optout.EMAIL_RE.match(config.sender):
        raise GeziError("--from 須為有效的電子郵件 sender must be a valid address")
    if config.rate <= 0:
        raise GeziError("--rate 須大於 0 must be greater than 0")
    missing = notices.missing_items(incident)
    if missing:
        raise GeziError("通知內容不完整 the notice lacks: " + "；".join(missing))
    report = SendReport(recipients=len(people))
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
        _send_all(session, org, incident, todo, config, report, hook, sleep, clock)
    session.add(IncidentEvent(
        incident_id=incident.id, kind="notice", actor=actor, at=now_utc(),
        text=f"電子郵件通知 e-mail notice run: 本次寄出 {report.sent}、先前已寄 "
             f"{report.already_sent}、失敗 {report.failed}、結果不明 "
             f"{report.uncertain + report.held_uncertain}"
             + (f"（中止 stopped: {report.error}）" if report.stopped else "")))
    session.commit()
    # Counted from the register, not this run's tallies: a run going on at the same time may
    # have sent to some of the people this run skipped as claimed.
    hashes = [row.recipient_hash for _, row in rows]
    sent = session.scalar(sa.select(sa.func.count()).select_from(NoticeDelivery).where(
        NoticeDelivery.incident_id == incident.id, NoticeDelivery.status == "sent",
        NoticeDelivery.recipient_hash.in_(hashes))) if hashes else 0
    report.all_sent = sent == len(hashes)
    return report


def _send_all(session: Session, org: Organization, incident: Incident,
              todo: list[tuple[Recipient, NoticeDelivery]], config: SmtpConfig,
              report: SendReport, hook: Hook | None, sleep: Callable[[float], None],
              clock: Callable[[], float]) -> None:
    interval = 1.0 / config.rate
    conn = _connect(config)
    allowed = ("pending", "failed", "uncertain")  # rows in todo were already filtered
    last: float | None = None
    try:
        for person, row in todo:
            if last is not None and (wait := last + interval - clock()) > 0:
                sleep(wait)
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


def deliveries(session: Session, incident: Incident) -> list[NoticeDelivery]:
    """The incident's delivery records (masked recipients only)."""
    return list(session.scalars(sa.select(NoticeDelivery).where(
        NoticeDelivery.incident_id == incident.id).order_by(NoticeDelivery.id)))
