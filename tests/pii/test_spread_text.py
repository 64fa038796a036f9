"""Text spread apart one character at a time (姓 名 ： 王 小 明), as the text layer of many Chinese
PDFs comes out: closed up for the recognizers, reported and masked in the spread text's own
offsets and characters."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text
from gezi.pii.scan import scan_paths
from gezi.pii.spread import spread_runs


def hits(text: str) -> list[tuple[str, str]]:
    out = []
    for entity, start, end, _, value in analyze_text(text):
        assert text[start:end] == value
        out.append((entity, value))
    return out


@pytest.mark.parametrize(("text", "expected"), [
    ("姓 名 ： 王 小 明", [("PERSON_NAME", "王 小 明")]),
    ("姓名：王 小 明", [("PERSON_NAME", "王 小 明")]),
    ("收 件 人 陳 美 玲 先 生", [("PERSON_NAME", "陳 美 玲")]),
    ("住 址 ： 台 北 市 大 安 區 忠 孝 東 路 四 段 1 0 0 號 5 樓",
     [("TW_ADDRESS", "台 北 市 大 安 區 忠 孝 東 路 四 段 1 0 0 號 5 樓")]),
    ("手 機 0 9 1 2 3 4 5 6 7 8", [("PHONE_NUMBER", "0 9 1 2 3 4 5 6 7 8")]),
    ("身 分 證 字 號 A 1 2 3 4 5 6 7 8 9", [("TW_NATIONAL_ID", "A 1 2 3 4 5 6 7 8 9")]),
])
def test_spread_values_are_found_in_the_spread_text(text, expected):
    assert hits(text) == expected


@pytest.mark.parametrize("text", [
    "身 分 證 字 號 A 1 2 3 4 5 6 7 8 0",  # checksum fails
    "男 女 是 否",
    "分數 1 2 3 4 5 6 7 8 9 0",
    "民國 113 年 5 月 3 日開會",
])
def test_spread_text_without_personal_data(text):
    assert hits(text) == []


def test_spreads_around_numbers_in_prose_are_no_runs():
    assert spread_runs("於 113 年 5 月 3 日公告，第 1 條") == []
    assert spread_runs("all ascii a b c d") == []


def test_several_lines_keep_their_own_offsets():
    text = "第一行\n收件人 王 小 明 電話 0 9 1 2 3 4 5 6 7 8 與 陳 美 玲\n姓 名 ： 李 大 同"
    assert hits(text) == [("PERSON_NAME", "王 小 明"), ("PHONE_NUMBER", "0 9 1 2 3 4 5 6 7 8"),
                          ("PERSON_NAME", "陳 美 玲"), ("PERSON_NAME", "李 大 同")]


def test_masking_keeps_the_spacing_and_hides_the_values():
    text = "姓 名 ： 王 小 明\n手 機 0 9 1 2 3 4 5 6 7 8"
    masked = mask_text(text, analyze_text(text))
    assert masked.startswith("姓 名 ： 王 ○ 明\n")
    assert "3 4 5" not in masked and "小" not in masked


def test_the_scanner_reports_spread_text_of_a_file(tmp_path):
    path = tmp_path / "extracted.txt"
    path.write_text("申 請 書\n姓 名 ： 王 小 明\n", encoding="utf-8")
    result = scan_paths([path])
    assert [(f.entity, f.line, f.start, f.end) for f in result.findings] == [("PERSON_NAME", 2, 6, 11)]


def test_words_of_spread_text_set_apart_by_two_spaces():
    """As pypdf extracts a line set with letter spacing: words two spaces apart, the phone
    number and its label spread too."""
    text = "聯 絡 人  陳 美 玲  電 話  0 2 - 2 3 4 5 - 6 7 8 9"
    assert hits(text) == [("PERSON_NAME", "陳 美 玲"), ("PHONE_NUMBER", "0 2 - 2 3 4 5 - 6 7 8 9")]


def test_a_letter_spaced_pdf_line_is_scanned(tmp_path):
    """A real PDF (WeasyPrint, Noto Sans CJK) whose line is set with letter spacing: pypdf
    extracts it spread apart, and the name and phone on it are still found and masked in
    the report."""
    from weasyprint import HTML

    path = tmp_path / "申請書.pdf"
    font = "font-family: 'Noto Sans CJK TC'"
    HTML(string=f'<p style="{font}">姓名 王小明</p>'
                f'<p style="{font}; letter-spacing: 0.5em">聯絡人 陳美玲 電話 02-2345-6789</p>').write_pdf(path)
    found = {(f.entity, f.value) for f in scan_paths([path], workers=1).findings}
    assert ("PERSON_NAME", "王小明") in found
    spread = {entity: value for entity, value in found if " " in value}
    assert spread.get("PERSON_NAME", "").replace(" ", "") == "陳美玲"
    assert spread.get("PHONE_NUMBER", "").replace(" ", "") == "02-2345-6789"
