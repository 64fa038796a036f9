"""Every recognizer: valid, invalid (checksum or format), glued to CJK, full-width, separators,
in a table cell with and without a telling column name; offsets are exact."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_segments, analyze_text


def found(text: str, entity: str, column: str | None = None) -> list[tuple[int, int, str]]:
    return [(s, e, v) for ent, s, e, _score, v in analyze_text(text, column=column) if ent == entity]


def only(text: str, entity: str, value: str, column: str | None = None) -> float:
    """Assert exactly one hit of ``entity`` whose span is where ``value`` sits in ``text``."""
    hits = [(s, e, v, sc) for ent, s, e, sc, v in analyze_text(text, column=column) if ent == entity]
    start = text.index(value)
    assert [(s, e, v) for s, e, v, _ in hits] == [(start, start + len(value), value)], hits
    return hits[0][3]


FW = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-@.",
                   "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
                   "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－＠．")

# entity, valid value, an invalid look-alike (bad checksum / impossible), context word,
# telling column name, whether the entity needs context or a column name to be reported.
CASES = [
    ("TW_NATIONAL_ID", "A123456789", "A123456788", "身分證", "身分證字號", False),
    ("TW_RESIDENT_CERT", "A800000014", "A800000015", "居留證", "居留證號", False),
    ("TW_RESIDENT_CERT", "AC01234567", "AC01234568", "居留證", "arc_no", False),
    ("TW_UBN", "04595252", "04595253", "統一編號", "統編", True),
    ("PHONE_NUMBER", "0912345678", "09123456789", "手機", "電話", False),
    ("EMAIL_ADDRESS", "wang.xm@example.com.tw", "wang.xm@localhost", "信箱", "email", False),
    ("EMAIL_ADDRESS", "wang.xm%40example.com.tw", "wang.xm%40localhost", "信箱", "email", False),
    ("CREDIT_CARD", "4111111111111111", "4111111111111112", "卡號", "card_no", False),
    ("TW_NHI_CARD", "000012345678", "0000123456789", "健保卡號", "健保卡號", True),
    ("TW_PASSPORT", "312345678", "31234567", "護照號碼", "passport_no", True),
    ("BANK_ACCOUNT", "12345678901234", "12345678", "匯款帳號", "bank_account", True),
    ("TW_LICENSE_PLATE", "ABC-1235", "ABI-1234", "車牌", "車牌", False),
    ("IP_ADDRESS", "192.168.10.20", "999.168.10.20", "來源IP", "client_ip", False),
]


@pytest.mark.parametrize(("entity", "valid", "invalid", "ctx", "column", "needs_context"), CASES)
class TestIdentifiers:
    def test_valid_glued_to_cjk(self, entity, valid, invalid, ctx, column, needs_context):
        text = f"這是{ctx}{valid}請查收"
        only(text, entity, valid)

    def test_invalid_is_not_reported(self, entity, valid, invalid, ctx, column, needs_context):
        assert found(f"{ctx}{invalid}。", entity) == []

    def test_full_width(self, entity, valid, invalid, ctx, column, needs_context):
        wide = valid.translate(FW)
        text = f"{ctx}：{wide}，謝謝"
        only(text, entity, wide)

    def test_context_needed_or_not(self, entity, valid, invalid, ctx, column, needs_context):
        bare = found(f"備註 {valid} 結束", entity)
        assert (bare == []) if needs_context else (len(bare) == 1)

    def test_table_cell(self, entity, valid, invalid, ctx, column, needs_context):
        assert found(valid, entity, column=column) == [(0, len(valid), valid)]
        plain = found(valid, entity, column="remark")
        assert (plain == []) if needs_context else (plain == [(0, len(valid), valid)])

    def test_context_raises_score(self, entity, valid, invalid, ctx, column, needs_context):
        if needs_context:
            pytest.skip("reported only with context")
        bare = only(f"值 {valid} 。", entity, valid)
        assert only(f"{ctx} {valid} 。", entity, valid) > bare


@pytest.mark.parametrize(("text", "value"), [
    ("身分證A123-456-789號", "A123-456-789"),
    ("身分證 A 123 456 789", "A 123 456 789"),
    ("身分證 A 123 456 780", None),  # checksum fails
    ("請撥0912 345 678找我", "0912 345 678"),
    ("手機：0912-345-678", "0912-345-678"),
    ("電話+886 912 345 678", "+886 912 345 678"),
    ("電話+886-2-2345-6789", "+886-2-2345-6789"),
    ("電話(02)2345-6789分機123", "(02)2345-6789分機123"),
    ("電話04-2345-6789#12", "04-2345-6789#12"),
    ("卡號4111 1111 1111 1111到期", "4111 1111 1111 1111"),
    ("卡號4111-1111-1111-1111", "4111-1111-1111-1111"),
])
def test_separators(text, value):
    hits = analyze_text(text)
    if value is None:
        assert not [h for h in hits if h[0] == "TW_NATIONAL_ID"]
        return
    assert [(h[1], h[2], h[4]) for h in hits] == [(text.index(value), text.index(value) + len(value),
                                                  value)]


def test_ubn_rules():
    # 04595252 passes only the 2023 mod-5 rule; 22099131 passes both (pii-anchors §5.4).
    assert found("統編04595252", "TW_UBN") == [(2, 10, "04595252")]
    assert found("統編22099131", "TW_UBN") == [(2, 10, "22099131")]
    # 7th digit 7: its product 28 counts as 10 or as 1, so Z+1 divisible by 5 also passes.
    def z(ubn: str) -> int:
        return sum(sum(divmod(int(d) * w, 10)) for d, w in zip(ubn, (1, 2, 1, 2, 1, 2, 4, 1), strict=True))

    seven = next(c for c in (f"{n:06d}7{d}" for n in range(1000, 10**6) for d in range(10))
                 if z(c) % 5 and (z(c) + 1) % 5 == 0)
    assert found(f"統一編號：{seven}", "TW_UBN") == [(5, 13, seven)]


def test_invoice_number_is_not_a_resident_certificate():
    # 統一發票號碼 are two letters + 8 digits: a checksum-valid one is still not an ARC.
    assert found("發票號碼AC01234567", "TW_RESIDENT_CERT") == []


def test_order_numbers_and_timestamps_are_not_ids():
    text = "訂單編號20240615123456，時間 2024-06-15 10:00:01，UNIX 1718445601"
    assert [h for h in analyze_text(text) if h[0] in {"CREDIT_CARD", "PHONE_NUMBER", "TW_UBN",
                                                         "DATE_OF_BIRTH", "TW_NATIONAL_ID"}] == []


@pytest.mark.parametrize("address", [
    "台北市大安區忠孝東路四段100號5樓",
    "臺北市中正區重慶南路一段122號",
    "新北市板橋區文化路一段188巷44弄2號3樓之1",
    "高雄市三民區建工路３１５號十二樓",
    "106臺北市大安區羅斯福路四段1號",
    "花蓮縣吉安鄉南濱路一段100號",
    "臺中市西屯區大墩路100號B1",
    "彰化縣員林市中山路二段1之3號",
    "南投縣埔里鎮大城里5鄰中山路一段100號",
    "臺南市安平區國平里12鄰安平路10巷5弄3號之1 2樓之3",
    "新北市中和區中正路100號地下一樓",
    "宜蘭縣三星鄉大義村12鄰三星路八段99號",
    "臺北市信義區松仁路100號12樓1201室",
])
def test_address_variants(address):
    for text in (f"地址{address}，謝謝", f"寄到{address}"):
        only(text, "TW_ADDRESS", address)


def test_address_without_county_starts_at_the_road():
    only("我住在中正路100號3樓", "TW_ADDRESS", "中正路100號3樓")


def test_address_in_column():
    assert found("忠孝東路四段100號", "TW_ADDRESS", column="通訊地址")


@pytest.mark.parametrize(("text", "name"), [
    ("客戶王小明來電", "王小明"),
    ("姓名：陳怡君", "陳怡君"),
    ("收件人林淑芬，電話", "林淑芬"),
    ("請張志豪先生回電", "張志豪"),
    ("歐陽娜娜小姐您好", "歐陽娜娜"),
    ("聯絡人：張簡志明", "張簡志明"),
    ("明天跟陳怡君吃飯", "陳怡君"),
    ("黃雅婷和同事開會", "黃雅婷"),
    ("昨天跟黎文月一起去銀行", "黎文月"),
])
def test_chinese_names(text, name):
    only(text, "PERSON_NAME", name)


@pytest.mark.parametrize("text", [
    "我們去森林公園散步", "行李放在哪裡", "這個方法如何", "王小姐您好", "陳先生來電", "高興地看著",
    "明天跟高層報告", "王品餐券兌換期限到月底",
])
def test_not_names(text):
    assert found(text, "PERSON_NAME") == []


def test_name_cell_with_and_without_column():
    assert found("王小明", "PERSON_NAME", column="姓名") == [(0, 3, "王小明")]
    assert found("王小明", "PERSON_NAME", column="customer_name") == [(0, 3, "王小明")]
    assert found("王小明", "PERSON_NAME", column="remark") == [(0, 3, "王小明")]  # jieba signal
    assert found("林口", "PERSON_NAME", column="remark") == []


@pytest.mark.parametrize(("text", "name"), [
    ("Name: John Smith", "John Smith"),
    ("英文姓名 CHEN, YI-JUN", "CHEN, YI-JUN"),
    ("收件人：Mary Chen", "Mary Chen"),
])
def test_latin_names_next_to_labels(text, name):
    only(text, "PERSON_NAME", name)


def test_latin_words_without_label_are_not_names():
    assert found("We met at Taipei Main Station", "PERSON_NAME") == []


@pytest.mark.parametrize(("text", "value"), [
    ("生日：民國80年1月2日", "民國80年1月2日"),
    ("出生日期 1990-05-12", "1990-05-12"),
    ("出生年月日079/05/12", "079/05/12"),
    ("DOB 1990/5/12", "1990/5/12"),
    ("生日１９９０年５月１２日", "１９９０年５月１２日"),
])
def test_birth_dates(text, value):
    only(text, "DATE_OF_BIRTH", value)


def test_birth_dates_need_context_and_a_real_date():
    assert found("會議 1990-05-12", "DATE_OF_BIRTH") == []
    assert found("生日 1990-02-30", "DATE_OF_BIRTH") == []
    assert found("1990-05-12", "DATE_OF_BIRTH", column="birthday") == [(0, 10, "1990-05-12")]


def test_ipv6_and_times():
    assert found("來源 2001:db8::1 時間 10:00:01", "IP_ADDRESS") == [(3, 14, "2001:db8::1")]


def test_segments_map_offsets_per_line():
    lines = ["第一行沒有", "客戶王小明 身分證A123456789", "", "電話0912345678"]
    hits = analyze_segments(lines)
    assert [(i, h[0], h[1], h[2]) for i, h in hits] == [
        (1, "PERSON_NAME", 2, 5), (1, "TW_NATIONAL_ID", 9, 19), (3, "PHONE_NUMBER", 2, 12)]
    for i, (_entity, start, end, _score, value) in hits:
        assert lines[i][start:end] == value


def test_entities_filter():
    text = "客戶王小明 身分證A123456789"
    assert {h[0] for h in analyze_text(text, entities={"TW_NATIONAL_ID"})} == {"TW_NATIONAL_ID"}


def test_context_stays_on_its_line():
    assert analyze_segments(["統編", "04595252"], column="remark") == []
    chat = "[10:01] 客戶：我的生日要登記\n[2024-05-07 08:44:45] 客服：好的"
    assert [h for h in analyze_text(chat) if h[0] in {"DATE_OF_BIRTH", "BANK_ACCOUNT"}] == []
    assert [h[0] for h in analyze_text("統編：\u300004595252")] == ["TW_UBN"]


def test_negative_words_in_column_names():
    assert found("AQX-0185", "TW_LICENSE_PLATE", column="$.items[0].sku") == []
    assert found("AQX-0185", "TW_LICENSE_PLATE", column="remark") == [(0, 8, "AQX-0185")]
    assert found("AQX-0185", "TW_LICENSE_PLATE", column="車牌號碼") == [(0, 8, "AQX-0185")]
