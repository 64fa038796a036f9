"""PERSON_NAME for a surname outside names.yaml right after a label that names a person
(姓名：邰文華, 收件人：亓官明): reported when the name fills the form field, scored below a listed
surname with the same cue, and never for placeholders, roles, departments or companies."""

from __future__ import annotations

import pytest

from gezi.catalog.loader import load_yaml_model
from gezi.pii.analyzer import analyze_segments, analyze_text
from gezi.pii.registry import NamesFile, get_registry, pii_data_file

# Surname characters that are not in names.yaml (checked below): 邰, 亓官, 仉, 花, 麻.
UNLISTED = ["邰", "亓", "仉", "花", "麻"]


def names(text: str, column: str | None = None) -> list[tuple[str, float]]:
    return [(hit[4], hit[3]) for hit in analyze_text(text, {"PERSON_NAME"}, column=column)]


def chinese_name_spec():
    return next(r.spec for r in get_registry().recognizers if r.spec.kind == "chinese_name")


def test_the_surnames_of_these_tests_are_not_listed():
    data = get_registry().names
    assert not set(UNLISTED) & data.surnames
    assert "亓官" not in data.double_surnames


def test_labels_are_cues_before_a_name_and_leave_out_company_labels():
    """The labels (the chinese_name recognizer's context) are a subset of names.yaml's strong
    cues; labels that often name a company or a thing are not among them."""
    labels = set(chinese_name_spec().context)
    cues = set(load_yaml_model(pii_data_file("names.yaml"), NamesFile).cues_before)
    assert {"姓名", "收件人", "聯絡人"} <= labels <= cues
    assert not labels & {"客戶", "顧客", "會員", "戶名", "申請人", "收款人", "受款人", "買家", "賣家", "名字", "學生"}


@pytest.mark.parametrize(("text", "name"), [
    ("姓名：邰文華", "邰文華"),
    ("收件人：亓官明", "亓官明"),  # a double surname outside the list
    ("收件人：亓官小明", "亓官小明"),
    ("姓名:邰文華", "邰文華"),  # half-width colon
    ("姓名 邰文華", "邰文華"),  # a form field after a space
    ("姓名\u3000邰文華", "邰文華"),  # full-width space
    ("姓名：邰華", "邰華"),
    ("姓名：花美玲", "花美玲"),  # the rare surname docs/pii.md names
    ("申請資料姓名：麻家豪。", "麻家豪"),  # glued to Chinese text before the label
    ("聯絡人：邰文華，電話0912345678", "邰文華"),
    ("姓名：邰文華 電話：0912345678", "邰文華"),
    ("姓名：邰文華電話：0912345678", "邰文華"),  # another label glued on
    ("姓名：邰文華聯絡電話0912345678", "邰文華"),
    ("姓名：亓官明\t性別：男", "亓官明"),
    ("姓名：邰文華0912345678", "邰文華"),  # a digit ends the field
    ("收件人：邰文華小姐您好", "邰文華"),  # a cue after the name ends it
    ("承辦人：仉志明（分機123）", "仉志明"),
    ("負責人：邰文華、", "邰文華"),
    ("持卡人：邰文華\n地址：台北市", "邰文華"),
])
def test_unlisted_surname_after_a_label(text, name):
    assert names(text) == [(name, 0.7)]


def test_scored_below_a_listed_surname_with_the_same_cue_and_above_min_score():
    unlisted, listed = names("姓名：邰文華"), names("姓名：陳文華")
    assert listed == [("陳文華", 0.85)]
    assert chinese_name_spec().min_score < unlisted[0][1] < listed[0][1]


def test_a_listed_name_after_it_is_still_found():
    assert names("姓名：邰文華聯絡人：王小明") == [("邰文華", 0.7), ("王小明", 0.85)]


@pytest.mark.parametrize("text", [
    # placeholders
    "姓名：未填寫", "姓名：（略）", "姓名：略", "姓名：無", "姓名：不詳", "姓名：同上", "姓名：待補", "姓名：空白",
    "姓名：匿名", "姓名：未知", "姓名：某某", "姓名：保密", "姓名：請填寫", "姓名：未提供",
    "姓名：如附件", "姓名：已刪除",
    "姓名：免填", "姓名：從缺", "姓名：測試", "姓名：範例", "負責人：待定", "填表人：同上", "承辦人：尚未指派",
    # roles, departments, companies, places
    "收件人：本人", "聯絡人：客服中心", "聯絡人：客服", "收件人：本公司", "聯絡人：管理員", "聯絡人：業務部",
    "聯絡人：總務處",
    "聯絡人：財務部", "聯絡人：人資部", "聯絡人：行政助理", "聯絡人：業務專員電話：0912345678", "收件人：管理室",
    "收件人：住戶", "收件人：屋主", "聯絡人：總機", "聯絡人：櫃台", "聯絡人：值班人員", "收件人：收發室",
    "收件人：警衛室",
    "聯絡人：經理", "經辦人：系統", "姓名：台北", "姓名：新竹", "姓名：台灣積體電路", "收件人：統一超商",
    # labels in the field, not_name_chars
    "姓名欄位", "姓名 欄位", "姓名：姓名", "姓名：全名", "姓名：中文", "姓名：的是", "姓名：你我他",
    # no separator, or the field goes on
    "姓名邰文華", "收件人亓官明", "姓名：邰文華的資料", "姓名：邰 文華",
    # labels that may name a company or a thing are not used
    "客戶：鴻海", "客戶：台積電", "名字：雪花", "會員 專區", "申請人 簽章", "收款人 帳號", "病患 資料", "家長 同意書",
])
def test_not_a_name(text):
    assert names(text) == []


@pytest.mark.parametrize("fragment", [
    # Short clauses of real prose (the seed documents): after a label they are still no name.
    "告知義務", "共用品牌", "平台維運", "參考文件", "新增條文", "零信任", "這家公", "號民事", "親子卡", "損失金額",
])
def test_prose_fragments_in_the_field_are_not_names(fragment):
    assert names(f"聯絡人：{fragment}。") == []


def test_in_a_table_cell():
    assert names("姓名：邰文華", column="備註") == [("邰文華", 0.7)]
    assert names("收件人：亓官明", column="收件人") == [("亓官明", 0.7)]
    assert names("姓名：未填寫", column="備註") == []
    cells = ["收件人：亓官明", "姓名：（略）", "聯絡人：客服中心", "聯絡人：邰文華，電話0912345678"]
    hits = [(i, h[4]) for i, h in analyze_segments(cells, column="remark") if h[0] == "PERSON_NAME"]
    assert hits == [(0, "亓官明"), (3, "邰文華")]


def test_other_entities_on_the_line_are_unchanged():
    text = "姓名：邰文華，電話：0912-345-678"
    assert [(h[0], h[4]) for h in analyze_text(text)] == [("PERSON_NAME", "邰文華"), ("PHONE_NUMBER", "0912-345-678")]


@pytest.mark.parametrize("text", ["負責人：董事長", "聯絡人：經理", "承辦人 主任", "負責人：總經理"])
def test_a_title_after_a_label_is_no_name(text):
    """The words that follow a name (names.yaml cues_after: 董事長, 經理…) are titles; one
    right after a label is the title, not a person."""
    assert names(text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("負責人：董事長王大華", "王大華"),
    ("申請人簽章：張三豐", "張三豐"),
    ("立書人簽名：林淑芬　日期：113/05/01", "林淑芬"),
])
def test_the_name_after_a_title_or_signature_label(text, name):
    assert [n for n, _ in names(text)] == [name]


@pytest.mark.parametrize(("text", "name", "score"), [
    ("姓名 : 王小明", "王小明", 0.85),  # a space on both sides of the colon
    ("姓名 ： 陳怡君", "陳怡君", 0.85),
    ("姓名 : 邰文華", "邰文華", 0.7),
])
def test_label_colon_with_spaces_around_it(text, name, score):
    assert names(text) == [(name, score)]


def test_a_cell_under_a_person_label_column_may_have_a_surname_outside_the_list():
    """A column named 姓名 (a label that names a person only) is a form field of its own:
    its cells are checked as the value after 姓名： is. Company-ish columns (客戶名稱) are not."""
    cells = ["邰文華", "王小明", "未填寫", "亓官明", "本人", "客服中心", "花美玲", "（略）", "邰文華先生"]
    hits = [(i, h[4], h[3]) for i, h in analyze_segments(cells, column="姓名")]
    assert hits == [(0, "邰文華", 0.7), (1, "王小明", 0.9), (3, "亓官明", 0.7), (6, "花美玲", 0.7)]
    assert names("邰文華", column="收件人姓名") == [("邰文華", 0.7)]
    assert [h for _, h in analyze_segments(["邰文華", "鴻海"], column="客戶名稱")] == []
    assert names("邰文華", column="備註") == []


@pytest.mark.parametrize(("text", "found"), [
    ("姓名：邰文華、亓官明", ["邰文華", "亓官明"]),
    ("姓名：王小明、邰文華、花美玲", ["王小明", "邰文華", "花美玲"]),
    ("聯絡人：邰文華、未填寫", ["邰文華"]),
    ("收件人：花美玲、客服中心", ["花美玲"]),
])
def test_list_of_names_after_a_label(text, found):
    assert [n for n, _ in names(text)] == found


@pytest.mark.parametrize("text", ["會員：金卡", "持卡人 白金卡", "會員等級：黃金", "客戶：高級會員"])
def test_words_listed_as_no_names_after_a_cue(text):
    assert names(text) == []


def test_no_names_start_with_a_listed_surname_and_names_still_found():
    data = get_registry().names
    assert data.not_names and all(word[0] in data.surnames for word in data.not_names)
    assert names("會員：金城武") == [("金城武", 0.85)]
    assert names("姓名：黃金城") == [("黃金城", 0.85)]


@pytest.mark.parametrize(("text", "name"), [
    ("收件人：李　四", "李　四"),
    ("姓名：王　明　性別：男", "王　明"),
    ("聯絡人 陳 華 0912345678", "陳 華"),
    ("姓名：邰　華", "邰　華"),  # a surname outside the list, right after 姓名
])
def test_two_character_names_padded_to_three_after_a_label(text, name):
    assert [value for value, _ in names(text)] == [name]


@pytest.mark.parametrize("text", ["收件人：李　四樓", "姓名：王　", "備註 王　大同"])
def test_padding_is_no_name_when_the_field_goes_on_or_is_empty(text):
    assert names(text) == []


def test_padded_names_in_a_name_column():
    cells = ["李　四", "王小明", "陳 華", "林　立　"]
    found = analyze_segments(cells, column="姓名")
    assert [(i, value) for i, (entity, *_, value) in found if entity == "PERSON_NAME"] == [
        (0, "李　四"), (1, "王小明"), (2, "陳 華"), (3, "林　立")]
    assert analyze_segments(["李　四", "王　大"], column="備註") == []


@pytest.mark.parametrize(("text", "name"), [
    ("姓名(王大明)", "王大明"), ("姓名「王大明」", "王大明"), ("收件人（陳美玲）", "陳美玲"),
    ("聯絡人【林志明】0912345678", "林志明"),
])
def test_a_name_in_brackets_right_after_its_label(text, name):
    assert names(text) == [(name, 0.85)]


@pytest.mark.parametrize("text", ["客戶（含會員）", "會員(VIP)"])
def test_brackets_after_a_label_hold_no_name(text):
    assert names(text) == []
