"""Names and addresses as real text writes them: regressions found by evaluating gezi on the seed
documents (real regulations, news, case write-ups) and on unseen phrasing."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text


def values(text: str, entity: str) -> list[str]:
    return [v for ent, _s, _e, _score, v in analyze_text(text) if ent == entity]


def spans(text: str, entity: str) -> list[tuple[int, int, str]]:
    return [(s, e, v) for ent, s, e, _score, v in analyze_text(text) if ent == entity]


# --- addresses typed with spaces; a road with a section and a number is an address ----------

@pytest.mark.parametrize("address", [
    "苗栗縣 竹南鎮 光復路 177號",
    "新北市 板橋區 文化路一段 188巷 3弄 5號",
    "臺中市\u3000西屯區\u3000臺灣大道三段\u300099號",
    "竹南鎮 光復路 177號",
    "忠孝東路四段 1號",
    "忠孝東路四段1號",
    "中山北路二段 45巷 3號 5樓",
])
def test_address_with_spaces_or_road_and_section(address):
    text = f"請寄到{address}，謝謝"
    start = text.index(address)
    assert spans(text, "TW_ADDRESS") == [(start, start + len(address), address)]


@pytest.mark.parametrize("text", [
    "請於 12號前回覆",
    "第三段 5號",
    "本案第 3號函",
    "我們 5號出貨",
])
def test_numbers_with_hao_are_not_addresses(text):
    assert values(text, "TW_ADDRESS") == []
