"""Masking personal data in evidence lines, alerts and reports (A12****789, a***@example.com)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
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
_JSON_FIELD = re.compile(r'("(?:user|username|account|email|login|TargetUserName|SubjectUserName|'
                         r'user\.name)"\s*:\s*")([^"]*)(")')
# Windows events: ECS `"user": {"name": …}` (Winlogbeat), EventData XML and the rendered message
_ECS_USER = re.compile(r'("user"\s*:\s*\{\s*"name"\s*:\s*")([^"]*)(")')
_XML_FIELD = re.compile(r"(<Data Name=['\"](?:Target|Subject)UserName['\"]>)([^<]*)(</Data>)")
_MESSAGE_FIELD = re.compile(r"(Account Name:[ \t]*)([^\s,\"]+)")


# A known value counts only as a whole token: not next to a letter, digit, `.`, `:` or `-`, which
# continue a token (account `10` in `10:00:00`, `2026-03-10`, `alice` in `alice.smith`).
_TOKEN_EDGE = r"[\w.:-]"
# Runs of characters an IP address is written with (checked with `ipaddress`, see `_ip_spans`).
_ADDRESS_RUN = re.compile(r"[0-9A-Fa-f.:]*[.:][0-9A-Fa-f.:]*")


def _ip_spans(text: str) -> list[tuple[int, int]]:
    """Where IPv4 and IPv6 addresses stand in a line (also `a.b.c.d:port`, `[v6]`, `::ffff:a.b.c.d`):
    no mask may touch them, the source IP is what an alert is about."""
    spans = []
    for m in _ADDRESS_RUN.finditer(text):
        run = m.group().rstrip(".:")  # a sentence's or field's end is no part of the address
        host = run.partition(":")[0] if run.count(":") == 1 else run  # 203.0.113.7:51234
        for candidate in (run, host):
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                continue
            spans.append((m.start(), m.start() + len(candidate)))
            break
    return spans


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


def _twid_mask(value: str) -> str | None:
    return mask_value(value) if _is_twid(value) else None


# The text patterns masked in every evidence line, each with its mask (None: not personal); the
# value of a sensitive parameter or JSON field is masked whole, decoded, like an alert's `user`.
_PATTERNS: tuple[tuple[re.Pattern[str], int, Callable[[str], str | None]], ...] = (
    (_PARAM, 2, lambda v: mask_value(unquote_plus(v))),
    (_JSON_FIELD, 2, mask_value),
    (_ECS_USER, 2, mask_value),
    (_XML_FIELD, 2, mask_value),
    (_MESSAGE_FIELD, 2, mask_value),
    (_EMAIL, 0, mask_value),
    (_TWID, 1, _twid_mask),
    (_PHONE, 0, mask_value),
)
Span = tuple[int, int, int, str]  # start, end, rank of the finder (lowest first), masked text


def mask_text(text: str, known: list[str] | tuple[str, ...] = ()) -> str:
    """A raw log line with account names, e-mails, IDs and phone numbers masked, each exactly once.

    `known` are values known to be personal (e.g. the account of an auth event), masked wherever
    they stand as a whole token. IP addresses are never masked, by any finder. Every finder (known
    values, gezi's PII recognizers, sensitive parameters and JSON fields, e-mail / ID / phone
    patterns) marks spans of the *original* line, so no mask is masked again (王○明 read as a new
    name, a value holding `*` taken for masked and left raw); overlapping spans are masked once,
    by the first finder whose span covers them all, else whole.
    """
    spans: list[Span] = []
    for value in sorted({k for k in known if k and len(k) > 1}, key=len, reverse=True):
        masked = mask_value(value) or ""
        whole = f"(?<!{_TOKEN_EDGE}){re.escape(value)}(?!{_TOKEN_EDGE})"
        spans += [(m.start(), m.end(), 0, masked) for m in re.finditer(whole, text)]
    # What gezi's PII recognizers find (names, addresses, cards… also percent-encoded in a
    # query string): the evidence of an alert is a few lines, so the full analyzer is cheap.
    spans += [(start, end, 1, pii_masking.mask_value(entity, value))
              for entity, start, end, _score, value in analyze_text(text, entities=_evidence_entities())]
    for rank, (pattern, group, mask) in enumerate(_PATTERNS, start=2):
        for m in pattern.finditer(text):
            # '-' is how logs write "none" (an empty field), not a value to mask
            masked = mask(m.group(group)) if m.group(group) not in ("", "-") else None
            if masked is not None:
                spans.append((m.start(group), m.end(group), rank, masked))
    ips = _ip_spans(text)
    spans = [sp for sp in spans if not any(sp[0] < end and start < sp[1] for start, end in ips)]
    out, pos = [], 0
    for group in _overlapping(sorted(spans)):
        start, end = group[0][0], max(s[1] for s in group)
        cover = [s for s in group if s[0] == start and s[1] == end]
        out += [text[pos:start], min(cover, key=lambda s: s[2])[3] if cover
                else mask_value(unquote_plus(text[start:end])) or ""]
        pos = end
    return "".join(out) + text[pos:]


def _overlapping(spans: list[Span]) -> Iterator[list[Span]]:
    """Sorted spans in groups of overlapping ones."""
    group: list[Span] = []
    for span in spans:
        if group and span[0] >= max(s[1] for s in group):
            yield group
            group = []
        group.append(span)
    if group:
        yield group


def printable(text: str, limit: int = 300) -> str:
    """A line safe to show: control characters escaped, long lines cut."""
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in cut)
    return shown + ("…" if len(text) > limit else "")
