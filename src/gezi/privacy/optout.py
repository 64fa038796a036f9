"""Marketing opt-outs (拒絕行銷, PDPA Art 20(2)–(3)) and the identifier handling they need.

Why identifiers are stored as keyed digests: a suppression list must answer "has this person
refused marketing?" but need not be able to print the person's e-mail or phone. gezi normalizes
the identifier (e-mail lower-cased; phone to E.164 with region TW; member id trimmed), stores
HMAC-SHA256(install key, "type:normalized") and a masked display form, and never the raw value.
A plain SHA-256 of a Taiwanese mobile number can be reversed by trying all 10^8 numbers; the key
(kept outside the database, in the data directory or ``GEZI_IDENTIFIER_KEY``) prevents that for
someone who only has the database. The same key serves data-subject requests (subject/contact).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import as_utc, iso, now_utc
from gezi.org.models import Organization
from gezi.org.service import update_org_settings
from gezi.pii.files import Unreadable, whole_file_encoding
from gezi.pii.masking import partial
from gezi.privacy.ops_models import IDENTIFIER_TYPES, OPTOUT_CHANNELS, MarketingOptOut

KEY_ENV = "GEZI_IDENTIFIER_KEY"
SETTING_KEY = "marketing_optout_channel"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHANNEL_ZH = {"email": "電子郵件", "sms": "簡訊", "phone": "電話", "post": "郵寄", "all": "全部管道"}


# --- identifiers -----------------------------------------------------------------------------

def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "secrets" / "identifier.key"


def identifier_key(settings: Settings) -> bytes:
    """The install's HMAC key: ``GEZI_IDENTIFIER_KEY`` (hex), else a file created on first use.

    Several hosts sharing one PostgreSQL register must share this key (copy the file or set the
    variable), otherwise their digests differ and opt-out checks miss.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        try:
            key = bytes.fromhex(env.strip())
        except ValueError:
            raise GeziError(f"{KEY_ENV} 須為十六進位字串 must be hex") from None
        if len(key) < 16:
            raise GeziError(f"{KEY_ENV} 至少 16 位元組 must hold at least 16 bytes")
        return key
    path = _key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first; use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise GeziError(f"無法讀取識別碼金鑰 cannot read identifier key {path}: {exc}") from None


def key_id(settings: Settings) -> str:
    """A short, non-secret fingerprint of the key, stored with each digest."""
    return hashlib.sha256(identifier_key(settings)).hexdigest()[:12]


def normalize(id_type: str, value: str) -> str:
    """The canonical form of an identifier, or a one-line error for a malformed one."""
    # NFKC folds full-width forms (Ｗａｎｇ＠Ｅｘａｍｐｌｅ．ｃｏｍ, Ｍ０００１) that Chinese input methods
    # and forms produce into ASCII, so the same person is found however they typed it.
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise GeziError(f"{id_type} 不可空白 must not be empty")
    if id_type == "email":
        # The local part is case-sensitive in theory; every mail system we meet treats it as
        # case-insensitive, and a missed match would mean marketing someone who refused.
        text = text.lower()
        if not EMAIL_RE.match(text):
            raise GeziError(f"無效的電子郵件 invalid e-mail address ({mask('email', text)})")
        return text
    if id_type == "phone":
        try:
            num = phonenumbers.parse(text, "TW")
        except phonenumbers.NumberParseException:
            raise GeziError("無效的電話號碼 invalid phone number") from None
        if not phonenumbers.is_valid_number(num):
            raise GeziError("無效的電話號碼 invalid phone number")
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if id_type == "member_id":
        if len(text) > 200:
            raise GeziError("會員編號過長 member id longer than 200 characters")
        return text
    raise GeziError(f"未知的識別碼類型 unknown identifier type {id_type!r}")


def digest(settings: Settings, id_type: str, normalized: str) -> str:
    """HMAC-SHA256 of a normalized identifier under the install key (hex)."""
    msg = f"{id_type}:{normalized}".encode()
    return hmac.new(identifier_key(settings), msg, hashlib.sha256).hexdigest()


def mask(id_type: str, normalized: str) -> str:
    """A display form that identifies nobody (gezi.pii.masking): w***@example.com, 0912-***-678."""
    if id_type == "email":
        return partial("EMAIL_ADDRESS", normalized)
    if id_type == "phone":
        num = phonenumbers.parse(normalized, "TW")  # normalized is E.164, always parses
        national = re.sub(r"\D", "", phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL))
        return partial("PHONE_NUMBER", national if num.country_code == 886 else normalized)
    return partial("MEMBER_ID", normalized)


@dataclass(frozen=True)
class Identifier:
    """A normalized identifier with its digest and masked form (the raw value is dropped)."""

    id_type: str
    digest: str
    masked: str


def identify(settings: Settings, id_type: str, value: str) -> Identifier:
    """Normalize, digest and mask an identifier given on the command line."""
    if id_type not in IDENTIFIER_TYPES:
        raise GeziError(f"未知的識別碼類型 unknown identifier type {id_type!r}")
    norm = normalize(id_type, value)
    return Identifier(id_type, digest(settings, id_type, norm), mask(id_type, norm))


# --- opt-outs --------------------------------------------------------------------------------

def require_same_key(session: Session, settings: Settings, org: Organization) -> None:
    """Refuse to work with a key other than the one the stored refusals were made with.

    A lost key file is silently re-created on first use, and a second host may run with its own
    key: either way every stored digest stops matching and `check` would answer "allowed" for
    people who refused, against PDPA Art 20(2). Failing loudly is the only safe answer.
    """
    current = key_id(settings)
    other = session.scalars(sa.select(MarketingOptOut.key_id).where(
        MarketingOptOut.org_id == org.id, MarketingOptOut.key_id != current).distinct()).all()
    if other:
        raise GeziError(f"識別碼金鑰不符，無法比對既有拒絕行銷紀錄（紀錄金鑰 {', '.join(other)}，本機金鑰 {current}）；"
                        f"請還原 {_key_file(settings)} 或設定 {KEY_ENV} identifier key mismatch")


def _check_channel(channel: str) -> None:
    if channel not in OPTOUT_CHANNELS:
        raise GeziError(f"未知的管道 unknown channel {channel!r}; use {', '.join(OPTOUT_CHANNELS)}")


def add_optout(session: Session, settings: Settings, org: Organization, ident: Identifier,
               channel: str, actor: str, since: dt.datetime | None = None,
               source: str | None = None) -> tuple[MarketingOptOut, bool]:
    """Record a refusal of marketing; recording the same refusal again changes nothing."""
    _check_channel(channel)
    if since is not None and as_utc(since) > now_utc() + dt.timedelta(minutes=5):
        raise GeziError(f"表示拒絕之時間在未來 --since is in the future: {iso(since)}")
    require_same_key(session, settings, org)
    row = session.scalar(sa.select(MarketingOptOut).where(
        MarketingOptOut.org_id == org.id, MarketingOptOut.id_type == ident.id_type,
        MarketingOptOut.digest == ident.digest, MarketingOptOut.channel == channel))
    if row is not None:
        return row, False
    row = MarketingOptOut(org_id=org.id, id_type=ident.id_type, digest=ident.digest,
                          masked=ident.masked, channel=channel, since=since or now_utc(),
                          source=source, key_id=key_id(settings), created_by=actor)
    session.add(row)
    session.flush()
    return row, True


def check_optout(session: Session, settings: Settings, org: Organization, idents: list[Identifier],
                 channel: str) -> dict[str, Any]:
    """May this person be sent marketing on a channel? An 'all' refusal blocks every channel;
    asking about 'all' is blocked by a refusal on any channel."""
    _check_channel(channel)
    if not idents:
        raise GeziError("請至少提供一個識別碼 give --email, --phone or --member-id")
    require_same_key(session, settings, org)
    q = sa.select(MarketingOptOut).where(
        MarketingOptOut.org_id == org.id,
        sa.or_(*[sa.and_(MarketingOptOut.id_type == i.id_type,
                         MarketingOptOut.digest == i.digest) for i in idents]))
    if channel != "all":
        q = q.where(MarketingOptOut.channel.in_((channel, "all")))
    rows = list(session.scalars(q.order_by(MarketingOptOut.since, MarketingOptOut.id)))
    return {
        "allowed": not rows,
        "since": iso(rows[0].since) if rows else None,
        "channel": channel,
        "matched": [{"id_type": r.id_type, "identifier": r.masked, "channel": r.channel,
                     "since": iso(r.since)} for r in rows],
    }


def list_optouts(session: Session, org: Organization,
                 channel: str | None = None) -> list[MarketingOptOut]:
    """Refusals of an organization, oldest first, optionally those that block one channel."""
    q = sa.select(MarketingOptOut).where(MarketingOptOut.org_id == org.id)
    if channel is not None:  # an empty --channel is an error, not "every channel"
        _check_channel(channel)
        if channel != "all":
            q = q.where(MarketingOptOut.channel.in_((channel, "all")))
    return list(session.scalars(q.order_by(MarketingOptOut.since, MarketingOptOut.id)))


def export_rows(rows: list[MarketingOptOut], hashed: bool) -> list[dict[str, Any]]:
    """The suppression list: masked identifiers for people, or the digests for systems."""
    out = []
    for r in rows:
        entry: dict[str, Any] = {"id_type": r.id_type, "channel": r.channel, "since": iso(r.since)}
        if hashed:
            entry.update(digest=r.digest, scheme="hmac-sha256", key_id=r.key_id)
        else:
            entry["identifier"] = r.masked
        out.append(entry)
    return out


def set_first_marketing_channel(session: Session, org: Organization, channel: str,
                                description: str, actor: str) -> dict[str, Any]:
    """Record in the org profile the free way to refuse offered at the first marketing contact
    (PDPA Art 20(3): 首次行銷時應提供當事人表示拒絕接受行銷之方式，並支付所需費用)."""
    _check_channel(channel)
    if not description.strip():
        raise GeziError("--description 不可空白 describe how the person refuses (e.g. the link)")
    value = {"channel": channel, "description": description.strip(), "free_of_charge": True,
             "source": "個人資料保護法第20條第3項", "set_by": actor, "set_at": iso(now_utc())}
    update_org_settings(session, org, **{SETTING_KEY: value})
    return value


def first_marketing_channel(org: Organization) -> dict[str, Any] | None:
    """The recorded first-marketing opt-out channel, if any."""
    return (org.settings or {}).get(SETTING_KEY)


# --- batch suppression -----------------------------------------------------------------------

SAMPLE_SIZE = 5
MAX_CSV_FIELD = 128 * 1024  # Python csv's default limit: a contact list has no longer field


def _decode(raw: bytes, encoding: str, source: Path) -> tuple[str, str]:
    """The whole file decoded strictly in the encoding detected (whole_file_encoding): a
    replacement character would silently garble names in the copy handed to marketing, and
    another guess (CP950 reads nearly any byte pair) would garble them without a word."""
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise GeziError(f"無法以 {encoding} 解碼 cannot decode {source.name} as {encoding} "
                        f"(byte {exc.start}); save it as UTF-8 or Big5") from None


def read_list_file(source: Path) -> tuple[str, str]:
    """A list exported by another system (CSV) as text, and its encoding: UTF-8 with or without
    BOM, or Big5/CP950 as Taiwanese Excel saves it, detected as the PII scanner detects it. A file
    that cannot be read or decoded is a one-line error."""
    try:
        raw = source.read_bytes()
        encoding = whole_file_encoding(raw)
    except OSError as exc:
        raise GeziError(f"無法讀取 cannot read {source}: {exc.strerror}") from None
    except Unreadable as exc:
        raise GeziError(f"無法讀取 cannot read {source}: {exc}") from None
    return _decode(raw, encoding, source)


def filter_contacts(session: Session, settings: Settings, org: Organization, source: Path, dest: Path, *,
                    column: str, id_type: str, channel: str) -> dict[str, Any]:
    """Copy a marketing contact list (CSV) to ``dest`` without the people who refused marketing on
    ``channel``; the source file is not changed. Rows whose identifier cannot be normalized are
    left out too and counted, with a masked sample (they match no refusal and reach no one)."""
    _check_channel(channel)
    if id_type not in IDENTIFIER_TYPES:
        raise GeziError(f"未知的識別碼類型 unknown identifier type {id_type!r}; use {', '.join(IDENTIFIER_TYPES)}")
    if source.resolve() == dest.resolve():
        raise GeziError("--out 不可與輸入檔相同 must not overwrite the input file")
    require_same_key(session, settings, org)
    refused = {r.digest for r in list_optouts(session, org, channel) if r.id_type == id_type}
    text, encoding = read_list_file(source)
    counts = {"rows": 0, "allowed": 0, "suppressed": 0, "invalid": 0}
    sample: list[dict[str, Any]] = []
    # csv.reader, not DictReader: a row with more fields than the header keeps them in the copy.
    # The copy is built in memory and written at the end, so a malformed file writes nothing.
    reader = csv.reader(io.StringIO(text, newline=""))
    buf = io.StringIO()
    writer = csv.writer(buf)
    try:
        header = next(reader, None) or []
        if column not in header:
            raise GeziError(f"找不到欄位 no column {column!r} in {source.name}; columns: {', '.join(header)}")
        index = header.index(column)
        writer.writerow(header)
        line = reader.line_num + 1
        for row in reader:
            # The physical line the record starts on (a quoted field may span lines).
            line, start = reader.line_num + 1, line
            if not row:
                continue
            if any(len(field) > MAX_CSV_FIELD for field in row):
                # Checked here, not left to csv's process-wide field_size_limit (other modules
                # raise it), so the answer does not depend on what ran before in the process.
                raise GeziError(f"CSV 欄位過長 field longer than {MAX_CSV_FIELD} characters in "
                                f"{source.name} line {start}")
            counts["rows"] += 1
            value = row[index] if index < len(row) else ""
            try:
                ident = digest(settings, id_type, normalize(id_type, value))
            except GeziError:
                counts["invalid"] += 1
                if len(sample) < SAMPLE_SIZE:
                    shown = partial("MEMBER_ID", value.strip()) if value.strip() else ""
                    sample.append({"line": start, "value": shown})
                continue
            if ident in refused:
                counts["suppressed"] += 1
                continue
            counts["allowed"] += 1
            writer.writerow(row)
    except csv.Error as exc:
        raise GeziError(f"CSV 格式錯誤 malformed CSV {source.name} line {reader.line_num}: {exc}") from None
    try:
        # Written in the input's encoding: the marketing system that exported Big5 reads Big5 back.
        with dest.open("w", encoding=encoding, newline="") as out:
            out.write(buf.getvalue())
    except OSError as exc:
        raise GeziError(f"無法寫入 cannot write {dest}: {exc.strerror}") from None
    return {**counts, "encoding": encoding, "channel": channel, "id_type": id_type, "out": str(dest),
            "invalid_sample": sample}
