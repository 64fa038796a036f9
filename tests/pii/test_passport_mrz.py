"""TW_PASSPORT from line 2 of a passport machine-readable zone (ICAO 9303 TD3, 44 characters).

The lines are built here with a check-digit function of this file, independent of the
validator, and that function is first checked on the ICAO specimen line.
"""

from __future__ import annotations

import random
import string
from itertools import cycle

import pytest

from gezi.pii.analyzer import analyze_segments, analyze_text
from gezi.pii.masking import mask_text, partial
from gezi.pii.validators import VALIDATORS

# The specimen line 2 of ICAO Doc 9303 Part 4 (Utopia, ERIKSSON ANNA MARIA).
SPECIMEN = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
MRZ_CHARS = string.ascii_uppercase + string.digits + "<"


def check(field: str) -> str:
    """Check digit written out: < is 0, a letter is its alphabet position + 9, weights 7 3 1."""
    values = [0 if c == "<" else int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in field]
    return str(sum(v * w for v, w in zip(values, cycle((7, 3, 1)), strict=False)) % 10)


def line2(number: str = "312345678", nationality: str = "TWN", birth: str = "850312", sex: str = "F",
          expiry: str = "330101", optional: str = "<" * 14, optional_check: str | None = None) -> str:
    """A TD3 line 2 with every check digit right (the optional one as given, if given)."""
    head = number.ljust(9, "<") + check(number.ljust(9, "<")) + nationality + birth + check(birth) + sex
    body = expiry + check(expiry) + optional + (check(optional) if optional_check is None else optional_check)
    line = head + body
    return line + check(line[0:10] + line[13:20] + line[21:43])


def passports(text: str, column: str | None = None) -> list[tuple[int, int, float, str]]:
    return [(s, e, sc, v) for ent, s, e, sc, v in analyze_text(text, column=column) if ent == "TW_PASSPORT"]


def test_the_check_function_of_this_file_reproduces_the_icao_specimen():
    assert line2("L898902C3", "UTO", "740812", "F", "120415", "ZE184226B<<<<<") == SPECIMEN


def test_validator_accepts_the_specimen_and_restricts_the_nationality():
    validate = VALIDATORS["mrz_td3"]
    assert validate(SPECIMEN, {})
    assert not validate(SPECIMEN, {"nationalities": ["TWN"]})
    assert validate(line2(), {"nationalities": ["TWN"]})
    assert not validate(line2()[:-1], {})  # 43 characters


def test_line_glued_to_chinese_text_is_reported_whole():
    line = line2()
    text = f"護照資料：{line}，請核對"
    start = text.index(line)
    assert passports(text) == [(start, start + 44, 1.0, line)]


def test_line_without_any_context_word_is_reported():
    line = line2(number="300000001", sex="M", optional="A123456789<<<<")
    assert passports(f"check-in 2026-11-23 guest {line} room 1203") != []
    assert passports(line) == [(0, 44, 1.0, line)]


def test_line_in_a_table_cell():
    line = line2(number="398765432", birth="011231", expiry="310630")
    cells = ["", "王小明", line, "無"]
    hits = [(i, h) for i, h in analyze_segments(cells, column="mrz") if h[0] == "TW_PASSPORT"]
    assert hits == [(2, ("TW_PASSPORT", 0, 44, 1.0, line))]


def test_fullwidth_line():
    line = line2(number="312345679")
    wide = line.translate({ord(c): ord(c) + 0xFEE0 for c in MRZ_CHARS})
    text = f"護照機讀區：{wide}。"
    start = text.index(wide)
    assert passports(text) == [(start, start + 44, 1.0, wide)]


@pytest.mark.parametrize(("position", "what"), [
    (9, "number"), (19, "birth date"), (27, "expiry"), (42, "optional data"), (43, "composite")])
def test_each_broken_check_digit_drops_the_line(position, what):
    line = line2(optional="A123456789<<<<")
    assert passports(line) != []
    broken = line[:position] + str((int(line[position]) + 1) % 10) + line[position + 1:]
    assert passports(f"護照資料：{broken}，請核對") == [], what


def test_optional_data_check_digit_when_the_field_is_all_fillers():
    assert passports(line2(optional_check="<")) != []
    assert passports(line2(optional_check="0")) != []  # what the 7-3-1 sum of fillers gives
    assert passports(line2(optional_check="1")) == []
    # With optional data written, the filler is not a check digit.
    assert passports(line2(optional="A123456789<<<<", optional_check="<")) == []


@pytest.mark.parametrize("nationality", ["JPN", "USA", "CHN", "D<<", "UTO"])
def test_other_nationalities_are_not_reported(nationality):
    assert passports(f"護照資料：{line2(nationality=nationality)}，請核對") == []


def test_random_lines_that_fail_their_check_digits_are_not_reported():
    rng = random.Random(9303)
    for _ in range(300):
        # Shaped like a TWN line 2 (the pattern matches), check digits at random.
        line = ("".join(rng.choices(MRZ_CHARS, k=9)) + rng.choice(string.digits) + "TWN"
                + "".join(rng.choices(string.digits, k=7)) + rng.choice("MF<")
                + "".join(rng.choices(string.digits, k=7)) + "".join(rng.choices(MRZ_CHARS, k=14))
                + "".join(rng.choices(string.digits, k=2)))
        if line == line2(line[:9], "TWN", line[13:19], line[20], line[21:27], line[28:42]):
            continue  # all five right by chance
        assert passports(f"護照資料：{line}，請核對") == [], line
        noise = "".join(rng.choices(MRZ_CHARS, k=44))
        assert passports(f"護照資料：{noise}，請核對") == [], noise


def test_only_a_line_of_exactly_44_characters_counts():
    line = line2()
    assert passports(f"X{line}") == []
    assert passports(f"{line}<") == []
    assert passports(f"{line}0") == []
    assert passports(f"一{line}二") != []


def test_line_1_is_a_name_and_line_2_stays_on_its_line():
    first = "P<TWNCHEN<<MEI<LING<<<<<<<<<<<<<<<<<<<<<<<<<"
    assert len(first) == 44
    line = line2()
    text = f"{first}\n{line}\n"
    assert passports(text) == [(45, 89, 1.0, line)]
    assert [(h[0], h[1], h[2], h[4]) for h in analyze_text(text) if h[1] < 44] == \
        [("PERSON_NAME", 5, 19, "CHEN<<MEI<LING")]


def test_partial_masking_keeps_the_layout_and_hides_the_birth_date():
    line = line2()
    masked = partial("TW_PASSPORT", line)
    assert len(masked) == 44 and masked.count("<") == line.count("<")
    assert line[13:19] not in masked and "TWN" not in masked


# Line 1 of a TD3 MRZ: P, a type letter or <, the issuing state, then the name over 39 positions.


def line1(name: str, state: str = "TWN", kind: str = "<") -> str:
    return ("P" + kind + state + name).ljust(44, "<")


def names(text: str, column: str | None = None) -> list[tuple[int, int, float, str]]:
    return [(s, e, sc, v) for ent, s, e, sc, v in analyze_text(text, column=column) if ent == "PERSON_NAME"]


def test_the_icao_specimen_line_1_has_the_shape_but_is_not_twn():
    specimen = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    assert line1("ERIKSSON<<ANNA<MARIA", "UTO") == specimen
    assert names(specimen) == []
    assert names(specimen.replace("UTO", "TWN")) == [(5, 25, 0.9, "ERIKSSON<<ANNA<MARIA")]


@pytest.mark.parametrize(("name", "kind"), [
    ("LIN<<MEI<HUA", "<"), ("CHEN<<YI<JUN", "<"), ("OUYANG<<NA<NA", "P"), ("WANG<<HSIAO<MING", "<"),
    ("CHANG<CHIEN<<CHIH<MING", "<"), ("HUANG<<WEI", "<"), ("LI", "<"),
])
def test_line_1_name_from_the_surname_to_the_last_given_name(name, kind):
    assert names(line1(name, kind=kind)) == [(5, 5 + len(name), 0.9, name)]


def test_a_name_filling_all_39_positions():
    name = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<ABCDEFGHIJK"
    assert len(name) == 39
    assert names(line1(name)) == [(5, 44, 0.9, name)]


def test_line_1_glued_to_chinese_text_and_in_a_sentence():
    first = line1("LIN<<MEI<HUA")
    text = f"護照機讀區：{first}，請核對"
    start = text.index(first) + 5
    assert names(text) == [(start, start + 12, 0.9, "LIN<<MEI<HUA")]
    assert names(f"一{first}二") != []


def test_fullwidth_line_1():
    first = line1("LIN<<MEI<HUA")
    wide = first.translate({ord(c): ord(c) + 0xFEE0 for c in MRZ_CHARS})
    text = f"機讀區：{wide}。"
    assert names(text) == [(9, 21, 0.9, wide[5:17])]


def test_line_1_in_a_table_cell():
    first = line1("CHEN<<MEI<LING")
    assert names(first, column="mrz") == [(5, 19, 1.0, "CHEN<<MEI<LING")]
    cells = ["王小明", first, line2()]
    hits = [(i, h[4]) for i, h in analyze_segments(cells, column="mrz") if h[0] in ("PERSON_NAME", "TW_PASSPORT")]
    assert hits == [(0, "王小明"), (1, "CHEN<<MEI<LING"), (2, line2())]


@pytest.mark.parametrize("state", ["UTO", "JPN", "USA", "CHN", "TWX", "D<<"])
def test_line_1_of_other_states_is_not_a_name(state):
    assert names(line1("LIN<<MEI<HUA", state)) == []


def test_only_a_line_1_of_exactly_44_characters_counts():
    first = line1("LIN<<MEI<HUA")
    assert names(first) != []
    assert names(f"X{first}") == [] and names(f"<{first}") == [] and names(f"9{first}") == []
    assert names(f"{first}<") == [] and names(f"{first}A") == [] and names(f"{first}0") == []
    assert names(first[:-1]) == []  # 43 characters
    assert names("V<TWNLIN<<MEI<HUA<<<<<<<<<<<<<<<<<<<<<<<<<<<") == []  # not a passport (P)
    assert names(first.replace("HUA", "HU4")) == []  # a digit in the name field


def test_partial_masking_of_line_1_keeps_the_layout():
    first = line1("LIN<<MEI<HUA")
    masked = mask_text(first, analyze_text(first))
    assert masked == "P<TWNL***********" + "<" * 27 and len(masked) == 44


def test_format_preserving_pseudonym_keeps_the_mrz_layout():
    """The name of line 1 replaced letter for letter: the line keeps its 44 characters and its
    fillers, and the same name gets the same pseudonym."""
    from gezi.pii.analyzer import analyze_text
    from gezi.pii.masking import mask_text, mask_value

    key = b"mrz-test-key-0123456789"
    line = "P<TWNLIN<<MEI<HUA".ljust(44, "<")
    hits = analyze_text(line)
    masked = mask_text(line, hits, "pseudonym", key, True)
    assert len(masked) == 44 and masked.startswith("P<TWN") and masked != line
    assert [i for i, ch in enumerate(masked) if ch == "<"] == [i for i, ch in enumerate(line) if ch == "<"]
    assert "LIN" not in masked[5:] and "MEI" not in masked and "HUA" not in masked
    assert masked[5:17] == mask_value("PERSON_NAME", "LIN<<MEI<HUA", "pseudonym", key, True)
