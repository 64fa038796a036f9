"""Masking personal data in evidence lines, alerts and reports (A12****789, a***@example.com)."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import unquote_plus

from gezi.core.twid import national_id_is_valid, old_resident_cert_is_valid
from gezi.pii import masking as pii_masking
from gezi.pii.analyzer import analyze_text
from gezi.pii.registry import get_registry

_EMAIL = re.compile(r"([A-Za-z0-9._%+-]+)(@|%40)([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_TWID = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-D0-9][0-9]{8})(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<!\d)(09\d{2})-?(\d{3})-?(\d{3})(?!\d)")
_PARAM = re.compile(
    r"([?&;](?:user(?:name|_?id)?|account|acct|email|e-mail|mail|login|uid|id|idno|pid|phone|"
    r"mobile|tel|name|pass(?:word)?|pwd|token)=)([^&\s\"]+)",
    re.IGNORECASE,
)
_JSON_FIELD = re.compile(r'("(?:user|username|account|email|login)"\s*:\s*")([^"]*)(")')


@cache
def _evidence_entities() -> frozenset[str]:
    """Every PII entity but IP addresses: the source IP is what an alert is about."""
    return get_registry().entities - {"IP_ADDRESS"}


def _is_twid(value: str) -> bool:
    return national_id_is_valid(value) or old_resident_cert_is_valid(value)


def mask_value(value: str | None) -> str | None:
    """An account name, e-mail, ID or phone number in masked form."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return v
    m = _EMAIL.fullmatch(v)
    if m:
        return f"{m.group(1)[0]}***@{m.group(3)}"
    if _is_twid(v.upper()) and len(v) == 10:
        return f"{v[:3]}****{v[-3:]}"
    m = _PHONE.fullmatch(v)
    if m:
        return f"{m.group(1)}-***-{m.group(3)}"
    if len(v) <= 2:
        return v[0] + "*"
    if len(v) <= 4:
        return v[0] + "*" * (len(v) - 1)
    return f"{v[0]}{'*' * min(len(v) - 2, 6)}{v[-1]}"


def _mask_once(value: str) -> str:
    """Mask a value unless an earlier step already did (so masks are not masked twice)."""
    return value if "*" in value else (mask_value(value) or "")


def _twid_sub(m: re.Match[str]) -> str:
    return mask_value(m.group(1)) if _is_twid(m.group(1)) else m.group(1)  # type: ignore[return-value]


def mask_text(text: str, known: list[str] | tuple[str, ...] = ()) -> str:
    """A raw log line with account names, e-mails, IDs and phone numbers masked.

    `known` are values known to be personal (e.g. the account of an auth event), replaced first
    wherever they occur.
    """
    out = text
    for value in sorted({k for k in known if k and len(k) > 1}, key=len, reverse=True):
        out = out.replace(value, mask_value(value) or "")
    # What gezi's PII recognizers find (names, addresses, cards… also percent-encoded in a
    # query string): the evidence of an alert is a few lines, so the full analyzer is cheap.
    out = pii_masking.mask_text(out, analyze_text(out, entities=_evidence_entities()), "partial")
    out = _PARAM.sub(lambda m: m.group(1) + _mask_once(unquote_plus(m.group(2))), out)
    out = _JSON_FIELD.sub(lambda m: m.group(1) + _mask_once(m.group(2)) + m.group(3), out)
    out = _EMAIL.sub(lambda m: f"{m.group(1)[0]}***@{m.group(3)}", out)
    out = _TWID.sub(_twid_sub, out)
    return _PHONE.sub(lambda m: f"{m.group(1)}-***-{m.group(3)}", out)


def printable(text: str, limit: int = 300) -> str:
    """A line safe to show: control characters escaped, long lines cut."""
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in cut)
    return shown + ("…" if len(text) > limit else "")
