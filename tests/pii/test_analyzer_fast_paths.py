"""Fast paths of the analyzer find exactly what the slow ones they replace find: windows
scanned in one regex call (analyzer._Pieces, whether it joins them into a copy or scans the
text itself) vs a search of each window alone; patterns run as written on text without the
full-width forms they were widened for (patterns.Compiled) vs the widened patterns; recognizers
scanned around digit runs or anchors vs the whole text; the phone check read off phonenumbers'
metadata vs phonenumbers.is_valid_number."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gezi.core import twid
from gezi.pii import analyzer, patterns, validators
from gezi.pii.registry import get_registry

# Patterns shaped like the recognizers': one-character lookbehinds, lookaheads, greedy runs
# that a window's end cuts short, a two-character lookbehind like the digit-run finder's.
PATTERNS = [
    re.compile(r"[A-Za-z](?<![A-Za-z0-9].)[12](?:[- ]?[0-9]){3}(?![A-Za-z0-9])"),
    re.compile(r"[0-9]+"),
    re.compile(r"[0-9](?<![0-9].)(?<![0-9][- ].)(?:[- ]?[0-9]){2,}"),
    re.compile(r"[^\s號]{1,3}?路[0-9]+號"),
]
ALPHABET = "A1b2-9 \n號路x"


@st.composite
def text_and_windows(draw):
    text = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=80))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
    windows = []
    for lo, hi in zip(cuts[::2], cuts[1::2], strict=False):
        # A window ends where a token does (at a space or line break, or the text's end), as the
        # analyzer stretches its windows: a window cut inside a token (A1111|1) would let a
        # pattern's lookahead see the cut as an end that the text does not have.
        while hi < len(text) and not text[hi].isspace():
            hi += 1
        # Callers merge touching windows, so there is a gap of at least one character.
        if hi > lo and (not windows or lo > windows[-1][1]):
            windows.append((lo, hi))
    return text, windows


def reference(pattern, text, windows):
    return [(i, m.span()) for i, (lo, hi) in enumerate(windows) for m in pattern.finditer(text, lo, hi)]


def pieces(pattern, text, windows, direct=False):
    found = [(i, (m.start() + shift, m.end() + shift))
             for i, m, shift in analyzer._Pieces(text, windows, direct).finditer(pattern)]
    return sorted(found)


@pytest.mark.parametrize(("whole", "direct"), [(0.9, False), (0.0, False), (2.0, False), (0.9, True)],
                         ids=["default", "scan-text", "copy", "direct"])
@settings(max_examples=300, deadline=None)
@given(case=text_and_windows())
@example(case=("111111111-A11111", [(0, 16)]))
def test_pieces_find_what_each_window_alone_finds(case, whole, direct):
    text, windows = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analyzer, "_WHOLE", whole)
        for pattern in PATTERNS:
            expected = sorted(reference(pattern, text, windows))
            assert pieces(pattern, text, windows, direct) == expected, pattern.pattern
        for needs in (re.compile("[0-9]"), re.compile("號")):  # a requires: one character
            expected = sorted({i for i, _ in reference(needs, text, windows)})
            assert analyzer._Pieces(text, windows, direct).windows_with(needs) == expected


@pytest.mark.parametrize("direct", [False, True])
def test_back_to_back_matches_in_one_window(direct):
    """The next search starts right where a match ended (y路2號 follows x路1號 at once)."""
    text = "Qx路1號y路2號z路3號Q"
    windows = [(1, len(text) - 1)]
    found = pieces(PATTERNS[3], text, windows, direct)
    assert [text[s:e] for _, (s, e) in found] == ["x路1號", "y路2號", "z路3號"]


def test_windows_joined_into_a_copy_keep_offsets_and_neighbours():
    text = "xA123-45 A12345 yy 99 路3號 B1234"
    b = text.index("B")
    windows = [(1, 9), (16, 21), (b, b + 5)]
    p = analyzer._Pieces(text, windows)
    assert p.text != text  # a copy of the windows, not the text
    found = pieces(PATTERNS[0], text, windows)
    # A123-45 follows x (a letter): no match; B1234 lies in the last window.
    assert [text[s:e] for _, (s, e) in found] == ["B1234"]


LINES = ["A123456789", "0912-345-678", "台北市中正區重慶南路一段122號", "a@b.co", "192.168.0.1",
         "1990-01-02", "(02) 2345-6789 分機", "12", "生日 1990 年", "Ｊｏｈｎ Ｓｍｉｔｈ", "AB-1234"]


def test_every_recognizer_pattern_stays_on_its_line():
    """_Pieces relies on it: joined windows are separated by line breaks."""
    for rec in get_registry().recognizers:
        for compiled, _, _ in rec.patterns:
            for pattern in (compiled.wide, compiled.plain):
                for m in pattern.finditer("\n \n".join(LINES)):
                    assert "\n" not in m.group(), (rec.entity, m.group())


# --- patterns as written on text without the full-width forms widening added -------------

FULLWIDTH_ALPHABET = "0912-345 678A@b.c：，（）號路\u3000０９１２－＋＠Ａｂ"


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=FULLWIDTH_ALPHABET, min_size=1, max_size=60))
def test_the_version_chosen_finds_what_the_widened_pattern_finds(text):
    present = patterns.fullwidth_in(text)
    for rec in get_registry().recognizers:
        for compiled, _, _ in rec.patterns:
            chosen = compiled.for_text(present)
            assert [m.span() for m in chosen.finditer(text)] == \
                [m.span() for m in compiled.wide.finditer(text)], (rec.entity, text)


def test_fullwidth_in_finds_common_and_rare_forms():
    assert patterns.fullwidth_in("電話：０９１２，ok") == frozenset("：０９１２，")
    assert patterns.fullwidth_in("plain ascii 0912") == frozenset()
    assert patterns.fullwidth_in("中文沒有全形英數") == frozenset()


def test_patterns_run_as_written_on_chinese_text_without_fullwidth_digits():
    phone = get_registry().recognizers[[r.entity for r in get_registry().recognizers].index("PHONE_NUMBER")]
    mobile = phone.patterns[0][0]
    assert mobile.for_text(patterns.fullwidth_in("電話：0912-345-678，謝謝")) is mobile.plain
    assert mobile.for_text(patterns.fullwidth_in("電話：０９１２－３４５－６７８")) is mobile.wide


# --- recognizers scanned only around digit runs or anchors -------------------------------

def _valid_id(first9: str) -> str:
    return first9 + twid.national_id_check_digit(first9)


def _card(payload: str) -> str:
    return payload + twid.luhn_check_digit(payload)


FRAGMENTS = [
    _valid_id("A12345678"), _valid_id("F13110409").lower(), _valid_id("A80000001"), "AB12345677",
    "Ａ１２３４５６７８９", _card("411111111111111"), "4111 1111 1111 1111", _card("540000000000000"),
    "ABC-1235", "AB-1234", "192.168.1.10", "10.0.0.1", "Chrome/32.0.1700.77", "1.2.3.4.5",
    "ip-10-77-20-248", "身分證", "卡號", "車牌", "IP", "居留證", "x", "Q", "-", " ", ".", "\n", "12",
    "2015", "2001:db8::1", "中文", "王", "TWN", "<", "123456789012", "A1-2345-6789",
]


def _findings(text: str) -> list:
    return analyzer.analyze_text(text)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=24))
def test_windowed_recognizers_find_what_a_scan_of_the_whole_text_finds(parts):
    """Digit-run windows (incl. runs after a letter) and anchor windows are a speed-up only:
    the same text scanned whole by every pattern gives the same findings."""
    text = "".join(parts)
    fast = _findings(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analyzer._DigitRuns, "windows", lambda self, *a, **k: [(0, len(self._text))])
        real_anchor_windows = analyzer._anchor_windows

        def whole_unless_first_wins(rec, text, fw):
            if rec.spec.first_pattern_wins:  # windows decide which address form wins
                return real_anchor_windows(rec, text, fw)
            return [(0, len(text))]

        mp.setattr(analyzer, "_anchor_windows", whole_unless_first_wins)
        slow = _findings(text)
    assert fast == slow, text


# --- phone numbers checked against phonenumbers' metadata directly -----------------------

@settings(max_examples=3000, deadline=None)
@given(national=st.text(alphabet="0123456789", min_size=5, max_size=12))
def test_phone_check_agrees_with_phonenumbers(national):
    number = phonenumbers.PhoneNumber(country_code=886, national_number=int(national))
    kind = validators._tw_number_type(national)
    assert (kind is not None) == phonenumbers.is_valid_number(number)
    if kind is not None:
        assert phonenumbers.number_type(number) == getattr(phonenumbers.PhoneNumberType, kind.upper())


@pytest.mark.parametrize(("national", "kind"), [("912345678", "mobile"), ("223456789", "fixed_line"),
                                                 ("800000123", "toll_free"), ("12345678", None),
                                                 ("9123456789", None)])
def test_phone_check_examples(national, kind):
    assert validators._tw_number_type(national) == kind


# --- widened patterns split at their first character --------------------------------------

SPLIT_SOURCES = ["0[0-9]{2,}", r"\([^)]*\)", "a.*?a", "a[^b]*b?", r":(?::|[0-9]{2})", "0(?<![0-9].)[0-9]+"]


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0０(（)）aａbｂ:：12 x", max_size=40), pos=st.integers(0, 6),
       span=st.integers(0, 40))
@example(text="a ａ a", pos=0, span=40)  # a match of one part inside a match of the other
@example(text="（1(2)3）", pos=0, span=40)
def test_split_pattern_finds_what_the_widened_pattern_finds(text, pos, span):
    """patterns.SplitPattern runs [xX]… as x… and X…; merged, the matches are re's own."""
    endpos = min(len(text), pos + span)
    for source in SPLIT_SOURCES:
        wide = patterns.compile_both(source).wide
        assert isinstance(wide, patterns.SplitPattern), source
        assert [m.span() for m in wide.finditer(text, pos, endpos)] == \
            [m.span() for m in wide.whole.finditer(text, pos, endpos)], source
        found, expected = wide.search(text, pos, endpos), wide.whole.search(text, pos, endpos)
        assert (found and found.span()) == (expected and expected.span()), source


# --- full-width characters learnt from the context pass ------------------------------------

_FW_ALPHABET = st.sampled_from([*"王小明電話：，（）Ａ０９＠－ａｚ\u3000aZ09 @-\n", chr(0xFF5E), chr(0xFF01)])


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=_FW_ALPHABET, max_size=40))
@example(text="電話０９１２")
@example(text="ＡＢＣ")
def test_context_pass_finds_the_full_width_characters_a_scan_finds(text):
    from gezi.pii.context import ContextIndex

    assert ContextIndex(get_registry(), text).fullwidth() == patterns.fullwidth_in(text)
