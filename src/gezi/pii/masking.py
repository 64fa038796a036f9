"""Masking personal data: partial (Taiwanese display convention), redact, keyed pseudonyms.

- ``partial``: A12****789, 王○明, 0912-***-678 — how many characters stay is data
  (``mask_keep`` in recognizers.yaml).
- ``redact``: ``[TW_NATIONAL_ID]``.
- ``pseudonym``: HMAC-SHA256 under a secret key of the canonical value, so the same person gets
  the same pseudonym in every file and table (joins keep working) and nobody without the key can
  recompute it. ``format_preserving`` makes the pseudonym look like the real thing: a national
  ID that passes the checksum, a phone number that is still a Taiwanese phone number.

Which style an entity uses (partial, format-preserving pseudonym, canonical form for the hash)
is data: ``masking.yaml`` names one of the styles of ``PARTIAL_STYLES``, ``PSEUDONYM_STYLES`` and
``CANONICAL_STYLES`` per entity; an entity it does not list gets its ``default`` styles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import string
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from gezi.catalog.loader import load_yaml_model
from gezi.catalog.schema import Source, Strict
from gezi.core import twid
from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_text
from gezi.pii.percent import holds_encoded_text, masked_encoded
from gezi.pii.registry import get_registry, pii_data_file
from gezi.pii.validators import (
    CHINESE_NUMBER,
    ENGLISH_DATE,
    MONTH_NAMES,
    canonical,
    chinese_numeral,
    parse_birth_date,
    year_last,
)

METHODS = ("partial", "redact", "pseudonym")
NAME_MASK = "○"
KEY_ENV = "GEZI_MASK_KEY"

_CJK = re.compile(r"[\u3400-\u9fff]")
_ROAD_END = re.compile(r".*(?:路|街|大道|段)")
_ADDRESS_UNITS = frozenset("鄰路街段巷弄號樓室之村里區鄉鎮市縣大道")
_NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十百千〇零兩]")
_NEIGHBOURHOOD = re.compile(r"[0-9０-９一二三四五六七八九十百千〇零兩]+(?=鄰)")
# The road word of an address in English form (No. 5, Ln. 188, Wenhua Rd., Banqiao Dist.).
_ENGLISH_ROAD_END = re.compile(r".*(?<![A-Za-z])(?:rd|road|st|street|blvd|boulevard|ave|avenue)\b\.?",
                               re.IGNORECASE)


def load_key(key_file: Path | None = None) -> bytes:
    """The pseudonym key from a file or from GEZI_MASK_KEY; a one-line error if neither."""
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise GeziError(f"無法讀取金鑰檔 cannot read key file {key_file}: {exc.strerror}") from None
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if len(key) < 16:
        raise GeziError(f"假名化需要至少 16 位元組的金鑰 pseudonym needs a key of ≥ 16 bytes: "
                        f"--key-file FILE or {KEY_ENV}")
    return key


def _mask_alnum(value: str, keep_start: int, keep_end: int, char: str = "*") -> str:
    """Mask letters and digits except the first/last ones; separators stay."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    if len(positions) <= keep_start + keep_end:
        keep_start, keep_end = (1, 0) if len(positions) > 1 else (0, 0)
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join(char if i in hidden else ch for i, ch in enumerate(value))


def _partial_name(value: str, keep: tuple[int, int]) -> str:
    if _CJK.search(value):
        chars = value.strip()
        # A name padded to the width of three (李　四) is a two-character name: 李　○, not 李○四.
        letters = [i for i, ch in enumerate(chars) if not ch.isspace()]
        if len(letters) == 1:
            return chars + NAME_MASK
        hidden = letters[1:-1] if len(letters) > 2 else letters[1:]
        return "".join(NAME_MASK if i in hidden else ch for i, ch in enumerate(chars))
    return " ".join(w[0] + "*" * (len(w) - 1) for w in value.split())


_PHONE_HIDDEN = 3  # digits a partially masked phone number hides at least (0912-***-678)
# An extension after the number (分機 22, 轉123, #12, ext. 321): its words stay, its digits go,
# and the number before it is masked by itself (02-87**-*321 分機 **, not 02-87**-**** *機 22).
_EXTENSION = re.compile(r"(?:[ \u3000]?(?:分機|轉|[Ee][Xx][Tt]\.?|[#＃xX])[ \u3000]?[0-9０-９]{1,6})$")


def _partial_phone(value: str, keep: tuple[int, int]) -> str:
    ext = _EXTENSION.search(value)
    if ext and ext.start() > 0:
        return _partial_phone(value[:ext.start()], keep) + re.sub(r"[0-9０-９]", "*", ext.group())
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if _lost_its_zero(digits):  # masked with its 0 (912-***-678 keeps what 0912-***-678 keeps),
        return _partial_phone("0" + value, keep)[1:]  # which is then left out again, not invented
    if len(digits) == 10 and digits.startswith("09"):
        return f"{digits[:4]}-***-{digits[-3:]}"
    # A local number without its area code (2345-6789) hides as many digits as a full one
    # does (02-23**-*789), not one (2345-*789).
    start, end = keep
    return _mask_alnum(value, min(start, max(0, len(digits) - end - _PHONE_HIDDEN)), end)


def _lost_its_zero(digits: str) -> bool:
    """A national number that lost its 0 in a spreadsheet number cell: nine digits, the first
    one a number's after its 0 (912345678, 223456789). Eight digits may be a local number
    without its area code (2345-6789), which never had a 0."""
    return len(digits) == 9 and digits[0] in _TRUNK_LOST_FIRST


def _partial_address(value: str, keep: tuple[int, int]) -> str:
    """County, district and road stay; numbers and anything else after the road become ○,
    unit words (巷, 弄, 號, 樓…) stay: 台北市大安區忠孝東路四段○○○號○樓."""
    if value.isascii():
        # English form, smallest unit first: the numbers up to the road (floor, house number,
        # lane) are masked; road, district, city and postal code stay.
        m = _ENGLISH_ROAD_END.match(value)
        cut = m.end() if m else len(value)
        return re.sub(r"[0-9]", "*", value[:cut]) + value[cut:]
    m = _ROAD_END.match(value)
    cut = m.end() if m else min(6, len(value) - 1)
    tail = "".join(ch if ch in _ADDRESS_UNITS and not _NUMERAL.match(ch) else NAME_MASK
                   for ch in value[cut:])
    # A 鄰 (a few dozen households) before the road narrows more than the road does: 大城里○鄰中山路.
    head = _NEIGHBOURHOOD.sub(lambda n: NAME_MASK * len(n.group()), value[:cut])
    return head + tail


def _partial_ip(value: str, keep: tuple[int, int]) -> str:
    if "." in value:
        parts = value.split(".")
        return ".".join(parts[:2] + ["*"] * (len(parts) - 2))
    parts = value.split(":")
    return ":".join(parts[:2] + ["*"] * (len(parts) - 2))


# @ and . written to keep an address from harvesters: wang [at] example [dot] com
_AT_WORD = re.compile(r"[ ]?[\[(（【<][ ]?at[ ]?[\])）】>][ ]?")
_DOT_WORD = re.compile(r"[ ]?[\[(（【<][ ]?dot[ ]?[\])）】>][ ]?")


def _email_parts(value: str) -> tuple[str, str, str]:
    """(local part, separator, domain) of an e-mail address written with @, in a URL query
    string percent-encoded as %40, or as [at] (full-width forms too: NFKC keeps their positions)."""
    norm = unicodedata.normalize("NFKC", value).lower()
    at = norm.find("@")
    width = 1
    if at < 0 and (at := norm.find("%40")) >= 0:
        width = 3
    if at < 0 and (word := _AT_WORD.search(norm)):
        at, width = word.start(), len(word.group())
    if at < 0:
        return value, "", ""
    return value[:at], value[at : at + width], value[at + width :]


def _partial_email(value: str, keep: tuple[int, int]) -> str:
    local, sep, domain = _email_parts(value)
    return f"{local[:1]}***{sep or '@'}{domain}"


def _partial_date(value: str, keep: tuple[int, int]) -> str:
    """The first number stays (民國80年*月*日, 1990-**-**); a compact date (19900512) is that one
    number, so it keeps only ``mask_keep``: 1990****."""
    norm = unicodedata.normalize("NFKC", value)
    first = re.search(r"\d+", norm)
    if first is None and (first := CHINESE_NUMBER.search(value)):  # 民國七十年五月三日
        return value[:first.end()] + CHINESE_NUMBER.sub("*", value[first.end():])
    if year_last(value) or ENGLISH_DATE.fullmatch(norm.strip()):  # 03/05/1990, March 21, 1986
        year = list(re.finditer(r"[0-9０-９]+", value))[-1]  # the year is the last number
        return re.sub(r"[0-9０-９A-Za-z]", "*", value[:year.start()]) + value[year.start():]
    if first and not re.search(r"\d", norm[first.end() :]):
        if len(first.group()) < 8:  # ROC 0790503 / 790503: the year is 3 or 2 digits
            return _mask_alnum(value, len(first.group()) - 4, 0)
        return _mask_alnum(value, *keep)
    cut = first.end() if first else 0
    return value[:cut] + re.sub(r"[0-9０-９]", "*", value[cut:])


def _partial_alnum(value: str, keep: tuple[int, int]) -> str:
    return _mask_alnum(value, *keep)


# Partial styles by name: (value, mask_keep of the entity's recognizer) -> masked value.
PARTIAL_STYLES: dict[str, Callable[[str, tuple[int, int]], str]] = {
    "alnum": _partial_alnum,
    "name": _partial_name,
    "phone": _partial_phone,
    "email": _partial_email,
    "address": _partial_address,
    "ip": _partial_ip,
    "date": _partial_date,
}


class _Stream:
    """Deterministic pseudo-random choices from HMAC(key, message), extended by a counter."""

    def __init__(self, key: bytes, message: str) -> None:
        self._key, self._msg, self._buf, self._n = key, message.encode(), b"", 0

    def byte(self) -> int:
        if not self._buf:
            self._buf = hmac.new(self._key, self._msg + self._n.to_bytes(4, "big"),
                                 hashlib.sha256).digest()
            self._n += 1
        b, self._buf = self._buf[0], self._buf[1:]
        return b

    def choice(self, seq: str | tuple[str, ...]) -> str:
        # 256 is not a multiple of most lengths; rejection sampling keeps choices uniform.
        limit = 256 - 256 % len(seq)
        while (b := self.byte()) >= limit:
            pass
        return seq[b % len(seq)]

    def digits(self, n: int) -> str:
        return "".join(self.choice(string.digits) for _ in range(n))

    def hexdigest(self, n: int) -> str:
        return "".join(f"{self.byte():02x}" for _ in range((n + 1) // 2))[:n]


def _reshape(original: str, new: str, slot: Callable[[str], bool] = str.isalnum) -> str:
    """Put the characters of ``new`` into the positions of ``original`` whose characters are
    ``slot`` ones (letters and digits unless told)."""
    slots = [i for i, ch in enumerate(original) if slot(ch)]
    if len(slots) != len(new):
        return new
    out = list(original)
    for i, ch in zip(slots, new, strict=True):
        out[i] = ch
    return "".join(out)


def _canonical_email(value: str) -> str:
    """wang%40example.com in a log and wang [at] example [dot] com on a web page are the same
    person as wang@example.com."""
    local, sep, domain = _email_parts(value.strip())
    domain = _DOT_WORD.sub(".", unicodedata.normalize("NFKC", domain).lower())
    return unicodedata.normalize("NFKC", f"{local}@{domain}" if sep else value.strip()).lower()


def _canonical_text(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value).strip()).replace("台", "臺")


def _canonical_name(value: str) -> str:
    """A Chinese name without the padding that aligns it (李　四 is 李四); a Latin one as text."""
    text = _canonical_text(value)
    return re.sub(r"\s", "", text) if _CJK.search(text) else text


_TRUNK_LOST_FIRST = frozenset("23456789")  # a national number without its 0 starts so


def _canonical_phone(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if digits.startswith("886"):
        return "0" + digits[3:]
    # 912345678 is 0912345678 that lost its 0 in a spreadsheet number cell: one pseudonym.
    return "0" + digits if digits[:1] in _TRUNK_LOST_FIRST else digits


# Canonical forms by name: the form a value is hashed in, so that spellings of one value (A123-
# 456-789 and Ａ１２３４５６７８９, +886 912… and 0912…) get one pseudonym.
CANONICAL_STYLES: dict[str, Callable[[str], str]] = {
    "compact": canonical,  # NFKC, upper case, separators removed
    "text": _canonical_text,  # NFKC, spaces collapsed, 台 → 臺
    "name": _canonical_name,  # as text; a Chinese name without spaces (李　四 = 李四)
    "phone": _canonical_phone,
    "email": _canonical_email,
}


def _fp_generic(s: _Stream, value: str, cjk: bool = False) -> str:
    reg = get_registry()
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        if ch.isdigit():
            out.append(s.choice(string.digits))
        elif ch.isascii() and ch.isalpha():
            letter = s.choice(string.ascii_uppercase)
            out.append(letter if ch.isupper() else letter.lower())
        elif cjk and _CJK.match(ch) and ch not in _ADDRESS_UNITS:
            out.append(s.choice(reg.names.pseudonym_given_chars))
        else:
            out.append(ch)
    return "".join(out)


def _fp_id_number(s: _Stream, value: str, second: str) -> str:
    """An ID number (one letter, ``second`` digit, 8 digits) with a valid check digit."""
    if len(canonical(value)) != 10:
        return _fp_generic(s, value)
    head = s.choice(string.ascii_uppercase) + s.choice(second) + s.digits(7)
    return _reshape(value, head + twid.national_id_check_digit(head))


def _fp_national_id(s: _Stream, value: str) -> str:
    return _fp_id_number(s, value, "12")


def _fp_resident_cert(s: _Stream, value: str) -> str:
    return _fp_id_number(s, value, "89")  # the 2021 format


def _fp_ubn(s: _Stream, value: str) -> str:
    if len(canonical(value)) != 8:
        return _fp_generic(s, value)
    head = s.digits(7)
    return _reshape(value, next(head + d for d in string.digits if twid.ubn_is_valid(head + d)))


def _fp_card(s: _Stream, value: str) -> str:
    digits = canonical(value)
    if not digits.isdigit():
        return _fp_generic(s, value)
    payload = digits[:6] + s.digits(len(digits) - 7)
    return _reshape(value, payload + twid.luhn_check_digit(payload))


def _fp_phone(s: _Stream, value: str) -> str:
    """Still a Taiwanese number: 09 or the area code (886 and its next digit) stay. A mobile
    number without its 0 gets the pseudonym of the number with it, without the 0: the same
    person still gets the same digits, and the cell keeps its 9-digit form."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if _lost_its_zero(digits):
        return _fp_phone(s, "0" + value)[1:]
    if digits.startswith("886"):
        new = "886" + digits[3:4] + s.digits(len(digits) - 4)
    else:
        keep = 2 if digits.startswith("09") else min(3, len(digits) - 4)
        new = digits[:keep] + s.digits(len(digits) - keep)
    slots = [i for i, ch in enumerate(value) if ch.isdigit() or "０" <= ch <= "９"]
    out = list(value)
    for i, ch in zip(slots, new, strict=False):
        out[i] = ch
    return "".join(out)


def _fp_email(s: _Stream, value: str) -> str:
    sep = _email_parts(value)[1]  # %40 and [at] are written the same way, any @ as @
    if not (len(sep) == 3 or _AT_WORD.fullmatch(unicodedata.normalize("NFKC", sep).lower())):
        sep = "@"
    return f"user{s.hexdigest(10)}{sep}example.com"


_MRZ_NAME = re.compile(r"[A-Z]+(?:<{1,2}[A-Z]+)*")


def _reshape_name(original: str, new: str) -> str:
    """The characters of ``new`` in the non-space positions of ``original`` (its padding kept)."""
    return _reshape(original, new, lambda ch: not ch.isspace())


def _fp_name(s: _Stream, value: str) -> str:
    reg = get_registry()
    chars = value.strip()
    if _MRZ_NAME.fullmatch(chars):
        # A passport MRZ name (LIN<<MEI<HUA): letters replaced one for one and the fillers
        # kept, so the 44-character line keeps its layout.
        return "".join(ch if ch == "<" else s.choice(string.ascii_uppercase) for ch in chars)
    if _CJK.search(chars):
        letters = [ch for ch in chars if not ch.isspace()]
        given = "".join(s.choice(reg.names.pseudonym_given_chars) for _ in range(max(1, len(letters) - 1)))
        # A padded name (李　四) keeps its padding: 秦　家.
        return _reshape_name(chars, s.choice(reg.names.pseudonym_surnames) + given)
    syllables = ("ka", "li", "mo", "ren", "sa", "to", "wei", "ya", "chen", "hu", "lin", "jun")
    return " ".join((s.choice(syllables) + s.choice(syllables)).capitalize() for _ in chars.split())


_ADMIN_PREFIX = re.compile(r"^([0-9０-９ ]*[^\s\d]{2}[縣市])([^\s\d]{1,3}?[鄉鎮市區])?")


def _fp_address(s: _Stream, value: str) -> str:
    """County and district stay (they are not personal), road and numbers are replaced; a
    value that is only a county and district (a column of 高雄市三民區) keeps the county. In
    English form the numbers up to the road are replaced, as partial masks them."""
    if value.isascii():
        m = _ENGLISH_ROAD_END.match(value)
        cut = m.end() if m else len(value)
        return re.sub(r"[0-9]", lambda _: s.choice(string.digits), value[:cut]) + value[cut:]
    m = _ADMIN_PREFIX.match(value)
    cut = 0 if m is None else m.end() if m.end() < len(value) else m.end(1) % len(value)
    return value[:cut] + _fp_generic(s, value[cut:], cjk=True)


def _fp_ip(s: _Stream, value: str) -> str:
    if ":" in value:  # a unique-local IPv6 address (fd00::/8)
        return "fd" + s.hexdigest(2) + ":" + ":".join(s.hexdigest(4) for _ in range(7))
    return "10." + ".".join(str(s.byte()) for _ in range(3))  # private range, never routable


def _fp_date(s: _Stream, value: str) -> str:
    """Another real date of the same form (ROC or Gregorian, same separators)."""
    day = parse_birth_date(value)
    if day is None:
        return _fp_generic(s, value)
    new = day + dt.timedelta(days=int.from_bytes(bytes([s.byte(), s.byte()]), "big") % 730 - 365)
    groups = list(re.finditer(r"[0-9０-９]+", value))
    if english := ENGLISH_DATE.fullmatch(unicodedata.normalize("NFKC", value).strip()):
        return _english_date(english, new)
    order = year_last(value)
    if order:  # 03/05/1990: the same order, another date
        first, second = (new.day, new.month) if order == "dmy" else (new.month, new.day)
        parts = [f"{first:0{len(groups[0].group())}d}", f"{second:0{len(groups[1].group())}d}",
                 str(new.year)]
        return _put_numbers(value, groups, parts)
    if not groups:  # Chinese numerals: the same era, and the year written the same way
        year_part = CHINESE_NUMBER.search(value)
        if year_part is None:
            return _fp_generic(s, value)
        roc = "民國" in value or len(year_part.group()) < 4
        year = chinese_numeral(new.year - 1911 if roc else new.year,
                                positional="十" in year_part.group() or "百" in year_part.group())
        return (value[:year_part.start()] + f"{year}年{chinese_numeral(new.month)}月"
                f"{chinese_numeral(new.day)}日")
    if len(groups) == 1:  # compact: 19900512, or ROC 0790512 / 790512
        roc = new.year - 1911
        if len(value) == 7 or (len(value) == 6 and roc >= 100):
            return f"{roc:03d}{new.month:02d}{new.day:02d}"
        return f"{roc:02d}{new.month:02d}{new.day:02d}" if len(value) == 6 else new.strftime("%Y%m%d")
    year = new.year if len(groups[0].group()) == 4 else new.year - 1911
    parts = [str(year), f"{new.month:0{len(groups[1].group())}d}",
             f"{new.day:0{len(groups[2].group())}d}"]
    return _put_numbers(value, groups, parts)


def _english_date(m: re.Match[str], new: dt.date) -> str:
    """``new`` written as the English date ``m`` (an ENGLISH_DATE match) is: the same order,
    the day zero-padded if it was, the month name in the same case and length (March, Mar, MAR)."""
    month_group, day_group, ordinal = ("m1", "d1", "o1") if m["m1"] else ("m2", "d2", "o2")
    name = MONTH_NAMES[new.month - 1]
    if len(m[month_group]) <= 4:
        name = name[:3]
    if m[month_group].isupper():
        name = name.upper()
    elif m[month_group].islower():
        name = name.lower()
    day = f"{new.day:02d}" if m[day_group].startswith("0") else str(new.day)  # 05 MAR stays two digits
    parts = {"y": str(new.year), day_group: day, month_group: name}
    if m[ordinal]:  # 3rd → 21st
        parts[ordinal] = "th" if 11 <= new.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(new.day % 10, "th")
    out, base = m.group(), m.start()
    for group in sorted(parts, key=m.start, reverse=True):  # from the right: offsets stay valid
        out = out[:m.start(group) - base] + parts[group] + out[m.end(group) - base:]
    return out


def _put_numbers(value: str, groups: list[re.Match[str]], parts: list[str]) -> str:
    """``value`` with its first three numbers (``groups``) replaced by ``parts``."""
    out, pos = [], 0
    for g, part in zip(groups[:3], parts, strict=True):
        out += [value[pos : g.start()], part]
        pos = g.end()
    return "".join(out) + value[pos:]


# Format-preserving pseudonym styles by name: (stream, value) -> a value of the same form.
PSEUDONYM_STYLES: dict[str, Callable[[_Stream, str], str]] = {
    "generic": _fp_generic,  # each digit and ASCII letter replaced, everything else kept
    "national_id": _fp_national_id,
    "resident_cert": _fp_resident_cert,
    "ubn": _fp_ubn,
    "card": _fp_card,
    "phone": _fp_phone,
    "email": _fp_email,
    "name": _fp_name,
    "address": _fp_address,
    "ip": _fp_ip,
    "date": _fp_date,
}


def _known(styles: dict[str, object], kind: str) -> Callable[[str], str]:
    def check(name: str) -> str:
        if name not in styles:
            raise ValueError(f"unknown {kind} style {name!r}; known: {', '.join(sorted(styles))}")
        return name
    return check


PartialStyle = Annotated[str, AfterValidator(_known(PARTIAL_STYLES, "partial"))]
PseudonymStyle = Annotated[str, AfterValidator(_known(PSEUDONYM_STYLES, "pseudonym"))]
CanonicalStyle = Annotated[str, AfterValidator(_known(CANONICAL_STYLES, "canonical"))]


class EntityStyles(Strict):
    """The styles of one entity; a style it leaves out is the file's default."""

    partial: PartialStyle | None = None
    pseudonym: PseudonymStyle | None = None
    canonical: CanonicalStyle | None = None


class Styles(Strict):
    """All three styles: the file's default, or an entity's with the default filling in what
    it leaves out."""

    partial: PartialStyle
    pseudonym: PseudonymStyle
    canonical: CanonicalStyle


class MaskingFile(Strict):
    """masking.yaml (schema gezi.pii-masking/1)."""

    schema_: Literal["gezi.pii-masking/1"] = Field(alias="schema")
    id: str
    version: str
    source: Source
    default: Styles
    entities: dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")], EntityStyles]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@cache
def _load_styles(pii_dir: str | None) -> tuple[dict[str, Styles], Styles]:
    del pii_dir  # the cache key: GEZI_PII_DIR may replace the file (see registry.pii_data_file)
    table = load_yaml_model(pii_data_file("masking.yaml"), MaskingFile)
    base = table.default.model_dump()
    return ({entity: Styles(**(base | styles.model_dump(exclude_none=True)))
             for entity, styles in table.entities.items()}, table.default)


def styles_for(entity: str) -> Styles:
    """The partial, pseudonym and canonical style names of an entity (masking.yaml, cached per
    GEZI_PII_DIR); a malformed file is a one-line CatalogError."""
    by_entity, default = _load_styles(os.environ.get("GEZI_PII_DIR"))
    return by_entity.get(entity, default)


def partial(entity: str, value: str) -> str:
    """The Taiwanese display convention: A12****789, 王○明, 0912-***-678 (percent-encoded
    values decoded first and encoded again)."""
    if holds_encoded_text(value):
        return masked_encoded(value, lambda plain: partial(entity, plain))
    spec = get_registry().spec_for(entity)
    keep = spec.mask_keep if spec else (1, 1)
    return PARTIAL_STYLES[styles_for(entity).partial](value, keep)


def pseudonym(entity: str, value: str, key: bytes, format_preserving: bool = False) -> str:
    """A deterministic keyed pseudonym of ``value`` (never equal to it).

    A value with no form to preserve (無, -, 不詳, 請洽客服 in a column of national IDs or
    phones) gets the plain keyed token instead of stopping the whole file."""
    styles = styles_for(entity)
    canon = CANONICAL_STYLES[styles.canonical]
    base = canon(value)
    for fp in (True, False) if format_preserving else (False,):
        for attempt in range(16):
            s = _Stream(key, f"{entity}\x00{base}\x00{attempt}")
            out = (PSEUDONYM_STYLES[styles.pseudonym](s, value) if fp
                   else f"{entity.lower()}_{s.hexdigest(12)}")
            if canon(out) != base:
                return out
    raise GeziError(f"無法產生假名 cannot derive a pseudonym for a {entity} value")


def mask_value(entity: str, value: str, method: str = "partial", key: bytes | None = None,
               format_preserving: bool = False) -> str:
    """Mask one value of an entity type with a method: partial, redact or pseudonym. A value
    percent-encoded in a URL (%E7%8E%8B…) is masked decoded and encoded again."""
    if holds_encoded_text(value):
        return masked_encoded(value, lambda plain: mask_value(entity, plain, method, key,
                                                               format_preserving))
    if method == "partial":
        return partial(entity, value)
    if method == "redact":
        return f"[{entity}]"
    if method == "pseudonym":
        if key is None:
            raise GeziError(f"假名化需要金鑰 pseudonym needs a key (--key-file or {KEY_ENV})")
        return pseudonym(entity, value, key, format_preserving)
    raise GeziError(f"未知的遮蔽方式 unknown masking method {method!r}; use {', '.join(METHODS)}")


@lru_cache(maxsize=4096)
def masked_label(label: str) -> str:
    """A column name, header cell or sheet name with the personal data in it masked (partial):
    a header such as 客戶：林志強 0912-345-678 locates a finding and must not show its value."""
    hits = analyze_text(label)
    return mask_text(label, hits, "partial") if hits else label


def mask_text(text: str, hits: list[tuple[str, int, int, float, str]], method: str = "partial",
              key: bytes | None = None, format_preserving: bool = False) -> str:
    """``text`` with every hit (from analyze_text) replaced by its masked form."""
    out: list[str] = []
    pos = 0
    for entity, start, end, _score, value in sorted(hits, key=lambda h: h[1]):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(mask_value(entity, value, method, key, format_preserving))
        pos = end
    out.append(text[pos:])
    return "".join(out)
