"""Names after a title as reports and news write them (董事長劉揚偉), and a surname with its
title after a preposition (請向周小姐洽詢), which is no full name."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text


def names(text: str) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text) if e == "PERSON_NAME"]


@pytest.mark.parametrize(("text", "expected"), [
    ("執行長黃仁勳與鴻海董事長劉揚偉會面", ["黃仁勳", "劉揚偉"]),
    ("本案由資訊處處長陳建宏督導", ["陳建宏"]),
    ("總經理林雅婷今日說明", ["林雅婷"]),
])
def test_a_name_after_a_title(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text", ["董事長表示同意", "處長的指示", "院長室", "主任秘書出席", "委員會決議"])
def test_a_title_alone_is_no_name(text):
    assert names(text) == []


@pytest.mark.parametrize("text", ["請向周小姐洽詢", "請找陳先生", "麻煩問林小姐"])
def test_a_surname_with_its_title_is_no_full_name(text):
    assert names(text) == []


@pytest.mark.parametrize(("text", "name"), [("王小明先生您好", "王小明"), ("林立先生", "林立")])
def test_a_full_name_before_a_title_still_is(text, name):
    assert names(text) == [name]


@pytest.mark.parametrize("text", ["客戶簡報 0955-666-777", "客戶方面的意見", "會員方案說明", "客戶溫度偏高"])
def test_a_word_after_a_cue_is_no_name(text):
    assert names(text) == []


@pytest.mark.parametrize(("text", "name"), [("客戶林立 0912345678", "林立"), ("客戶王子豪", "王子豪"),
                                            ("寄給黃金龍", "黃金龍"), ("客戶王明 0912345678", "王明")])
def test_names_that_start_like_words_after_a_cue(text, name):
    assert names(text) == [name]


@pytest.mark.parametrize(("text", "name"), [
    ("此致\n王小明 敬上", "王小明"), ("陳美玲謹啟", "陳美玲"), ("親愛的 葉家 您好", "葉家"),
    ("請聯絡 王小明 先生", "王小明"), ("經辦：李大同 覆核：陳建國", "陳建國"),
])
def test_signatures_and_cues_after_a_space(text, name):
    assert name in [v for e, _, _, _, v in analyze_text(text) if e == "PERSON_NAME"]


@pytest.mark.parametrize("text", ["王先生 您好", "林小姐 你好"])
def test_a_surname_and_title_before_a_greeting_is_no_name(text):
    assert [v for e, _, _, _, v in analyze_text(text) if e == "PERSON_NAME"] == []
