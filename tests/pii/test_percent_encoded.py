"""Personal data percent-encoded in URLs (a search or form GET in an access log) is found on
the encoded characters and masked decoded, then encoded again."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest

from gezi.pii.analyzer import analyze_text
from gezi.pii.masking import mask_text, partial
from gezi.pii.percent import _decode

NAME, ADDRESS = "王小明", "台北市大安區忠孝東路四段100號"
LINE = (f'203.0.113.9 - - [23/Nov/2026:10:00:00 +0800] "GET /search?name={quote(NAME)}'
        f'&addr={quote(ADDRESS)}&tel=0912345678 HTTP/1.1" 200 512')


def test_encoded_name_and_address_are_found_on_their_encoded_characters():
    hits = {(e, v) for e, _, _, _, v in analyze_text(LINE)}
    assert ("PERSON_NAME", quote(NAME)) in hits  # found through the query key "name"
    assert ("TW_ADDRESS", quote(ADDRESS)) in hits
    assert ("PHONE_NUMBER", "0912345678") in hits
    for _, start, end, _, value in analyze_text(LINE):
        assert LINE[start:end] == value


@pytest.mark.parametrize("method", ["partial", "redact", "pseudonym"])
def test_masked_urls_keep_their_form_and_hold_no_original_value(method):
    out = mask_text(LINE, analyze_text(LINE), method, key=b"k" * 32)
    for value in (NAME, ADDRESS, "0912345678"):
        assert value not in unquote(out) and quote(value) not in out
    assert '"GET /search?name=' in out and "&addr=" in out and "&tel=" in out
    assert " " not in out.split("name=")[1].split(" HTTP")[0]  # still one URL


def test_partial_of_an_encoded_name_is_the_encoded_partial():
    assert unquote(partial("PERSON_NAME", quote(NAME))) == "王○明"


def test_an_encoded_search_word_is_no_personal_data():
    assert analyze_text(f"GET /q?keyword={quote('手機殼')} HTTP/1.1") == []


@pytest.mark.parametrize("token", [quote("a王b c"), "%E7%8E", "abc", quote("王") + "%ZZ"])
def test_decode_maps_every_character_to_its_encoding(token):
    decoded, starts = _decode(token)
    assert len(starts) == len(decoded) + 1 and starts[-1] == len(token)
    assert starts == sorted(starts)
