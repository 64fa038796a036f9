"""E-mail addresses percent-encoded in URL query strings (access logs keep them: email=wang%40x.com)."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text, mask_value

KEY = b"k" * 32


def emails(text: str) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text) if e == "EMAIL_ADDRESS"]


@pytest.mark.parametrize(("text", "found"), [
    ('"GET /api/member?mobile=0912345678&email=wang.xm%40example.com.tw HTTP/1.1" 200', ["wang.xm%40example.com.tw"]),
    ("redirect=/login?user=a%2Bb%40ex.co&next=/", ["a%2Bb%40ex.co"]),
    ("信箱：ｗａｎｇ％４０ｅｘ．ｃｏｍ", ["ｗａｎｇ％４０ｅｘ．ｃｏｍ"]),
    ("會員wang%40example.com已登入", ["wang%40example.com"]),  # glued to Chinese text
    ("progress 100%40 percent", []),
    ("x%40y and %40example.com", []),  # no local part or no domain
])
def test_percent_encoded_addresses_are_found(text, found):
    assert emails(text) == found


def test_masking_keeps_the_encoding_and_leaks_nothing():
    line = "GET /api?email=wang.xm%40example.com.tw HTTP/1.1"
    hits = analyze_text(line)
    partial = mask_text(line, hits, "partial")
    assert "wang.xm" not in partial and "w***%40example.com.tw" in partial
    fp = mask_text(line, hits, "pseudonym", key=KEY, format_preserving=True)
    assert "wang.xm" not in fp and "%40example.com" in fp


def test_an_encoded_address_has_the_pseudonym_of_the_plain_one():
    """So a log and the member table still join after masking."""
    assert mask_value("EMAIL_ADDRESS", "Wang%40Example.com", "pseudonym", KEY) == \
        mask_value("EMAIL_ADDRESS", "wang@example.com", "pseudonym", KEY)
