"""Validators a recognizer names in YAML (``validator:``): checksums and plausibility checks.

Each takes the matched text (possibly full-width, with separators) and the recognizer's
``validator_params`` and says whether the value really is that entity. A new recognizer can
reuse any of them without touching the scanner.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import phonenumbers

from gezi.core import twid

_SEPARATORS = re.compile(r"[\s\-.()/#]")
_EXTENSION = re.compile(r"\s*(?:分機|轉|ext\.?|#|x).*$", re.IGNORECASE)


def canonical(value: str) -> str:
    """NFKC, upper case, separators removed: the form checksums and pseudonyms work on."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def tw_national_id(value: str, params: dict[str, Any]) -> bool:
    """國民身分證統一編號 checksum (pii-anchors.md §5.2)."""
    return twid.national_id_is_valid(canonical(value))


def tw_resident_cert(value: str, params: dict[str, Any]) -> bool:
    """Resident certificate: 2021 format (same checksum as the ID) or old two-letter format."""
    v = canonical(value)
    if len(v) == 10 and v[1] in "89":
        return twid.national_id_is_valid(v)
    return twid.old_resident_cert_is_valid(v)


def tw_ubn(value: str, params: dict[str, Any]) -> bool:
    """統一編號 mod-5 checksum incl. the 7th-digit-7 case (pii-anchors.md §5.4)."""
    return twid.ubn_is_valid(canonical(value))


def _prefix_ok(digits: str, prefixes: list[str]) -> bool:
    for spec in prefixes:
        low, _, high = spec.partition("-")
        head = digits[: len(low)]
        if (high and low <= head <= high) or (not high and head == low):
            return True
    return False


_CARD_GROUPS = re.compile(r"\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5}")


def credit_card(value: str, params: dict[str, Any]) -> bool:
    """Luhn check, a known scheme prefix with that scheme's length, card-like grouping."""
    norm = unicodedata.normalize("NFKC", value)
    digits = re.sub(r"[\s-]", "", norm)
    if not 13 <= len(digits) <= 19 or not twid.luhn_is_valid(digits):
        return False
    if digits != norm and not _CARD_GROUPS.fullmatch(norm):
        return False  # 4582-662-102451 is grouped like a bank account, not a card
    return any(len(digits) in scheme["lengths"] and _prefix_ok(digits, scheme["prefixes"])
               for scheme in params.get("schemes", []))


# The number types phonenumbers tries, in its order (_number_type_helper): a number is valid
# when it fits the region's general description and at least one of these.
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                 "uan", "voicemail", "fixed_line", "mobile")
_Desc = tuple[frozenset[int], re.Pattern[str]]


@cache
def _tw_descriptions() -> tuple[_Desc | None, list[tuple[str, _Desc]]]:
    """phonenumbers' numbering-plan metadata for TW, compiled once: the general description
    and those of the number types (possible lengths, national-number pattern)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("TW")

    def compiled(desc: Any) -> _Desc | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)

    types = [(name, c) for name in _NUMBER_TYPES if (c := compiled(getattr(metadata, name, None)))]
    return compiled(metadata.general_desc), types


def _fits(number: str, desc: _Desc) -> bool:
    lengths, pattern = desc
    return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None


@lru_cache(maxsize=1 << 16)
def _tw_number_type(national: str) -> str | None:
    """The type (toll_free, mobile, fixed_line…) of a valid +886 number, None if it is not
    valid: phonenumbers' rules (general description, then the first number type that fits)
    read straight off its metadata, ~8× faster than building a PhoneNumber and letting the
    library walk its generic code path."""
    number = str(int(national))
    general, types = _tw_descriptions()
    if general is None or not _fits(number, general):
        return None
    return next((name for name, desc in types if _fits(number, desc)), None)


def forget_phone_verdicts() -> None:
    """Forget the remembered numbering-plan verdicts."""
    _tw_number_type.cache_clear()


def tw_phone(value: str, params: dict[str, Any]) -> bool:
    """A valid Taiwanese number according to phonenumbers' numbering-plan metadata (TW), of a
    type not in ``exclude_types`` (toll_free: a company's 0800 service line is no personal data);
    ``trunk_zero_lost``: the value lost its leading 0 in a spreadsheet number cell."""
    norm = _EXTENSION.sub("", unicodedata.normalize("NFKC", value)).replace("(0)", "")
    digits = re.sub(r"\D", "", norm)
    if params.get("trunk_zero_lost"):  # a number cell: 0912345678 became 912345678
        digits = norm = "0" + digits
    if digits.startswith("886") and (norm.lstrip().startswith(("+", "886"))):
        national = digits[3:].lstrip("0")
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return False
    if not 7 <= len(national) <= 11:
        return False
    kind = _tw_number_type(national)
    return kind is not None and kind not in params.get("exclude_types", ())


_DATE_PARTS = re.compile(r"(?:民國\s*)?(\d{2,4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_COMPACT_ROC = re.compile(r"(\d{2,3})(\d{2})(\d{2})")  # 0790503, 790503: ROC year first
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")  # 03/05/1990
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
# March 21, 1986 / 21 March 1986 / 21 MAR 1986 (passports, English forms): month, day, year.
ENGLISH_DATE = re.compile(r"(?:(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2})(?P<o1>st|nd|rd|th)?,?"
                          r"|(?P<d2>\d{1,2})(?P<o2>st|nd|rd|th)?\s+(?P<m2>[A-Za-z]{3,9})\.?,?)\s+(?P<y>\d{4})")


def english_month(name: str) -> int | None:
    """1–12 for an English month name or its abbreviation (Mar, MAR, Sept), else None."""
    low = name.lower()
    return next((i for i, full in enumerate(MONTH_NAMES, 1)
                 if len(low) >= 3 and (full.lower().startswith(low) or (low == "sept" and i == 9))), None)
CHINESE_DIGITS = "〇一二三四五六七八九"
_CHINESE_VALUE = {c: i for i, c in enumerate(CHINESE_DIGITS)} | {"零": 0, "○": 0}
CHINESE_NUMBER = re.compile(f"[{CHINESE_DIGITS}零○十百]+")
_CHINESE_DATE = re.compile(f"({CHINESE_NUMBER.pattern})年({CHINESE_NUMBER.pattern})月"
                           f"({CHINESE_NUMBER.pattern})日")


_MOBILE = re.compile(r"09[0-9]{8}")


def bank_account(value: str, params: dict[str, Any]) -> bool:
    """Not a Taiwanese mobile number: a column named 帳號 often holds the phone number a
    member logs in with (0912345678), which is reported as PHONE_NUMBER instead."""
    return _MOBILE.fullmatch(_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))) is None


def latin_name(value: str, params: dict[str, Any]) -> bool:
    """A name in Latin script holds none of ``not_words`` (Inc, Department, Act…: the words
    of organisations, roles and titles of laws, written after a Name label just as often)."""
    banned = _lowered(tuple(params.get("not_words", ())))
    return not any(word.lower().rstrip(".") in banned for word in re.split(r"[\s,\-]+", value))


@cache
def _lowered(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.lower() for w in words)


def chinese_number(text: str) -> int | None:
    """The value of a number in Chinese numerals as dates write them: 七十 70, 一百零五 105,
    十二 12, 一九八一 1981 (digit by digit when there is no 十 or 百)."""
    if "十" not in text and "百" not in text:
        digits = [_CHINESE_VALUE.get(c) for c in text]
        return None if None in digits else int("".join(map(str, digits)))
    total, current = 0, 0
    for ch in text:
        if ch in "十百":
            total += (current or 1) * (10 if ch == "十" else 100)
            current = 0
        elif (digit := _CHINESE_VALUE.get(ch)) is not None:
            current = digit
        else:
            return None
    return total + current


def chinese_numeral(n: int, positional: bool = True) -> str:
    """``n`` (0–999) in Chinese numerals as dates and addresses write them: 七十, 一百零五,
    一百一十二, 十二, 三十一; not positional: digit by digit (一九八一). The inverse of
    chinese_number."""
    if not positional:
        return "".join(CHINESE_DIGITS[int(d)] for d in str(n))
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = CHINESE_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else CHINESE_DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (CHINESE_DIGITS[ones] if ones or not out else "")


def parse_birth_date(value: str) -> dt.date | None:
    """The date a birth-date string names (ROC years of 2–3 digits are +1911; Chinese numerals
    as in 民國七十年五月三日), if plausible."""
    norm = unicodedata.normalize("NFKC", value)
    if m := ENGLISH_DATE.fullmatch(norm.strip()):
        month = english_month(m["m1"] or m["m2"])
        return None if month is None else _plausible(int(m["y"]), month, int(m["d1"] or m["d2"]))
    if m := _YEAR_LAST.fullmatch(norm.strip()):
        # Day first (03/05/1990 in most of the world), else month first (US forms).
        first, second, year = (int(g) for g in m.groups())
        return _plausible(year, second, first) or _plausible(year, first, second)
    m = _DATE_PARTS.search(norm) or _COMPACT.fullmatch(norm) or _COMPACT_ROC.fullmatch(norm)
    if m:
        year, month, day = (int(g) for g in m.groups())
    elif m := _CHINESE_DATE.search(norm):
        parts = [chinese_number(g) for g in m.groups()]
        if None in parts:
            return None
        year, month, day = parts
    else:
        return None
    return _plausible(year + 1911 if year < 1000 else year, month, day)


def _plausible(year: int, month: int, day: int) -> dt.date | None:
    """The date, if it is a real one between 1900 and today."""
    try:
        day_ = dt.date(year, month, day)
    except ValueError:
        return None
    return day_ if dt.date(1900, 1, 1) <= day_ <= dt.date.today() else None


def year_last(value: str) -> str | None:
    """``"dmy"`` or ``"mdy"`` for a date written with the year last (03/05/1990), as
    parse_birth_date reads it; None for other forms."""
    m = _YEAR_LAST.fullmatch(unicodedata.normalize("NFKC", value).strip())
    if m is None:
        return None
    first, second, year = (int(g) for g in m.groups())
    return "dmy" if _plausible(year, second, first) else "mdy"


def birth_date(value: str, params: dict[str, Any]) -> bool:
    """A real calendar date between 1900 and today."""
    return parse_birth_date(value) is not None


def ip_address(value: str, params: dict[str, Any]) -> bool:
    """IPv4 or IPv6 address according to Python's ipaddress."""
    norm = unicodedata.normalize("NFKC", value)
    if ":" in norm and norm.count(":") < 2:
        return False
    try:
        ipaddress.ip_address(norm)
    except ValueError:
        return False
    return True


# ICAO Doc 9303 Part 3 check digits: digits keep their value, A–Z count 10–35, the filler < 0.
_MRZ_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}
_MRZ_WEIGHTS = (7, 3, 1)
_TD3_LINE = 44


def mrz_check_digit(field: str) -> int | None:
    """ICAO 9303 Part 3 check digit of an MRZ field: weights 7, 3, 1 repeating, sum mod 10
    (None if the field holds a character the MRZ does not use)."""
    total = 0
    for i, ch in enumerate(field):
        value = _MRZ_VALUE.get(ch)
        if value is None:
            return None
        total += value * _MRZ_WEIGHTS[i % 3]
    return total % 10


def _digit_ok(field: str, check: str) -> bool:
    digit = mrz_check_digit(field)
    return digit is not None and check == str(digit)


def mrz_td3(value: str, params: dict[str, Any]) -> bool:
    """Line 2 of a passport MRZ (ICAO 9303 Part 4, TD3, 44 characters) whose check digits all
    hold: document number, birth date, expiry date, optional data, composite.

    ``nationalities`` (optional list) restricts the three-letter code at positions 11–13,
    which Part 4 defines as the holder's nationality (the issuing state is on line 1).
    """
    line = unicodedata.normalize("NFKC", value)
    if len(line) != _TD3_LINE:
        return False
    allowed = params.get("nationalities")
    if allowed and line[10:13] not in allowed:
        return False
    optional, optional_check = line[28:42], line[42]
    # Part 4 lets the optional-data check digit be the filler when that field is all fillers
    # (the digit would be 0).
    optional_ok = (optional_check == "<" and optional == "<" * 14) or _digit_ok(optional, optional_check)
    return (optional_ok
            and _digit_ok(line[0:9], line[9])
            and _digit_ok(line[13:19], line[19])
            and _digit_ok(line[21:27], line[27])
            # The composite covers number, birth date and expiry with their check digits,
            # and the optional data with its own (not the nationality nor the sex).
            and _digit_ok(line[0:10] + line[13:20] + line[21:43], line[43]))


VALIDATORS: dict[str, Callable[[str, dict[str, Any]], bool]] = {
    "tw_national_id": tw_national_id,
    "tw_resident_cert": tw_resident_cert,
    "tw_ubn": tw_ubn,
    "credit_card": credit_card,
    "tw_phone": tw_phone,
    "bank_account": bank_account,
    "latin_name": latin_name,
    "birth_date": birth_date,
    "ip_address": ip_address,
    "mrz_td3": mrz_td3,
}
