"""Recognizers are data: a new one is a YAML edit; bad YAML is a one-line error; patterns
widened for full-width text match exactly what the ASCII pattern matches on NFKC text."""

from __future__ import annotations

import re
import shutil
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gezi.catalog.loader import CatalogError
from gezi.core import twid
from gezi.pii.analyzer import analyze_text
from gezi.pii.patterns import compile_pattern, fast_start, fullwidth_in, widen
from gezi.pii.registry import PII_DATA_DIR, get_registry

EXTRA = """
  - entity: EMPLOYEE_ID
    name: {zh-TW: 員工編號, en: "Employee number"}
    source: {citation: "test fixture", verified: editorial}
    patterns:
      - name: emp
        regex: '(?<![A-Za-z0-9])EMP-[0-9]{6}(?![0-9])'
        score: 0.4
    context: [員工編號]
    context_boost: 0.4
    min_score: 0.5
"""


@pytest.fixture
def pii_dir(tmp_path, monkeypatch):
    for name in ("recognizers.yaml", "names.yaml", "places.yaml"):
        shutil.copy(PII_DATA_DIR / name, tmp_path / name)
    monkeypatch.setenv("GEZI_PII_DIR", str(tmp_path))
    return tmp_path


def test_a_new_recognizer_is_a_yaml_edit(pii_dir, fresh_env, cli, tmp_path):
    path = pii_dir / "recognizers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    assert "EMPLOYEE_ID" in get_registry().entities
    assert [(h[0], h[4]) for h in analyze_text("員工編號EMP-001234，另外一位同事的資料不在這份文件裡：EMP-009999")] == [
        ("EMPLOYEE_ID", "EMP-001234")]  # the second has no context: score 0.4 < 0.5
    (tmp_path / "hr.txt").write_text("員工編號ＥＭＰ－００１２３４\n", encoding="utf-8")
    r = cli("pii", "scan", tmp_path / "hr.txt", "--json", "--entities", "EMPLOYEE_ID")
    assert r.code == 0, r.err
    assert [(f["entity"], f["start"], f["end"]) for f in r.json["findings"]] == [
        ("EMPLOYEE_ID", 4, 14)]


def test_a_broken_recognizer_file_is_one_line_error(pii_dir, fresh_env, cli, tmp_path):
    path = pii_dir / "recognizers.yaml"
    text = path.read_text(encoding="utf-8").replace("validator: tw_ubn", "validator: nope", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown validator"):
        get_registry()
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    r = cli("pii", "scan", tmp_path / "a.txt")
    assert r.code == 2 and "unknown validator" in r.err and len(r.err.strip().splitlines()) == 1


FW = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJabcdef-.@:+()# "}
FW[" "] = "\u3000"
ALPHABET = "0123456789ABCDEFGHIJabcdef-.@:+()# 王號路"


def _fullwidth_some(text: str, mask: list[bool]) -> str:
    return "".join(FW.get(c, c) if m else c for c, m in zip(text, mask, strict=False))


@pytest.mark.parametrize("rec_index", range(len(get_registry().recognizers)))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_widened_patterns_match_like_nfkc(rec_index, data):
    """On text with some characters full-width, each widened pattern (and the version the
    analyzer picks for that text) finds the same spans as the original ASCII pattern on the
    NFKC-normalized text (offsets map one to one)."""
    rec = get_registry().recognizers[rec_index]
    text = data.draw(st.text(alphabet=ALPHABET, max_size=40))
    mask = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    wide = _fullwidth_some(text, mask)
    assert unicodedata.normalize("NFKC", wide) == text
    for (compiled, _score, _needs), spec in zip(rec.patterns, rec.spec.patterns, strict=True):
        if any(m in spec.regex for m in ("{COUNTY}", "{NUM}", "{PLACE}")):
            continue  # address patterns expand place lists; covered by the address tests
        ascii_only = re.compile(spec.regex)
        for pattern in (compiled.wide, compiled.for_text(fullwidth_in(wide))):
            assert [m.span() for m in pattern.finditer(wide)] == \
                [m.span() for m in ascii_only.finditer(text)]


@pytest.mark.parametrize(("pattern", "text"), [
    (r"(?<![0-9])[0-9]{8}(?![0-9])", "x12345678y 123456789"),
    (r"(?<![A-Z])[A-Z]+-", "ABC-DEF- aB-"),
    (r"(?<![0-9.])[0-9]{1,3}\.[0-9]", "1.2 12.3 .4.5"),
])
def test_fast_start_keeps_matches(pattern, text):
    assert [m.span() for m in re.finditer(fast_start(pattern), text)] == \
        [m.span() for m in re.finditer(pattern, text)]


def test_widen_escapes_hyphens_and_keeps_quantifiers():
    assert widen("[a-z0-9._%+-]{2,3}") == "[a-z0-9._%+\\-ａ-ｚ０-９．＿％＋－]{2,3}"
    assert compile_pattern("(?<![0-9:])x").search("：x")  # CJK colon stays out of lookarounds


def test_twid_helpers():
    for head in ("A12345678", "F13110409", "Z29999999", "A80000001"):
        assert twid.national_id_is_valid(head + twid.national_id_check_digit(head))
    assert twid.luhn_is_valid("4111111111111111") and not twid.luhn_is_valid("4111111111111112")
    assert twid.luhn_check_digit("411111111111111") == "1"
    assert not twid.luhn_is_valid("41x1")
