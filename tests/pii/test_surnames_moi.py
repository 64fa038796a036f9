"""The surname list of names.yaml against the Ministry of the Interior (內政部戶政司) surname
statistics, as cited in the file's ``source`` block: every one of the 2023 top 100 is listed and
found as a name next to a cue word, the most common double surnames are taken whole, and the
characters added from the statistics (黄, 塗, 谷, 甯) create no names in ordinary prose."""

from __future__ import annotations

import pytest

from gezi.catalog.loader import load_yaml_model
from gezi.pii.analyzer import analyze_text
from gezi.pii.registry import NamesFile, get_registry, pii_data_file

# 全國姓名統計分析 2023 (民國112年), top 100 in rank order (see names.yaml source). The statistics
# count the variant characters 黃/黄 and 涂/凃 as separate surnames.
MOI_TOP100_2023 = (
    "陳 林 黃 張 李 王 吳 劉 蔡 楊 許 鄭 謝 洪 郭 邱 曾 廖 賴 徐 "
    "周 葉 蘇 莊 呂 江 何 蕭 羅 高 潘 簡 朱 鍾 游 彭 詹 胡 施 沈 "
    "余 盧 梁 趙 顏 柯 翁 魏 孫 戴 范 方 宋 鄧 杜 傅 侯 曹 薛 阮 "
    "丁 卓 馬 董 温 古 藍 石 紀 唐 蔣 姚 連 馮 歐 程 湯 黄 田 康 "
    "姜 白 汪 鄒 尤 巫 鐘 黎 涂 龔 嚴 韓 袁 金 童 陸 夏 柳 凃 邵"
).split()
# Named with their rank in the 2018 statistics (塗: the 1956 top 100) and added to the list.
MOI_OTHERS = ["塗", "谷", "甯", "倪", "錢", "溫", "粘", "譚"]
# 2018: the four most common double surnames; 2024 (Taichung 民政局 from MOI data): 江謝 fifth.
MOI_DOUBLE = ["張簡", "歐陽", "范姜", "周黃", "江謝"]


def names(text: str) -> list[str]:
    return [hit[4] for hit in analyze_text(text, {"PERSON_NAME"})]


def test_moi_surnames_are_listed():
    data = get_registry().names
    assert len(MOI_TOP100_2023) == len(set(MOI_TOP100_2023)) == 100
    assert set(MOI_TOP100_2023) - data.surnames == set()
    assert set(MOI_OTHERS) - data.surnames == set()
    assert set(MOI_DOUBLE) - data.double_surnames == set()


def test_surname_list_has_no_repeats():
    listed = load_yaml_model(pii_data_file("names.yaml"), NamesFile).surnames.split()
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("surname", MOI_TOP100_2023 + MOI_OTHERS)
def test_moi_surname_with_cue_is_a_name(surname):
    assert names(f"姓名：{surname}志明，電話0912345678") == [f"{surname}志明"]
    assert names(f"{surname}淑芬小姐您好") == [f"{surname}淑芬"]


@pytest.mark.parametrize("double", MOI_DOUBLE)
def test_moi_double_surname_is_taken_whole(double):
    """Not 周 + 黃美 or 黃美玲 alone: the whole double surname and the given name."""
    assert names(f"收件人{double}美玲") == [f"{double}美玲"]
    assert names(f"姓名：{double}家豪") == [f"{double}家豪"]
    assert names(f"{double}志明先生您好") == [f"{double}志明"]


@pytest.mark.parametrize("text", [
    "申請塗銷抵押權登記", "辦理塗銷登記後生效", "請塗抹均勻後靜置", "牆面塗料已送達", "他一時糊塗簽了字",
    "和塗裝廠商確認顏色", "客服塗改了訂單資料", "經濟跌入谷底後反彈", "美國矽谷銀行倒閉", "跟谷歌合作推出新服務",
    "由谷關出發", "泰國曼谷機場", "谷雨節氣", "黄金价格上涨", "黄色警戒", "甯靜的夜晚", "江謝兩家聯姻",
])
def test_added_surname_characters_in_prose_are_not_names(text):
    assert names(text) == []
