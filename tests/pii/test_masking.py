"""Masking: the Taiwanese partial convention, redaction, keyed pseudonyms (deterministic, join
keeping, format preserving) and masked copies of files that hold no original value."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gezi.core.errors import GeziError
from gezi.core.twid import luhn_is_valid, national_id_is_valid, ubn_is_valid
from gezi.pii.mask_files import mask_file
from gezi.pii.masking import load_key, mask_text, mask_value
from gezi.pii.validators import tw_phone, tw_resident_cert

from .builders import make_xlsx

KEY = b"test-key-0123456789abcdef"


@pytest.mark.parametrize(("entity", "value", "masked"), [
    ("TW_NATIONAL_ID", "A123456789", "A12****789"),
    ("TW_NATIONAL_ID", "A123-456-789", "A12*-***-789"),
    ("PERSON_NAME", "王小明", "王○明"),
    ("PERSON_NAME", "林淑", "林○"),
    ("PERSON_NAME", "歐陽娜娜", "歐○○娜"),
    ("PERSON_NAME", "John Smith", "J*** S****"),
    ("PHONE_NUMBER", "0912345678", "0912-***-678"),
    ("PHONE_NUMBER", "0912-345-678", "0912-***-678"),
    # lost its 0 in a spreadsheet number cell: the digits 0912-***-678 keeps, no 0 invented
    ("PHONE_NUMBER", "912345678", "912-***-678"),
    ("PHONE_NUMBER", "912-345-678", "912-***-678"),
    ("PHONE_NUMBER", "223456789", "223***789"),  # 02-2345-6789 without its 0, as 0223***789
    ("PHONE_NUMBER", "2-2345-6789", "2-23**-*789"),
    ("PHONE_NUMBER", "886912345678", "8869*****678"),  # not a lost 0: kept as it was
    ("EMAIL_ADDRESS", "wang@example.com", "w***@example.com"),
    ("CREDIT_CARD", "4111 1111 1111 1111", "4111 **** **** 1111"),
    ("TW_ADDRESS", "台北市大安區忠孝東路四段100號5樓", "台北市大安區忠孝東路四段○○○號○樓"),
    ("IP_ADDRESS", "192.168.1.10", "192.168.*.*"),
    ("DATE_OF_BIRTH", "民國80年1月2日", "民國80年*月*日"),
    ("DATE_OF_BIRTH", "1990-05-12", "1990-**-**"),
    ("DATE_OF_BIRTH", "19900512", "1990****"),  # compact: the first number is the whole date
    ("TW_UBN", "04595252", "04****52"),
])
def test_partial_convention(entity, value, masked):
    assert mask_value(entity, value) == masked


def test_a_compact_birth_date_is_masked_in_text():
    from gezi.pii.analyzer import analyze_text

    text = "生日19900512"
    assert mask_text(text, analyze_text(text)) == "生日1990****"


def test_redact():
    assert mask_value("TW_NATIONAL_ID", "A123456789", "redact") == "[TW_NATIONAL_ID]"


def test_pseudonyms_are_keyed_deterministic_and_normalized():
    a = mask_value("TW_NATIONAL_ID", "A123456789", "pseudonym", KEY)
    assert a == mask_value("TW_NATIONAL_ID", "a123-456-789", "pseudonym", KEY)
    assert a == mask_value("TW_NATIONAL_ID", "Ａ１２３４５６７８９", "pseudonym", KEY)
    assert a != mask_value("TW_NATIONAL_ID", "A123456789", "pseudonym", KEY + b"x")
    assert a != mask_value("TW_NATIONAL_ID", "B123456780", "pseudonym", KEY)
    assert "A123456789" not in a
    assert mask_value("PHONE_NUMBER", "0912-345-678", "pseudonym", KEY) == \
        mask_value("PHONE_NUMBER", "+886 912 345 678", "pseudonym", KEY)


@pytest.mark.parametrize("value", ["A123456789", "F131104093", "B234567894"])
def test_format_preserving_national_id_is_checksum_valid(value):
    out = mask_value("TW_NATIONAL_ID", value, "pseudonym", KEY, format_preserving=True)
    assert national_id_is_valid(out) and out != value and out[1] in "12"


def test_format_preserving_other_identifiers():
    phone = mask_value("PHONE_NUMBER", "0912-345-678", "pseudonym", KEY, True)
    assert tw_phone(phone, {}) and phone[4] == "-" and phone != "0912-345-678"
    landline = mask_value("PHONE_NUMBER", "(02)2345-6789", "pseudonym", KEY, True)
    assert tw_phone(landline, {}) and landline.startswith("(02)")
    arc = mask_value("TW_RESIDENT_CERT", "A800000014", "pseudonym", KEY, True)
    assert tw_resident_cert(arc, {}) and arc != "A800000014"
    ubn = mask_value("TW_UBN", "04595252", "pseudonym", KEY, True)
    assert ubn_is_valid(ubn) and ubn != "04595252"
    card = mask_value("CREDIT_CARD", "4111 1111 1111 1111", "pseudonym", KEY, True)
    assert luhn_is_valid(card.replace(" ", "")) and card.startswith("4111 11")
    name = mask_value("PERSON_NAME", "王小明", "pseudonym", KEY, True)
    assert len(name) == 3 and name != "王小明"
    email = mask_value("EMAIL_ADDRESS", "wang@corp.tw", "pseudonym", KEY, True)
    assert email.endswith("@example.com") and "wang" not in email


@pytest.mark.parametrize(("ten", "nines"), [("0912345678", ("912345678", "912-345-678")),
                                             ("0223456789", ("223456789", "2-2345-6789"))])
def test_format_preserving_phone_without_its_zero_keeps_nine_digits(ten, nines):
    ten = mask_value("PHONE_NUMBER", ten, "pseudonym", KEY, True)
    for value in nines:
        nine = mask_value("PHONE_NUMBER", value, "pseudonym", KEY, True)
        assert nine.replace("-", "") == ten[1:]  # the same person, the same digits, no 0 added
        assert len(nine) == len(value) and nine[0] == value[0] and tw_phone("0" + nine, {})
    assert mask_value("PHONE_NUMBER", "912-345-678", "pseudonym", KEY, True)[3::4] == "--"


def test_a_phone_number_cell_without_its_zero_is_masked_in_a_sheet(tmp_path):
    src = make_xlsx(tmp_path / "名單.xlsx", {"客戶": [["姓名", "手機"], ["王小明", 912345678]]})
    mask_file(src, tmp_path / "out.xlsx")
    from openpyxl import load_workbook

    cells = [c.value for c in next(load_workbook(tmp_path / "out.xlsx")["客戶"].iter_rows(min_row=2))]
    assert cells == ["王○明", "912-***-678"]


def test_pseudonym_needs_a_key(monkeypatch):
    monkeypatch.delenv("GEZI_MASK_KEY", raising=False)
    with pytest.raises(GeziError):
        mask_value("PERSON_NAME", "王小明", "pseudonym")
    with pytest.raises(GeziError):
        load_key()
    monkeypatch.setenv("GEZI_MASK_KEY", "short")
    with pytest.raises(GeziError):
        load_key()


def test_mask_text_replaces_spans():
    from gezi.pii.analyzer import analyze_text

    text = "客戶王小明，手機0912345678"
    assert mask_text(text, analyze_text(text)) == "客戶王○明，手機0912-***-678"


# B234567894 is valid; B234567890 (bad checksum) appears only under telling column names.
ORIGINALS = ["王小明", "A123456789", "0912345678", "陳怡君", "B234567894", "B234567890",
             "02-2345-6789",
             "台北市大安區忠孝東路四段100號", "wang@example.com"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_sources(tmp_path: Path) -> dict[str, Path]:
    csv_path = tmp_path / "customers.csv"
    csv_path.write_bytes(("姓名,身分證,電話,備註\n"
                          "王小明,A123456789,0912345678,寄到台北市大安區忠孝東路四段100號\n"
                          "陳怡君,B234567890,02-2345-6789,信箱 wang@example.com\n").encode("cp950"))
    xlsx = make_xlsx(tmp_path / "book.xlsx", {"S": [["姓名", "身分證字號", "手機"],
                                                    ["王小明", "A123456789", "0912345678"],
                                                    ["陳怡君", "B234567890", "02-2345-6789"]]})
    js = tmp_path / "orders.json"
    js.write_text(json.dumps({"orders": [{"buyer": "王小明", "id_no": "A123456789",
                                          "phone": 912345678, "memo": "陳怡君 B234567894 02-2345-6789"}],
                              "contact": "wang@example.com 台北市大安區忠孝東路四段100號"},
                             ensure_ascii=False), encoding="utf-8")
    txt = tmp_path / "chat.txt"
    txt.write_text("客戶王小明(A123456789)說手機0912345678\r\n陳怡君 B234567894 02-2345-6789\n"
                   "寄到台北市大安區忠孝東路四段100號 wang@example.com\n", encoding="utf-8")
    return {"csv": csv_path, "xlsx": xlsx, "json": js, "txt": txt}


def _content(path: Path) -> str:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        return "\n".join(str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r)
    return path.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize("method", ["partial", "redact", "pseudonym"])
def test_masked_files_hold_no_original_value_and_sources_stay(tmp_path, method):
    sources = _write_sources(tmp_path)
    before = {k: _digest(p) for k, p in sources.items()}
    for kind, src in sources.items():
        out = tmp_path / "out" / f"masked-{src.name}"
        result = mask_file(src, out, method, KEY if method == "pseudonym" else None)
        assert result["values_masked"] >= 3, (kind, result)
        text = _content(out)
        for original in ORIGINALS:
            assert original not in text, (kind, original, text)
        assert "A123-456-789" not in text
    assert {k: _digest(p) for k, p in sources.items()} == before


def test_pseudonyms_join_across_files(tmp_path):
    sources = _write_sources(tmp_path)
    outs = {}
    for kind in ("csv", "xlsx"):
        out = tmp_path / f"p-{sources[kind].name}"
        mask_file(sources[kind], out, "pseudonym", KEY, format_preserving=True)
        outs[kind] = _content(out)
    pid = mask_value("TW_NATIONAL_ID", "A123456789", "pseudonym", KEY, True)
    name = mask_value("PERSON_NAME", "王小明", "pseudonym", KEY, True)
    assert pid in outs["csv"] and pid in outs["xlsx"]
    assert name in outs["csv"] and name in outs["xlsx"]


def test_csv_structure_and_header_kept(tmp_path):
    src = _write_sources(tmp_path)["csv"]
    out = tmp_path / "m.csv"
    mask_file(src, out)
    rows = out.read_bytes().decode("utf-8-sig").splitlines()
    assert rows[0] == "姓名,身分證,電話,備註"
    assert rows[1] == "王○明,A12****789,0912-***-678,寄到台北市大安區忠孝東路四段○○○號"
    # Under a telling column even a checksum-invalid ID is masked (B234567890 fails the check).
    assert rows[2].startswith("陳○君,B23****890,02-23**-*789,")


def test_mask_file_refuses_bad_requests(tmp_path):
    src = _write_sources(tmp_path)["txt"]
    with pytest.raises(GeziError):
        mask_file(src, src)
    out = tmp_path / "o.txt"
    out.write_text("x")
    with pytest.raises(GeziError):
        mask_file(src, out)
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(GeziError):
        mask_file(tmp_path / "a.pdf", tmp_path / "b.pdf")
    with pytest.raises(GeziError):
        mask_file(tmp_path / "missing.csv", tmp_path / "b.csv")
