"""Which masking style an entity uses is data (masking.yaml): every current entity masks exactly
as before the table existed, a new entity picks an existing style by name without a Python
change, an unknown style name is a one-line error when the file is loaded, and no masked value
holds the original."""

from __future__ import annotations

import shutil

import pytest

from gezi.catalog.loader import CatalogError
from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text, mask_value, styles_for
from gezi.pii.registry import PII_DATA_DIR, get_registry
from gezi.pii.validators import canonical, tw_phone

KEY = b"test-key-0123456789abcdef"

# (entity, value, partial, pseudonym, pseudonym --format-preserving), computed by
# masking.py at commit 32b2aeb, when the styles were still `if entity == …` branches.
# Changed since: a county and district alone (高雄市三民區) had no pseudonym (GeziError, which
# aborted a whole --format-preserving run); it now keeps the county and replaces the district.
BEFORE = [
    ("TW_NATIONAL_ID", "A123456789", "A12****789",
     "tw_national_id_c01204f0e71c", "K140186258"),
    ("TW_NATIONAL_ID", "A123-456-789", "A12*-***-789",
     "tw_national_id_c01204f0e71c", "K140-186-258"),
    ("TW_NATIONAL_ID", "Ａ１２３４５６７８９", "Ａ１２****７８９",
     "tw_national_id_c01204f0e71c", "K140186258"),
    ("TW_NATIONAL_ID", "a123456789", "a12****789",
     "tw_national_id_c01204f0e71c", "K140186258"),
    ("TW_NATIONAL_ID", "A12345678", "A12***678",
     "tw_national_id_d5a80cc41509", "F82619976"),
    ("TW_RESIDENT_CERT", "A800000014", "A80****014",
     "tw_resident_cert_0e8115bf851e", "O911308188"),
    ("TW_RESIDENT_CERT", "AB12345678", "AB1****678",
     "tw_resident_cert_8b94b08d25a9", "J861798331"),
    ("TW_RESIDENT_CERT", "A8000000", "A80**000",
     "tw_resident_cert_e2b1081aec13", "S7866946"),
    ("TW_UBN", "04595252", "04****52",
     "tw_ubn_00ca78f811f8", "02087891"),
    ("TW_UBN", "0459-5252", "04**-**52",
     "tw_ubn_00ca78f811f8", "0208-7891"),
    ("TW_UBN", "0459525", "04***25",
     "tw_ubn_13e2d1e7571e", "9691706"),
    ("PHONE_NUMBER", "0912345678", "0912-***-678",
     "phone_number_94c46e817ffa", "0986097579"),
    ("PHONE_NUMBER", "0912-345-678", "0912-***-678",
     "phone_number_94c46e817ffa", "0986-097-579"),
    ("PHONE_NUMBER", "+886 912 345 678", "+886 9** *** 678",
     "phone_number_94c46e817ffa", "+886 986 097 579"),
    ("PHONE_NUMBER", "(02)2345-6789", "(02)23**-*789",
     "phone_number_d671c072eacd", "(02)2432-4453"),
    ("PHONE_NUMBER", "02-2345-6789", "02-23**-*789",
     "phone_number_d671c072eacd", "02-2432-4453"),
    ("PHONE_NUMBER", "０９１２３４５６７８", "0912-***-678",
     "phone_number_94c46e817ffa", "0986097579"),
    ("PHONE_NUMBER", "886912345678", "8869*****678",
     "phone_number_94c46e817ffa", "886986097579"),
    ("PHONE_NUMBER", "07-123-4567", "07-1**-*567",
     "phone_number_80b48bb22838", "07-180-9806"),
    ("EMAIL_ADDRESS", "wang@example.com", "w***@example.com",
     "email_address_980b790d4b3c", "user980b790d4b@example.com"),
    ("EMAIL_ADDRESS", "Wang.Xiao@Corp.TW", "W***@Corp.TW",
     "email_address_d9c00b716f4e", "userd9c00b716f@example.com"),
    ("EMAIL_ADDRESS", "wang%40example.com", "w***%40example.com",
     "email_address_980b790d4b3c", "user980b790d4b%40example.com"),
    ("EMAIL_ADDRESS", "ｗａｎｇ＠example.com", "ｗ***＠example.com",
     "email_address_980b790d4b3c", "user980b790d4b@example.com"),
    ("EMAIL_ADDRESS", "noatsign", "n***@",
     "email_address_065654ed8f09", "user065654ed8f@example.com"),
    ("CREDIT_CARD", "4111 1111 1111 1111", "4111 **** **** 1111",
     "credit_card_20a00677ce7e", "4111 1120 6966 0968"),
    ("CREDIT_CARD", "4111-1111-1111-1111", "4111-****-****-1111",
     "credit_card_20a00677ce7e", "4111-1120-6966-0968"),
    ("CREDIT_CARD", "5500000000000004", "5500********0004",
     "credit_card_e9f5c89e94bb", "5500003508873195"),
    ("CREDIT_CARD", "4111 11XX 1111 1111", "4111 **** **** 1111",
     "credit_card_f0f61abac1a6", "0666 36DM 8372 7813"),
    ("TW_NHI_CARD", "000012345678", "00********78",
     "tw_nhi_card_75c1d085f713", "738379397169"),
    ("TW_NHI_CARD", "0000 1234 5678", "00** **** **78",
     "tw_nhi_card_75c1d085f713", "7383 7939 7169"),
    ("TW_PASSPORT", "312345678", "31*****78",
     "tw_passport_30436f051459", "871509354"),
    ("TW_PASSPORT", "P12345678<0TWN", "P1*******<**WN",
     "tw_passport_1b1dcd1f5191", "B95115019<9XMN"),
    ("BANK_ACCOUNT", "012-345-678901", "012-***-***901",
     "bank_account_d5332169c884", "313-502-474391"),
    ("BANK_ACCOUNT", "12345678901234", "123********234",
     "bank_account_699c52679220", "56236276631854"),
    ("TW_LICENSE_PLATE", "ABC-1234", "A**-***4",
     "tw_license_plate_80d429df6160", "YEP-3764"),
    ("TW_LICENSE_PLATE", "1234-AB", "1***-*B",
     "tw_license_plate_55a6b3b35bdf", "5699-NP"),
    ("TW_ADDRESS", "台北市大安區忠孝東路四段100號5樓", "台北市大安區忠孝東路四段○○○號○樓",
     "tw_address_c8e7e4679d4e", "台北市大安區欣君宜路彥段410號7樓"),
    ("TW_ADDRESS", "臺中市西屯區台灣大道三段99號", "臺中市西屯區台灣大道三段○○號",
     "tw_address_a73c176020a7", "臺中市西屯區廷淑大道穎段62號"),
    ("TW_ADDRESS", "新北市板橋區中山路一段161號之3", "新北市板橋區中山路一段○○○號之○",
     "tw_address_e32df07df3e5", "新北市板橋區宇婷路庭段701號之7"),
    ("TW_ADDRESS", "100台北市中正區重慶南路一段122號", "100台北市中正區重慶南路一段○○○號",
     "tw_address_6625c1cc63d3", "100台北市中正區怡婷芬路子段913號"),
    ("TW_ADDRESS", "高雄市三民區", "高雄市三民區",
     "tw_address_2226ef1ee635", "高雄市彥品區"),
    ("PERSON_NAME", "王小明", "王○明",
     "person_name_88a112dd9394", "賴志庭"),
    ("PERSON_NAME", "林淑", "林○",
     "person_name_8327fdb90198", "沈瑜"),
    ("PERSON_NAME", "歐陽娜娜", "歐○○娜",
     "person_name_0070f57e91c0", "池家欣品"),
    ("PERSON_NAME", "John Smith", "J*** S****",
     "person_name_69b5e76286f6", "Huli Renmo"),
    ("PERSON_NAME", " 陳怡君 ", "陳○君",
     "person_name_0b77db8ed57b", "岳華廷"),
    ("PERSON_NAME", "王", "王○",
     "person_name_d4fd6a35aa2e", "熊詩"),
    ("DATE_OF_BIRTH", "民國80年1月2日", "民國80年*月*日",
     "date_of_birth_60c71c76125d", "民國80年11月18日"),
    ("DATE_OF_BIRTH", "1990-05-12", "1990-**-**",
     "date_of_birth_9195b2adb9ab", "1989-06-20"),
    ("DATE_OF_BIRTH", "19900512", "1990****",  # showed 19900512 unmasked before (fixed)
     "date_of_birth_9195b2adb9ab", "19890620"),
    ("DATE_OF_BIRTH", "80/01/02", "80/**/**",
     "date_of_birth_6f24025b3c1f", "80/12/15"),
    ("DATE_OF_BIRTH", "1990年5月12日", "1990年*月**日",
     "date_of_birth_f00c0a926dcb", "1989年9月21日"),
    ("DATE_OF_BIRTH", "99/99/99", "99/**/**",
     "date_of_birth_2a9aa0a66603", "24/06/23"),
    ("IP_ADDRESS", "192.168.1.10", "192.168.*.*",
     "ip_address_c4941c180f48", "10.196.148.28"),
    ("IP_ADDRESS", "8.8.8.8", "8.8.*.*",
     "ip_address_877c3e43023f", "10.135.124.62"),
    ("IP_ADDRESS", "2001:db8::1", "2001:db8:*:*",
     "ip_address_4e64982456a1", "fd4e:6498:2456:a1be:6aea:b439:7aca:49e5"),
    ("IP_ADDRESS", "fe80::1:2:3", "fe80::*:*:*",
     "ip_address_1a855ea92e91", "fd1a:855e:a92e:91d7:b301:c7f9:970c:7c92"),
    ("NOT_A_RECOGNIZER", "AB12cd34", "A******4",
     "not_a_recognizer_02590c4e5022", "CL28ci23"),
    ("NOT_A_RECOGNIZER", "x", "*",
     "not_a_recognizer_4ee968584d45", "a"),
]


@pytest.mark.parametrize(("entity", "value", "part", "pseudo", "fp"), BEFORE)
def test_every_current_entity_masks_as_before(entity, value, part, pseudo, fp):
    assert mask_value(entity, value) == part
    assert mask_value(entity, value, "redact") == f"[{entity}]"
    assert mask_value(entity, value, "pseudonym", KEY) == pseudo
    assert mask_value(entity, value, "pseudonym", KEY, format_preserving=True) == fp


def test_the_table_names_every_shipped_entity_and_no_other():
    from gezi.catalog.loader import read_yaml

    listed = set(read_yaml(PII_DATA_DIR / "masking.yaml")["entities"])
    assert listed == get_registry().entities
    assert {row[0] for row in BEFORE} >= get_registry().entities


# A form PHONE_NUMBER does not recognize (09-1234-5678), found only after 緊急聯絡人.
EXTRA = """
  - entity: EMERGENCY_PHONE
    name: {zh-TW: 緊急聯絡人電話, en: "Emergency contact phone"}
    source: {citation: "test fixture", verified: editorial}
    patterns:
      - name: two-four-four
        regex: '(?<![0-9])09-[0-9]{4}-[0-9]{4}(?![0-9])'
        score: 0.3
    context: [緊急聯絡人]
    context_required: true
    context_boost: 0.4
    min_score: 0.5
"""
TEXT = "緊急聯絡人手機 09-1234-5678"


@pytest.fixture
def pii_dir(tmp_path, monkeypatch):
    for name in ("recognizers.yaml", "masking.yaml"):
        shutil.copy(PII_DATA_DIR / name, tmp_path / name)
    recognizers = tmp_path / "recognizers.yaml"
    recognizers.write_text(recognizers.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    monkeypatch.setenv("GEZI_PII_DIR", str(tmp_path))
    return tmp_path


def _add_styles(pii_dir, line: str) -> None:
    path = pii_dir / "masking.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"  {line}\n", encoding="utf-8")


def test_a_new_entity_without_a_setting_gets_the_default_styles(pii_dir):
    hits = analyze_text(TEXT)
    assert [(h[0], h[4]) for h in hits] == [("EMERGENCY_PHONE", "09-1234-5678")]
    assert mask_text(TEXT, hits) == "緊急聯絡人手機 0*-****-***8"  # alnum, mask_keep [1, 1]
    styles = styles_for("EMERGENCY_PHONE")
    assert (styles.partial, styles.pseudonym, styles.canonical) == ("alnum", "generic", "compact")


def test_a_new_entity_naming_existing_styles_gets_them(pii_dir):
    _add_styles(pii_dir, "EMERGENCY_PHONE: {partial: phone, pseudonym: phone, canonical: phone}")
    hits = analyze_text(TEXT)
    assert mask_text(TEXT, hits) == "緊急聯絡人手機 0912-***-678"
    fp = mask_value("EMERGENCY_PHONE", "09-1234-5678", "pseudonym", KEY, format_preserving=True)
    assert tw_phone(fp, {}) and fp.startswith("09-") and fp[7] == "-" and fp != "09-1234-5678"
    # The phone canonical form: every spelling of the number gets one pseudonym.
    assert mask_value("EMERGENCY_PHONE", "+886 912 345 678", "pseudonym", KEY) == \
        mask_value("EMERGENCY_PHONE", "09-1234-5678", "pseudonym", KEY)


def test_a_style_left_out_comes_from_the_default(pii_dir):
    _add_styles(pii_dir, "EMERGENCY_PHONE: {partial: phone}")
    styles = styles_for("EMERGENCY_PHONE")
    assert (styles.partial, styles.pseudonym, styles.canonical) == ("phone", "generic", "compact")
    assert mask_value("EMERGENCY_PHONE", "09-1234-5678") == "0912-***-678"


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("partial", "partial: phone", "partial: phon"),
    ("pseudonym", "pseudonym: national_id", "pseudonym: nationalid"),
    ("canonical", "canonical: text", "canonical: texts"),
])
def test_an_unknown_style_name_is_a_one_line_error_at_load(pii_dir, fresh_env, cli, kind, good, bad):
    path = pii_dir / "masking.yaml"
    text = path.read_text(encoding="utf-8")
    assert good in text
    path.write_text(text.replace(good, bad, 1), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        styles_for("TW_NATIONAL_ID")
    message = str(err.value)
    assert f"unknown {kind} style {bad.split()[-1]!r}; known:" in message
    assert str(path) in message and "\n" not in message
    (pii_dir / "in.txt").write_text("身分證 A123456789\n", encoding="utf-8")
    r = cli("mask", pii_dir / "in.txt", pii_dir / "out.txt")
    assert r.code == 2 and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and f"unknown {kind} style" in r.err


def test_an_unknown_key_is_an_error(pii_dir):
    _add_styles(pii_dir, "EMERGENCY_PHONE: {partal: phone}")
    with pytest.raises(CatalogError, match=r"EMERGENCY_PHONE\.partal"):
        styles_for("EMERGENCY_PHONE")


# Values whose masks may show them: only county and district (not personal), a one-character
# name.
_SHOWN = {("TW_ADDRESS", "高雄市三民區"), ("PERSON_NAME", "王")}


@pytest.mark.parametrize("value", ["高雄市三民區", "臺北市", "新竹縣竹北市"])
def test_county_and_district_alone_get_a_pseudonym(value):
    """A column of bare districts masked --format-preserving: the county stays, the rest is
    replaced, and the run does not stop (it did: no pseudonym could be derived)."""
    out = mask_value("TW_ADDRESS", value, "pseudonym", KEY, format_preserving=True)
    assert out != value and len(out) == len(value)
    if len(value) > 3:
        assert out[:3] == value[:3]


@pytest.mark.parametrize(("entity", "value"), [r[:2] for r in BEFORE if r[:2] not in _SHOWN])
@pytest.mark.parametrize("method", ["partial", "redact", "pseudonym", "format-preserving"])
def test_masked_values_hold_no_original(entity, value, method):
    fp = method == "format-preserving"
    masked = mask_value(entity, value, "pseudonym" if fp else method, KEY, format_preserving=fp)
    assert value.strip() not in masked
    assert canonical(value) not in canonical(masked)


@pytest.mark.parametrize("entity", sorted(get_registry().entities))
@pytest.mark.parametrize("value", ["無", "-", "不詳", "請洽客服", "N/A"])
def test_format_preserving_placeholder_gets_a_token_not_an_error(entity, value):
    """Placeholders in a PII column have no form to preserve; masking them must not stop the
    file (it did: 'cannot derive a pseudonym')."""
    out = mask_value(entity, value, "pseudonym", KEY, format_preserving=True)
    assert out != value and value not in out
    assert out == mask_value(entity, value, "pseudonym", KEY, format_preserving=True)


def test_mask_file_with_placeholders_in_id_and_phone_columns(tmp_path):
    from gezi.pii.mask_files import mask_file

    src = tmp_path / "c.csv"
    src.write_text("姓名,身分證字號,電話\n王小明,A123456789,0912345678\n陳怡君,無,請洽客服\n",
                   encoding="utf-8")
    report = mask_file(src, tmp_path / "out.csv", "pseudonym", KEY, format_preserving=True)
    out = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert report["values_masked"] == 6
    for original in ("王小明", "A123456789", "0912345678", "陳怡君", "請洽客服"):
        assert original not in out
