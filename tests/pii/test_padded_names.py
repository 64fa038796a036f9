"""Two-character names padded to the width of three (李　四), as Taiwanese forms and staff lists
align them: found, masked without showing the given name, and pseudonymized as the unpadded
name is (so joins across files still work)."""

from __future__ import annotations

import pytest

from gezi.pii.mask_files import mask_file
from gezi.pii.masking import mask_value

KEY = b"k" * 32


@pytest.mark.parametrize(("value", "masked"), [
    ("李　四", "李　○"), ("陳 華", "陳 ○"), ("李四", "李○"), ("王小明", "王○明"), ("歐陽娜娜", "歐○○娜"),
    ("王", "王○"),
])
def test_partial_hides_the_given_name_of_a_padded_name(value, masked):
    assert mask_value("PERSON_NAME", value) == masked


def test_a_padded_name_has_the_pseudonym_of_the_unpadded_one():
    padded = mask_value("PERSON_NAME", "李　四", "pseudonym", KEY)
    assert padded == mask_value("PERSON_NAME", "李四", "pseudonym", KEY)
    fp = mask_value("PERSON_NAME", "李　四", "pseudonym", KEY, format_preserving=True)
    plain = mask_value("PERSON_NAME", "李四", "pseudonym", KEY, format_preserving=True)
    assert fp[1] == "\u3000" and fp.replace("\u3000", "") == plain and "四" not in fp


def test_a_staff_list_with_padded_names_is_masked(tmp_path):
    src = tmp_path / "staff.csv"
    src.write_text("姓名,分機\n李　四,1234\n王小明,5678\n林　立,9012\n", encoding="utf-8")
    out = tmp_path / "masked.csv"
    result = mask_file(src, out, "partial")
    assert result["values_masked"] == 3
    assert out.read_text(encoding="utf-8-sig").splitlines()[1:] == ["李　○,1234", "王○明,5678", "林　○,9012"]
