"""Form labels spread over a fixed width with spaces (姓　　名：, 生　　日：, 統　編：, and
身 分 證 號 from PDF text) count as the label itself, in text and as column names."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text


def found(text: str, column: str | None = None) -> list[tuple[str, str, float]]:
    return [(e, v, s) for e, _, _, s, v in analyze_text(text, column=column)]


@pytest.mark.parametrize(("label", "value", "entity"), [
    ("姓　　名：", "王小明", "PERSON_NAME"),
    ("姓 名：", "王小明", "PERSON_NAME"),
    ("生　　日：", "70.5.3", "DATE_OF_BIRTH"),  # context required: missed without the label
    ("統　編：", "04595257", "TW_UBN"),  # context required
    ("身 分 證 號：", "A123456789", "TW_NATIONAL_ID"),
    ("電　　話：", "0912345678", "PHONE_NUMBER"),
])
def test_a_spread_label_scores_as_the_label(label, value, entity):
    squeezed = label.replace(" ", "").replace("\u3000", "")
    expected = found(squeezed + value)
    assert [f for f in expected if f[0] == entity] == [f for f in found(label + value) if f[0] == entity]
    assert any(f[0] == entity and f[1] == value for f in found(label + value))


def test_spaces_between_other_characters_are_no_label():
    assert found("生 活日：70.5.3") == []  # the gaps must be even: not 生日 spread out


@pytest.mark.parametrize("column", ["姓　　名", "姓 名"])
def test_a_spread_column_name_is_the_label(column):
    assert found("邰文華", column=column) == [("PERSON_NAME", "邰文華", 0.7)]


def test_a_spread_ubn_column():
    assert found("04595257", column="統 一 編 號") == [("TW_UBN", "04595257", 0.9)]
    assert found("04595257", column="備 註") == []
