"""E-mail addresses written to keep them from harvesters (wang [at] example [dot] com,
service(at)mail.gov.tw), as web pages and notices write them: found whole, masked keeping their
form, and given the pseudonym of the plain address."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_value

KEY = b"k" * 32


@pytest.mark.parametrize(("text", "value"), [
    ("信箱 wang [at] example [dot] com", "wang [at] example [dot] com"),
    ("聯絡信箱：service(at)mail.gov.tw", "service(at)mail.gov.tw"),
    ("Email: li.mei[at]gmail.com", "li.mei[at]gmail.com"),
    ("信箱 wang（at）example.com.tw", "wang（at）example.com.tw"),
])
def test_found_whole(text, value):
    assert [h[4] for h in analyze_text(text) if h[0] == "EMAIL_ADDRESS"] == [value]


@pytest.mark.parametrize("text", ["(IoT) 系統", "look at (this) page", "meet at] noon"])
def test_brackets_without_an_address(text):
    assert [h for h in analyze_text(text) if h[0] == "EMAIL_ADDRESS"] == []


def test_masked_in_its_form_with_the_plain_addresses_pseudonym():
    assert mask_value("EMAIL_ADDRESS", "wang [at] example [dot] com") == "w*** [at] example [dot] com"
    plain = mask_value("EMAIL_ADDRESS", "wang@example.com", "pseudonym", KEY)
    assert mask_value("EMAIL_ADDRESS", "wang [at] example [dot] com", "pseudonym", KEY) == plain
    fp = mask_value("EMAIL_ADDRESS", "service(at)mail.gov.tw", "pseudonym", KEY, format_preserving=True)
    assert "(at)" in fp and "service" not in fp
