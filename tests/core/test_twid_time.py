"""Taiwan identifier checksums and ROC dates."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gezi.core.errors import GeziError
from gezi.core.timeutil import iso, parse_date, parse_datetime, roc_date
from gezi.core.twid import national_id_is_valid, old_resident_cert_is_valid, ubn_is_valid


@pytest.mark.parametrize("ubn", ["04595252", "22099131", "12345675"])
def test_valid_ubns(ubn):
    assert ubn_is_valid(ubn)


def test_ubn_mod5_only_number_passes_new_rule():
    # 04595252 sums to 35: valid since 2023-04-01 (mod 5), invalid under the old mod-10 rule.
    assert ubn_is_valid("04595252")


WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def _z(s: str) -> int:
    return sum((int(d) * w) // 10 + (int(d) * w) % 10 for d, w in zip(s, WEIGHTS, strict=True))


def test_ubn_seventh_digit_seven_counts_either_way():
    candidates = (f"{n:06d}7{k}" for n in range(10**6) for k in range(10))
    only_alt = next(s for s in candidates if _z(s) % 5 != 0 and (_z(s) + 1) % 5 == 0)
    assert ubn_is_valid(only_alt)
    # The Z+1 alternative is only for a 7 in the 7th position.
    other = only_alt[:6] + "1" + only_alt[7]
    assert ubn_is_valid(other) == (_z(other) % 5 == 0)


@pytest.mark.parametrize("bad", ["04595253", "1234567", "123456789", "abcdefgh", "０４５９５２５２"])
def test_invalid_ubns(bad):
    assert not ubn_is_valid(bad)


@given(st.integers(min_value=0, max_value=99_999_999))
def test_ubn_rule_property(n):
    s = f"{n:08d}"
    expected = _z(s) % 5 == 0 or (s[6] == "7" and (_z(s) + 1) % 5 == 0)
    assert ubn_is_valid(s) == expected


def test_national_id_and_resident_certs():
    assert national_id_is_valid("A123456789")
    assert not national_id_is_valid("A123456788")
    assert national_id_is_valid("A800000014")  # 2021 new-format resident certificate
    assert not national_id_is_valid("a123456789")
    assert old_resident_cert_is_valid("AC01234567") in (True, False)  # well-formed: no error
    assert not old_resident_cert_is_valid("AE01234567")


def test_roc_dates_round_trip():
    assert roc_date(date(2024, 5, 31)) == "113年05月31日"
    assert parse_date("113/05/31") == date(2024, 5, 31)
    assert parse_date("民國113年5月31日") == date(2024, 5, 31)
    assert parse_date("2024-05-31") == date(2024, 5, 31)
    with pytest.raises(GeziError):
        parse_date("113/02/30")
    with pytest.raises(GeziError):
        parse_date("yesterday")
    with pytest.raises(GeziError):  # there is no ROC year 0
        parse_date("0/01/01")


def test_parse_datetime_roc_and_out_of_range():
    """Regression: year 1 crashed with OverflowError; ROC dates with a time are Taipei time."""
    assert parse_datetime("115/03/06 23:59") == datetime(2026, 3, 6, 15, 59, tzinfo=UTC)
    assert parse_datetime("民國115年3月7日") == datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    for bad in ("0001-01-01T00:00", "115/03/06 24:00", "115/02/29 10:00", ""):
        with pytest.raises(GeziError):
            parse_datetime(bad)


def test_times_are_utc_stored_taipei_shown():
    t = parse_datetime("2026-01-01T23:59:00")  # naive input is Taipei time
    assert t == datetime(2026, 1, 1, 15, 59, tzinfo=UTC)
    assert iso(t) == "2026-01-01T23:59:00+08:00"
    # 23:59 Taipei on 31 Dec is still that day in the ROC calendar
    assert roc_date(parse_datetime("2025-12-31T23:59:00+08:00")) == "114年12月31日"


def test_in_force_on_respects_status_and_dates():
    from gezi.catalog.schema import Dated

    day = date(2026, 11, 23)
    assert Dated(status="in_force", effective_from=date(2023, 10, 12)).in_force_on(day)
    assert not Dated(status="in_force", effective_from=date(2027, 1, 1)).in_force_on(day)
    assert not Dated(status="promulgated_not_effective").in_force_on(day)
    assert Dated(status="promulgated_not_effective", effective_from=date(2026, 1, 1)).in_force_on(day)
    assert not Dated(status="draft", effective_from=date(2020, 1, 1)).in_force_on(day)
    assert not Dated(status="repealed").in_force_on(day)
    assert not Dated(status="in_force", effective_to=date(2025, 1, 1)).in_force_on(day)
