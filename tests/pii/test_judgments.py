"""Judgments, rulings and police records: parties named after their role, birth dates written
as 民國70年5月3日生, and sentence terms in capital numerals that are no names."""

from __future__ import annotations

import shutil

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_value
from gezi.pii.registry import PII_DATA_DIR
from gezi.pii.validators import chinese_number, parse_birth_date

JUDGMENT = """臺灣臺北地方法院刑事判決 112年度易字第123號
被告林志強（男，民國70年5月3日生，身分證統一編號：F122334565號，住新北市板橋區文化路一段188巷5號3樓）
上列被告因詐欺案件，經檢察官提起公訴，本院判決如下：
林志強犯詐欺取財罪，處有期徒刑陸月，如易科罰金，以新臺幣壹仟元折算壹日，緩刑伍年。
被告曾因詐欺案件經法院判處罪刑，告訴人陳淑芬於警詢時證稱，證人王志明到庭結證。
本判決自民國113年1月1日生效。"""


def found(text: str, entity: str) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text) if e == entity]


def test_a_judgment_names_its_parties_and_the_defendants_birth_date():
    assert found(JUDGMENT, "DATE_OF_BIRTH") == ["民國70年5月3日"]
    assert found(JUDGMENT, "TW_NATIONAL_ID") == ["F122334565"]
    assert found(JUDGMENT, "TW_ADDRESS") == ["新北市板橋區文化路一段188巷5號3樓"]
    # 陸月 (six months) and 伍年 are terms, 被告曾因 is a verb phrase: none is a name.
    assert sorted(set(found(JUDGMENT, "PERSON_NAME"))) == ["林志強", "王志明", "陳淑芬"]


@pytest.mark.parametrize(("text", "date"), [
    ("被告陳大文，男，民國85年12月1日生", "民國85年12月1日"),
    ("1981年5月3日生，現年43歲", "1981年5月3日"),
])
def test_sheng_right_behind_a_date_makes_it_a_birth_date(text, date):
    assert found(text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize("text", [
    "本辦法自民國113年1月1日生效。",  # takes effect
    "2023/05/03生產，保存期限一年",  # produced on
    "於112年5月3日發生車禍",  # 生 not right behind the date
    "學生1990年5月3日入學",  # 生 before the date
    "112年5月3日 生",  # not directly behind
])
def test_sheng_elsewhere_is_no_birth_date_context(text):
    assert found(text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(("text", "name"), [
    ("原告林小華起訴主張", "林小華"),
    ("上訴人即被告張三豐", "張三豐"),
    ("被害人許雅雯報警", "許雅雯"),
])
def test_parties_after_their_role(text, name):
    assert found(text, "PERSON_NAME") == [name]


@pytest.mark.parametrize("text", ["被告高度懷疑", "被告何以未到庭", "被害人黃姓女子", "被告公司負責人",
                                  "處有期徒刑伍月，併科罰金"])
def test_words_after_a_role_or_capital_numerals_are_no_names(text):
    assert found(text, "PERSON_NAME") == []


CODE = """
  - entity: PARCEL_CODE
    name: {zh-TW: 包裹代碼, en: "Parcel code"}
    source: {citation: "test fixture", verified: editorial}
    patterns:
      - name: code
        regex: 'Q[0-9]{4}'
        score: 0.3
    context_after: [號碼]
    context_required: true
    context_boost: 0.5
"""


def test_context_after_words_are_data(tmp_path, monkeypatch):
    """A recognizer added in YAML with context_after fires only on the word right behind it."""
    for name in ("recognizers.yaml", "names.yaml", "places.yaml"):
        shutil.copy(PII_DATA_DIR / name, tmp_path / name)
    path = tmp_path / "recognizers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + CODE, encoding="utf-8")
    monkeypatch.setenv("GEZI_PII_DIR", str(tmp_path))
    assert found("收到Q1234號碼了", "PARCEL_CODE") == ["Q1234"]
    assert found("號碼Q1234", "PARCEL_CODE") == []
    assert found("Q1234 號碼", "PARCEL_CODE") == []


@pytest.mark.parametrize(("text", "date"), [
    ("出生日期：中華民國七十年五月三日", "中華民國七十年五月三日"),
    ("被告林志強，男，民國七十年五月三日生", "民國七十年五月三日"),
    ("出生：一九八一年十二月三十一日", "一九八一年十二月三十一日"),
])
def test_birth_dates_in_chinese_numerals(text, date):
    assert found(text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize("text", ["本法自中華民國一百零五年一月一日生效", "出生日期：七十年二月三十日",
                                  "於民國一百十二年五月三日來電"])
def test_chinese_numeral_dates_that_are_no_birth_dates(text):
    assert found(text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(("value", "partial"), [("中華民國七十年五月三日", "中華民國七十年*月*日"),
                                                ("一九八一年十二月三十一日", "一九八一年*月*日")])
def test_chinese_numeral_birth_dates_are_masked(value, partial):
    assert mask_value("DATE_OF_BIRTH", value, "partial") == partial
    fp = mask_value("DATE_OF_BIRTH", value, "pseudonym", key=b"k" * 32, format_preserving=True)
    day = parse_birth_date(fp)
    assert day is not None and fp != value  # another real date, written the same way
    assert ("民國" in fp) == ("民國" in value) and not any(c.isdigit() for c in fp)
    assert abs((day - parse_birth_date(value)).days) <= 365


@pytest.mark.parametrize(("text", "number"), [("七十", 70), ("一百零五", 105), ("一百一十二", 112),
                                              ("一百十二", 112), ("十二", 12), ("一九八一", 1981)])
def test_chinese_numbers(text, number):
    assert chinese_number(text) == number


@pytest.mark.parametrize(("text", "names"), [
    ("告訴人 林美玉 (住臺北市)", ["林美玉"]),  # a role and its name set apart by one space
    ("股別：忠股 書記官 張雅婷", ["張雅婷"]),
    ("受文者：王小明君", ["王小明"]),  # the addressee of an official letter
    ("他和 高雄的朋友", []),
    ("與 林口區公所", []),
])
def test_roles_set_apart_by_a_space_and_the_addressee_of_a_letter(text, names):
    assert found(text, "PERSON_NAME") == names
