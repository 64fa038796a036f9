"""Lines as they occur in customer-service notes, forms and exports: what is and is not reported."""

from __future__ import annotations

import pytest

from gezi.pii.analyzer import analyze_segments, analyze_text


def found(text: str, entity: str) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text) if e == entity]


def test_a_date_before_the_birthday_label_is_not_a_birth_date():
    text = "客戶張簡志明於 113 年 5 月 3 日來電，生日 79.05.03"
    assert found(text, "DATE_OF_BIRTH") == ["79.05.03"]
    assert found(text, "PERSON_NAME") == ["張簡志明"]


@pytest.mark.parametrize(("text", "date"), [
    ("民國79年5月3日出生", "民國79年5月3日"),
    ("1990/05/03 出生", "1990/05/03"),
    ("生日：1990-05-03", "1990-05-03"),
])
def test_birth_dates_with_the_label_before_or_right_after(text, date):
    assert found(text, "DATE_OF_BIRTH") == [date]


def test_an_already_masked_id_is_not_reported():
    assert analyze_text("身分證字號：A12****789（已遮蔽）") == []


@pytest.mark.parametrize("phone", ["0912 345 678", "+886-912-345-678", "(04)2222-3333", "02 2345 6789",
                                   "0987-654-321"])
def test_phone_number_forms_in_a_contact_line(phone):
    assert found(f"電話：{phone}、其他", "PHONE_NUMBER") == [phone]


@pytest.mark.parametrize(("text", "column", "phones"), [
    ("msisdn=886912345678 status=DELIVERED", None, ["886912345678"]),
    ("SMS sent to 886912345678", None, ["886912345678"]),
    ("886912345678", "msisdn", ["886912345678"]),
    ("order 886912345678 shipped", None, []),  # twelve bare digits without a phone word
    ("886912345678", "order_no", []),
])
def test_international_mobile_without_plus_needs_a_phone_word(text, column, phones):
    assert found_in(text, "PHONE_NUMBER", column) == phones


def found_in(text: str, entity: str, column: str | None) -> list[str]:
    return [v for e, _, _, _, v in analyze_text(text, column=column) if e == entity]


@pytest.mark.parametrize("line", ["客服專線 0800-000-123（免付費）", "免付費電話：0809-090-123",
                                  "付費語音 0204-123-456"])
def test_service_lines_are_no_personal_phone_numbers(line):
    assert found(line, "PHONE_NUMBER") == []
    assert found(line + "，承辦人手機 0912-345-678", "PHONE_NUMBER") == ["0912-345-678"]


@pytest.mark.parametrize(("column", "value", "entity"), [
    ("帳號", "0912345678", "PHONE_NUMBER"),  # the mobile number a member logs in with
    ("帳號", "12345678901234", "BANK_ACCOUNT"),
    ("銀行帳號", "0012-0001-234567", "BANK_ACCOUNT"),
])
def test_a_column_named_account(column, value, entity):
    assert [(e, v) for e, _, _, _, v in analyze_text(value, column=column)] == [(entity, value)]


@pytest.mark.parametrize(("text", "column"), [("2024110012", "登入帳號"), ("12345678901234", "會員帳號"),
                                              ("會員帳號：12345678901，密碼請自行設定", None)])
def test_a_login_account_is_no_bank_account(text, column):
    assert found_in(text, "BANK_ACCOUNT", column) == []


@pytest.mark.parametrize("address", ["新竹縣竹北市光明六路東一段5號", "台中市西屯區文心路三段241號12樓之3",
                                     "高雄市前鎮區中山二路2號", "南投縣仁愛鄉發祥村瑞岩巷11號",
                                     "台南市中西區民族路二段神農巷5號"])
def test_roads_with_numbers_a_direction_before_the_section_and_named_lanes(address):
    assert found(f"送達{address}。", "TW_ADDRESS") == [address]


@pytest.mark.parametrize(("column", "value"), [("手機", "912345678"), ("phone", "912345678"),
                                               ("聯絡電話", "227715566")])
def test_a_phone_that_lost_its_leading_zero_in_a_number_cell(column, value):
    assert [(e, v) for e, _, _, _, v in analyze_text(value, column=column)] == [("PHONE_NUMBER", value)]


@pytest.mark.parametrize("column", [None, "數量", "訂單編號", "金額"])
def test_nine_digits_elsewhere_are_no_phone(column):
    assert analyze_text("912345678", column=column) == []


def test_a_phone_without_its_zero_has_the_pseudonym_of_the_phone():
    from gezi.pii.masking import mask_value

    key = b"k" * 32
    assert mask_value("PHONE_NUMBER", "912345678", "pseudonym", key) == \
        mask_value("PHONE_NUMBER", "0912-345-678", "pseudonym", key)


@pytest.mark.parametrize(("text", "date"), [
    ("出生日期：0790503", "0790503"),  # ROC, 7 digits, as government and bank systems store it
    ("出生日期：790503", "790503"),
    ("Date of Birth: 03/05/1990", "03/05/1990"),  # year last
    ("DOB 12/25/1990", "12/25/1990"),  # month first (a US form)
])
def test_compact_roc_and_year_last_birth_dates(text, date):
    assert found(text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize("text", ["會員編號 0790503", "訂單 1120503 已出貨", "於 03/05/2024 來電"])
def test_compact_numbers_and_dates_without_a_birth_word(text):
    assert found(text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(("value", "partial"), [("03/05/1990", "**/**/1990"), ("0790503", "079****"),
                                                ("790503", "79****"), ("19900503", "1990****")])
def test_compact_and_year_last_dates_are_masked_in_their_form(value, partial):
    from gezi.pii.masking import mask_value
    from gezi.pii.validators import parse_birth_date

    assert mask_value("DATE_OF_BIRTH", value, "partial") == partial
    fp = mask_value("DATE_OF_BIRTH", value, "pseudonym", key=b"k" * 32, format_preserving=True)
    assert len(fp) == len(value) and fp != value and parse_birth_date(fp) is not None


@pytest.mark.parametrize("text", ["name: Taiwan Personal Data Protection Act", "Attn: Accounts Payable",
                                  "聯絡人：Human Resources Department", "Name: Apple Inc"])
def test_organisations_and_laws_after_a_name_label_are_no_names(text):
    assert found(text, "PERSON_NAME") == []


@pytest.mark.parametrize(("text", "name"), [("Name: Chen Mei-Hua", "Chen Mei-Hua"),
                                            ("持卡人：LIN YI CHEN", "LIN YI CHEN")])
def test_latin_names_after_a_label(text, name):
    assert found(text, "PERSON_NAME") == [name]


def test_a_postal_code_is_not_the_tail_of_the_phone_before_the_address():
    text = "客戶 林志明 0932123456 台中市北區三民路三段129號"
    assert found(text, "PHONE_NUMBER") == ["0932123456"]
    assert found(text, "TW_ADDRESS") == ["台中市北區三民路三段129號"]
    assert found("收件地址：10617臺北市大安區羅斯福路四段1號", "TW_ADDRESS") == ["10617臺北市大安區羅斯福路四段1號"]
    assert found("0912345678 540南投縣南投市中興路1號", "TW_ADDRESS") == ["540南投縣南投市中興路1號"]


@pytest.mark.parametrize(("text", "entity", "value"), [
    ("身分證 A 123456789", "TW_NATIONAL_ID", "A 123456789"),
    ("身分證號A 123 456 789", "TW_NATIONAL_ID", "A 123 456 789"),
    ("身分證　Ａ　１２３４５６７８９", "TW_NATIONAL_ID", "Ａ\u3000１２３４５６７８９"),
    ("居留證 A 800000014", "TW_RESIDENT_CERT", "A 800000014"),
])
def test_an_id_letter_one_separator_away_from_its_digits(text, entity, value):
    assert found(text, entity) == [value]
    assert found(text[:-1] + str((int(text[-1]) + 1) % 10), entity) == []  # checksum fails


@pytest.mark.parametrize(("text", "names"), [
    ("Contact: John Smith, john.smith@gmail.com", ["John Smith"]),
    ("Cardholder: CHEN MEI LING", ["CHEN MEI LING"]),
    ("Recipient: Wang Xiao-Ming", ["Wang Xiao-Ming"]),
    ("Customer: Acme Trading Ltd", []),
    ("Customer Service Center", []),
    ("Contact Us", []),
])
def test_latin_names_after_english_contact_labels(text, names):
    assert found(text, "PERSON_NAME") == names


@pytest.mark.parametrize("column", ["姓名", "聯絡人姓名", "收件人", "customer_name"])
def test_latin_names_in_a_chinese_name_column(column):
    cells = ["Mary Chen", "王小明", "N/A", "Test User", "Apple Inc", "JOHN SMITH"]
    found = [(i, h[4]) for i, h in analyze_segments(cells, column=column) if h[0] == "PERSON_NAME"]
    assert found == [(0, "Mary Chen"), (1, "王小明"), (5, "JOHN SMITH")]


def test_versions_in_a_user_agent_are_no_ip_addresses():
    line = ('203.0.113.5 - - [05/Nov/2023:10:00:00 +0800] "GET /ping/8.8.8.8 HTTP/1.1" 200 12 "http://10.1.2.3/" '
            '"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/119.0.0.0 Safari/537.36 Firefox/2.0.0.4"')
    assert found(line, "IP_ADDRESS") == ["203.0.113.5", "10.1.2.3"]


@pytest.mark.parametrize(("text", "accounts"), [
    ("中國信託 822-123456789012", ["822-123456789012"]),
    ("帳戶：700-0001234-1234567", ["700-0001234-1234567"]),  # whole, not cut after 10 digits
    ("玉山國家公園 1234567890 公尺", []),
    ("訂單 12345678901234567 匯款", []),
])
def test_bank_accounts_with_their_code_and_bank_names(text, accounts):
    assert found(text, "BANK_ACCOUNT") == accounts


def test_a_name_signing_an_english_letter():
    mail = ("Hi Ms. Lin,\nplease see attached.\n\nBest regards,\nAmy Chen\nSales Manager\n\n"
            "Thanks,\nThe Team\n\nRegards,\nCustomer Service\n\nSincerely,\n  John Smith  \n\n"
            "Best regards,\nAcme Corp\n")
    assert found(mail, "PERSON_NAME") == ["Amy Chen", "John Smith"]
    assert found("Regards,\r\nAmy Chen\r\n", "PERSON_NAME") == ["Amy Chen"]
    assert found("Amy Chen\nSales Manager", "PERSON_NAME") == []  # no sign-off above it


@pytest.mark.parametrize(("text", "name"), [
    ("英文姓名 Lin Chih-hao", "Lin Chih-hao"),  # the second syllable in lower case, as passports write it
    ("Name: Chang Yu-ting (張語婷)", "Chang Yu-ting"),
    ("Name: Wang, Hsiao-Ming", "Wang, Hsiao-Ming"),  # surname first, then a comma
    ("Name: Jean-Pierre Dupont", "Jean-Pierre Dupont"),
])
def test_romanized_taiwanese_names_whole(text, name):
    assert name in found(text, "PERSON_NAME")


def test_host_names_with_numbers_are_no_ids():
    """ip-10-77-20-248 (an AWS host name, on every line of a server's log) opens no ID window."""
    assert found("Dec 10 06:55:46 ip-10-77-20-248 sshd[24200]: Invalid user test", "TW_NATIONAL_ID") == []
