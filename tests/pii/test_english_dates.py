"""Birth dates with English month names (March 21, 1986; 21 MAR 1986 as passports print it):
found next to a birth-date word, validated as real dates, masked keeping the year, and given
format-preserving pseudonyms in the same form."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_value
from gezi.pii.validators import ENGLISH_DATE, MONTH_NAMES, parse_birth_date

KEY = b"k" * 32


@pytest.mark.parametrize(("text", "value"), [
    ("Birthday: March 21, 1986", "March 21, 1986"),
    ("Date of Birth 21 MAR 1986", "21 MAR 1986"),
    ("born on 3rd September 1990 in Taipei", "3rd September 1990"),
    ("DOB: Sept. 3, 1990", "Sept. 3, 1990"),
])
def test_found_next_to_a_birth_date_word(text, value):
    assert [h[4] for h in analyze_text(text) if h[0] == "DATE_OF_BIRTH"] == [value]


@pytest.mark.parametrize("text", ["meeting on March 21, 2023", "March 21, 1986", "DOB: Foo 21, 1986",
                                  "DOB: February 30, 1986"])
def test_not_a_birth_date(text):
    assert [h for h in analyze_text(text) if h[0] == "DATE_OF_BIRTH"] == []


@pytest.mark.parametrize(("value", "masked"), [
    ("March 21, 1986", "***** **, 1986"), ("21 MAR 1986", "** *** 1986"), ("3rd September 1990", "*** ********* 1990"),
])
def test_partial_keeps_only_the_year(value, masked):
    assert mask_value("DATE_OF_BIRTH", value) == masked


@pytest.mark.parametrize("value", ["March 21, 1986", "21 MAR 1986", "05 mar 1986", "3rd September 1990",
                                   "Sept. 3, 1990"])
def test_format_preserving_pseudonym_is_another_date_of_the_same_form(value):
    fake = mask_value("DATE_OF_BIRTH", value, "pseudonym", KEY, format_preserving=True)
    original, other = ENGLISH_DATE.fullmatch(value), ENGLISH_DATE.fullmatch(fake)
    assert other is not None and fake != value and parse_birth_date(fake) is not None
    month = original["m1"] or original["m2"]
    new_month = other["m1"] or other["m2"]
    def full(name: str) -> bool:
        return name.capitalize() in MONTH_NAMES

    # a full name stays full, an abbreviation short (May is both); the case is kept
    assert new_month.lower() == "may" or full(new_month) == full(month)
    assert new_month.isupper() == month.isupper()
    assert bool(original["m1"]) == bool(other["m1"])  # same order
