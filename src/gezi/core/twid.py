"""Checksums of Taiwanese identifiers, shared by the register (org UBN) and the PII recognizers.

Rules from ../shared/reference/pii-anchors.md §5.2–5.4.
"""

from __future__ import annotations

_UBN_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def _digit_sum(n: int) -> int:
    return n // 10 + n % 10


def ubn_is_valid(ubn: str) -> bool:
    """統一編號 check with the mod-5 rule in force since 2023-04-01.

    When the 7th digit is 7 its product (28 → 10) may count as 1 or 0, so Z+1 also passes.
    """
    if len(ubn) != 8 or not ubn.isascii() or not ubn.isdigit():
        return False
    z = sum(_digit_sum(int(d) * w) for d, w in zip(ubn, _UBN_WEIGHTS, strict=True))
    if z % 5 == 0:
        return True
    return ubn[6] == "7" and (z + 1) % 5 == 0


# Letter codes of the national ID: A=10 … Z=33, in the order household registration assigned them.
LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18,
    "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27,
    "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}
_ID_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)


def _id_sum(letter: str, second: int, rest: str) -> int:
    code = LETTER_CODES[letter]
    digits = [second, *(int(c) for c in rest)]
    return code // 10 + (code % 10) * 9 + sum(d * w for d, w in zip(digits, _ID_WEIGHTS, strict=True))


def national_id_is_valid(value: str) -> bool:
    """國民身分證統一編號 (A123456789) and the 2021 new-format resident certificate (A800000014)."""
    if len(value) != 10 or value[0] not in LETTER_CODES or not value[1:].isdigit():
        return False
    if not value.isascii():
        return False
    return _id_sum(value[0], int(value[1]), value[2:]) % 10 == 0


def old_resident_cert_is_valid(value: str) -> bool:
    """Old two-letter resident certificate (e.g. AC01234567): the second letter counts 0–3."""
    if len(value) != 10 or value[0] not in LETTER_CODES or value[1] not in "ABCD":
        return False
    if not value[2:].isascii() or not value[2:].isdigit():
        return False
    return _id_sum(value[0], "ABCD".index(value[1]), value[2:]) % 10 == 0


def national_id_check_digit(first9: str) -> str:
    """The last digit that makes ``first9`` (letter + 8 digits, second digit 1/2/8/9) valid."""
    total = _id_sum(first9[0], int(first9[1]), first9[2:] + "0")
    return str((10 - total % 10) % 10)


def luhn_is_valid(digits: str) -> bool:
    """Luhn (mod 10) check used by payment card numbers (pii-anchors.md §5.5)."""
    if not digits.isascii() or not digits.isdigit() or len(digits) < 2:
        return False
    return _luhn_sum(digits) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit to append to ``payload`` so that the result passes the Luhn check."""
    return str((10 - _luhn_sum(payload + "0") % 10) % 10)


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total
