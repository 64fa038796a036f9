"""A phone number with an extension is masked as the number alone, its extension word kept and
its digits hidden: 02-87**-*321 分機 ** (it was 02-87**-**** *機 22, which masked the word 分機 and
showed the extension in place of the number's last digits)."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text, mask_value


@pytest.mark.parametrize(("value", "masked"), [
    ("02-8765-4321 分機 22", "02-87**-*321 分機 **"),
    ("(02)2345-6789分機123", "(02)23**-*789分機***"),
    ("04-2345-6789#12", "04-23**-*789#**"),
    ("02-27208889 ext. 321", "02-27***889 ext. ***"),
    ("(02)2345-6789 轉 123", "(02)23**-*789 轉 ***"),
    ("0912-345-678", "0912-***-678"),
])
def test_partial_mask_of_a_phone_with_an_extension(value, masked):
    assert mask_value("PHONE_NUMBER", value) == masked


def test_an_extension_in_text_is_masked_with_its_number():
    text = "如有疑問請洽 02-8765-4321 分機 22，謝謝"
    hits = analyze_text(text)
    assert [h[4] for h in hits] == ["02-8765-4321 分機 22"]
    assert mask_text(text, hits) == "如有疑問請洽 02-87**-*321 分機 **，謝謝"


@pytest.mark.parametrize(("value", "masked"), [
    ("2345-6789", "23**-*789"),  # a local number without its area code hides three digits too
    ("223-4567", "2**-*567"),
    ("07-123-4567", "07-1**-*567"),
    ("02-2345-6789", "02-23**-*789"),
])
def test_short_phone_numbers_hide_as_many_digits_as_long_ones(value, masked):
    assert mask_value("PHONE_NUMBER", value) == masked
