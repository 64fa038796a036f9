"""Legal clocks: request deadlines at the edges, calendar vs business days, incident duties."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from gezi.catalog.loader import CatalogError
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI
from gezi.privacy import clocks
from gezi.privacy.clocks import incident_obligations, request_deadline

SHIPPED = clocks.CLOCK_DIR


def taipei(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


def override(tmp_path: Path, monkeypatch, name: str, edit) -> None:
    """Copy a shipped clock file to $GEZI_CATALOG_DIR/privacy/clocks, edited (same id wins)."""
    data = yaml.safe_load((SHIPPED / name).read_text(encoding="utf-8"))
    edit(data)
    folder = tmp_path / "catalog" / "privacy" / "clocks"
    folder.mkdir(parents=True)
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(tmp_path / "catalog"))
    clocks.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_clocks():
    clocks.clear_cache()
    yield
    clocks.clear_cache()


def test_received_at_2359_taipei_counts_from_the_taipei_day():
    # Friday 2026-03-06 23:59 Taipei is 15:59 UTC the same day; the receipt day is not counted,
    # so 15 calendar days end at the end of Saturday 2026-03-21 (Taipei).
    d = request_deadline("copy", taipei(2026, 3, 6, 23, 59), extended=False)
    assert d.due == taipei(2026, 3, 21, 23, 59, 59)
    assert d.due.weekday() == 5  # a weekend deadline stays put under calendar counting
    assert (d.days, d.extend_days, d.extendable, d.calendar) == (15, 15, True, "calendar")
    assert d.clock_id == "TW-PDPA-A13-1" and "第13條第1項" in d.source


def test_one_minute_later_is_the_next_taipei_day_although_utc_is_still_the_same_day():
    received = taipei(2026, 3, 7, 0, 0)  # 2026-03-06 16:00 UTC
    assert received.astimezone(clocks.UTC).day == 6
    d = request_deadline("query", received, extended=False)
    assert d.due == taipei(2026, 3, 22, 23, 59, 59)


def test_naive_datetimes_are_utc_as_sqlite_returns_them():
    naive = datetime(2026, 3, 6, 15, 59)  # = 23:59 Taipei
    assert request_deadline("view", naive, False).due == taipei(2026, 3, 21, 23, 59, 59)


def test_extension_adds_the_extension_once():
    base = request_deadline("delete", taipei(2026, 3, 6, 10, 0), extended=False)
    ext = request_deadline("delete", taipei(2026, 3, 6, 10, 0), extended=True)
    assert base.due == taipei(2026, 4, 5, 23, 59, 59)
    assert ext.due == taipei(2026, 5, 5, 23, 59, 59)
    assert (base.days, base.extend_days, base.extendable) == (30, 30, True)
    assert ext.extendable is False
    assert request_deadline("copy", taipei(2026, 3, 6, 10, 0), True).due == \
        taipei(2026, 4, 5, 23, 59, 59)


@pytest.mark.parametrize("kind,days", [("query", 15), ("view", 15), ("copy", 15),
                                       ("supplement", 30), ("correct", 30), ("stop", 30),
                                       ("delete", 30)])
def test_every_request_type_has_its_period(kind, days):
    d = request_deadline(kind, taipei(2026, 1, 1, 12, 0), False)
    assert d.days == days
    assert d.due == taipei(2026, 1, 1, 23, 59, 59) + timedelta(days=days)


def test_unknown_request_type_is_a_one_line_error():
    with pytest.raises(GeziError, match="unknown request type"):
        request_deadline("erase", taipei(2026, 1, 1), False)


def _business(data):
    data["rest_days"] = ["2026-03-23"]
    for clock in data["clocks"]:
        if clock["purpose"] == "request":
            clock["counting"] = "business"


def test_business_days_skip_weekends_and_listed_rest_days(tmp_path, monkeypatch):
    override(tmp_path, monkeypatch, "pdpa-2023.yaml", _business)
    # Friday 23:59: Mon 9 – Fri 13 (5), 16–20 (10), 23 is a listed rest day, 24–27 (14) → 30 Mar
    d = request_deadline("copy", taipei(2026, 3, 6, 23, 59), extended=False)
    assert d.calendar == "business"
    assert d.due == taipei(2026, 3, 30, 23, 59, 59)
    # received on a Saturday: the first counted day is Monday
    sat = request_deadline("copy", taipei(2026, 3, 7, 9, 0), extended=False)
    assert sat.due == taipei(2026, 3, 30, 23, 59, 59)
    ext = request_deadline("copy", taipei(2026, 3, 6, 23, 59), extended=True)
    assert ext.due == taipei(2026, 4, 20, 23, 59, 59)  # 30 working days, one rest day skipped
    assert ext.due.weekday() < 5


def test_no_binding_clock_before_the_act_took_effect():
    with pytest.raises(GeziError, match="no legal clock"):
        request_deadline("copy", taipei(2011, 1, 1), False)


FACTS = {"industry": "ecommerce", "kind": "pd_breach", "personal_data": True, "affected": 150,
         "special_categories": False, "system_records": None, "major": None,
         "csma_specific_agency": False}
DETECTED = taipei(2026, 3, 6, 23, 59)


def _ids(obligations, binding):
    return {o.id for o in obligations if o.binding is binding}


def test_ecommerce_breach_moda_72h_binding_drafts_advisory():
    obs = incident_obligations(FACTS, DETECTED)
    assert _ids(obs, True) == {"TW-MODA-DE-A08-report", "TW-MODA-DE-A08-notice",
                               "TW-PDPA-A12@2023"}
    moda = next(o for o in obs if o.id == "TW-MODA-DE-A08-report")
    assert moda.due == DETECTED + timedelta(hours=72)
    advisory = _ids(obs, False)
    assert "TW-PDPC-DRAFT-INC-A03-report" in advisory
    assert "TW-PDPA-A12@2025-notice" in advisory
    # binding duties are listed before every advisory one, never interleaved
    flags = [o.binding for o in obs]
    assert flags == sorted(flags, reverse=True)
    assert next(o for o in obs if o.id == "TW-PDPA-A12@2023").due is None  # no hour limit


def test_moda_report_only_for_major_or_unassessed_incidents():
    obs = incident_obligations({**FACTS, "major": False}, DETECTED)
    assert "TW-MODA-DE-A08-report" not in {o.id for o in obs}


@pytest.mark.parametrize("change,expect", [
    ({"affected": 99}, False),
    ({"affected": 100}, True),
    ({"affected": 1, "special_categories": True}, True),
    ({"affected": 1, "system_records": 9999}, False),
    ({"affected": 1, "system_records": 10000}, True),
])
def test_pdpc_draft_report_thresholds(change, expect):
    obs = incident_obligations({**FACTS, **change}, DETECTED)
    report = [o for o in obs if o.id == "TW-PDPC-DRAFT-INC-A03-report"]
    assert bool(report) is expect
    if report:
        assert report[0].binding is False and report[0].status == "draft"


def test_pdpc_draft_records_kept_five_years():
    obs = incident_obligations(FACTS, DETECTED)
    rec = next(o for o in obs if o.id == "TW-PDPC-DRAFT-INC-A06-records")
    assert rec.due == taipei(2031, 3, 6, 23, 59, 59)


def test_broker_security_incident_seed_timeline_and_fsc():
    facts = {**FACTS, "industry": "broker", "kind": "security"}
    obs = {o.id: o for o in incident_obligations(facts, DETECTED) if o.binding}
    assert obs["TWSE-BROKER-INC-initial"].due == DETECTED + timedelta(minutes=30)
    assert obs["TWSE-BROKER-INC-formal"].due == DETECTED + timedelta(hours=24)
    assert obs["TWSE-BROKER-INC-closure"].due == DETECTED + timedelta(days=3)
    assert "種子003" in obs["TWSE-BROKER-INC-initial"].source
    assert obs["TWSE-BROKER-INC-initial"].caveat
    assert obs["TW-FSC-PD-A06-report"].due == DETECTED + timedelta(hours=72)
    assert "TW-CSMA-INC-A04-A11" not in obs  # not a designated agency unless the setting says so
    with_setting = incident_obligations({**facts, "csma_specific_agency": True}, DETECTED)
    csma = next(o for o in with_setting if o.id == "TW-CSMA-INC-A04-A11")
    assert csma.binding and csma.due == DETECTED + timedelta(hours=1)


def test_government_security_incident_one_hour():
    facts = {**FACTS, "industry": "government", "kind": "security", "affected": 0,
             "personal_data": False}
    obs = incident_obligations(facts, DETECTED)
    assert _ids(obs, True) == {"TW-CSMA-INC-A04-A11"}
    assert not _ids(obs, False)  # no personal data: no PDPA/PDPC duties at all


def test_advisory_can_be_left_out():
    obs = incident_obligations(FACTS, DETECTED, include_advisory=False)
    assert all(o.binding for o in obs)


def _set_2025_effective(data):
    data["effective_from"] = "2027-01-01"


def test_pdpa_2025_effective_date_is_a_one_line_data_change(tmp_path, monkeypatch):
    before = incident_obligations(FACTS, taipei(2026, 12, 31, 12, 0))
    assert "TW-PDPA-A12@2023" in _ids(before, True)
    override(tmp_path, monkeypatch, "pdpa-2025.yaml", _set_2025_effective)
    still_before = incident_obligations(FACTS, taipei(2026, 12, 31, 12, 0))
    assert "TW-PDPA-A12@2025-notice" in _ids(still_before, False)
    after = incident_obligations(FACTS, taipei(2027, 1, 1, 0, 0))
    assert {"TW-PDPA-A12@2025-notice", "TW-PDPA-A12@2025-report"} <= _ids(after, True)
    assert "TW-PDPA-A12@2023" not in {o.id for o in after}  # superseded, not shown


def test_shipped_clocks_all_cite_a_source_and_status():
    rules = clocks.load_rules()
    assert len(rules) >= 15
    for r in rules:
        assert r.clock.source.citation and r.status in (
            "in_force", "promulgated_not_effective", "draft", "repealed")
    assert clocks.rule("TWSE-BROKER-INC-initial").clock.source.verified == "seed"
    assert clocks.rule("TW-PDPA-A12@2025-notice").instrument.effective_from is None
    assert not clocks.binding_on(clocks.rule("TW-PDPA-A12@2025-notice"), date(2030, 1, 1))


def test_malformed_clock_file_names_file_and_field(tmp_path, monkeypatch):
    def broken(data):
        del data["clocks"][0]["unit"]
    override(tmp_path, monkeypatch, "moda-2023.yaml", broken)
    with pytest.raises(CatalogError, match=r"moda-2023.yaml: field clocks.0"):
        clocks.load_rules()
