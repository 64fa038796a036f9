"""Taiwanese addresses in English form (中華郵政 地址英譯: smallest unit first), as written on
shipping labels, card applications and English résumés."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text, mask_value

KEY = b"k" * 32


def addresses(text: str) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text) if e == "TW_ADDRESS"]


@pytest.mark.parametrize("address", [
    "No. 5, Ln. 188, Sec. 1, Wenhua Rd., Banqiao Dist., New Taipei City 220",
    "2F-2, No.55, Sec.2, Jinshan S. Rd., Da’an Dist., Taipei City 106, Taiwan (R.O.C.)",
    "No. 15, Lane 20, Section 3, Roosevelt Road, Da'an District, Taipei City 106409",
    "4TH FL., NO.100 MIN CHUAN RD. SHINDIAN CITY",
    "Rm. 1201, 12F., No. 8, Aly. 3, Ln. 45, Minsheng E. Rd., Songshan Dist., Taipei City",
])
def test_english_form_addresses_in_a_line(address):
    assert addresses(f"Ship to: Mr. David Lee, {address}, tel 0912-345-678") == [address]


def test_number_and_road_only_needs_an_address_label():
    assert addresses("Address: No. 7, Zhongshan Rd.") == ["No. 7, Zhongshan Rd."]
    assert addresses("see No. 7, Zhongshan Rd. for the history of the name") == []


@pytest.mark.parametrize("text", [
    "Invoice No. 12345 Main Street, Springfield City",  # an invoice number, not a house
    "Model No. 5 Series Rd. test",
    "See No. 3 Road Safety Act",
    "No. 1 in sales, Taipei City",  # no road
])
def test_numbers_that_are_not_house_numbers(text):
    assert addresses(text) == []


def test_masking_keeps_road_and_district_and_hides_the_numbers():
    address = "3F., No. 5, Ln. 188, Sec. 1, Wenhua Rd., Banqiao Dist., New Taipei City 220"
    assert mask_value("TW_ADDRESS", address, "partial") == \
        "*F., No. *, Ln. ***, Sec. *, Wenhua Rd., Banqiao Dist., New Taipei City 220"
    fp = mask_value("TW_ADDRESS", address, "pseudonym", key=KEY, format_preserving=True)
    assert fp.endswith("Wenhua Rd., Banqiao Dist., New Taipei City 220") and fp != address
    assert fp == mask_value("TW_ADDRESS", address, "pseudonym", key=KEY, format_preserving=True)
    text = f"Address: {address}"
    masked = mask_text(text, analyze_text(text), "partial")
    assert "188" not in masked and masked.startswith("Address: *F., No. *")
