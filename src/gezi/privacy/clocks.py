"""Legal clocks as data: schema of ``catalog/data/privacy/clocks/*.yaml`` and the deadline engine.

A clock is one legal time limit (PDPA Art 13's 15 days, the MODA rule's 72 hours, …) with its
source, status and effective dates. Which clocks bind is decided from the catalog status and
dates on a given day, never by ``if`` statements on law names.

How a due moment is computed (documented in docs/incidents.md):

* ``unit: minute|hour`` — the exact instant ``trigger + duration`` (stored UTC).
* ``unit: day`` — the trigger day (Asia/Taipei) is not counted (民法第120條第2項, applied to
  statutory periods by 民法第119條); the period ends at the end of the Nth day (民法第121條第1項),
  which gezi writes as 23:59:59 Asia/Taipei. ``counting: calendar`` counts every day;
  ``counting: business`` counts Monday–Friday except the ``rest_days`` listed in the clock file.
  The Act does not say which; the shipped catalog uses calendar days (the earlier, safer date).
* ``unit: year`` — the same day N years later (29 Feb → 28 Feb), end of day, Asia/Taipei.
* An extension adds its days to the base period, counted the same way from the same start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from gezi.catalog.applicability import matches
from gezi.catalog.loader import DATA_DIR, CatalogError, load_yaml_model
from gezi.catalog.schema import Condition, Dated, LText, Source, Status, Strict, binds_on
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc, iso

CLOCK_DIR = DATA_DIR / "privacy" / "clocks"
END_OF_DAY = time(23, 59, 59)

Unit = Literal["minute", "hour", "day", "year"]
Counting = Literal["calendar", "business"]
Trigger = Literal["request_received", "incident_known", "incident_detected", "investigation_done",
                  "unspecified"]
Purpose = Literal["request", "report", "notice", "followup", "records"]

REQUEST_TYPES = ("query", "view", "copy", "supplement", "correct", "stop", "delete")


class Extension(Strict):
    """How far, how often and on what condition a clock may be extended."""

    duration: int = Field(gt=0)
    times: int = Field(default=1, ge=1)
    requires: LText | None = None


class Clock(Dated):
    """One legal time limit."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    purpose: Purpose
    name: LText
    description: LText
    source: Source
    trigger: Trigger
    trigger_note: LText | None = None
    duration: int | None = Field(default=None, gt=0)
    unit: Unit | None = None
    counting: Counting = "calendar"
    extension: Extension | None = None
    request_types: list[str] = Field(default_factory=list)
    applies_if: Condition | None = None
    superseded_by: str | None = None
    caveat: LText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Clock:
        if (self.duration is None) != (self.unit is None):
            raise ValueError("duration and unit go together (both set, or both empty = no limit)")
        if (self.extension or self.purpose == "request") and self.unit != "day":
            raise ValueError("request clocks and extensions are counted in days (unit: day)")
        bad = [t for t in self.request_types if t not in REQUEST_TYPES]
        if bad:
            raise ValueError(f"unknown request type(s) {bad}; use {', '.join(REQUEST_TYPES)}")
        return self


class ClockSet(Dated):
    """One legal instrument (a law version, a regulation, a draft, a seed) and its clocks."""

    schema_: Literal["gezi.clocks/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9@._-]+$")
    version: str
    name: LText
    source: Source
    status: Status
    rest_days: list[date] = Field(default_factory=list)
    rest_days_note: str | None = None
    clocks: list[Clock] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Rule:
    """A clock together with the instrument it belongs to."""

    clock: Clock
    instrument: ClockSet

    @property
    def status(self) -> Status:
        """The clock's own status, or its instrument's."""
        return self.clock.status or self.instrument.status

    def citation(self) -> str:
        """The clock's source citation (law and article, or seed file and section)."""
        return self.clock.source.citation


@dataclass(frozen=True)
class Deadline:
    """The due moment of a data-subject request.

    ``days`` is the base period, ``extend_days`` the extension the clock allows (0 if none),
    ``extendable`` whether an extension is still possible (allowed and not yet used), ``due``
    the end of the period (including the extension when ``extended``), UTC-aware.
    """

    due: datetime
    days: int
    extend_days: int
    extendable: bool
    calendar: str
    source: str
    clock_id: str


def _extra_dir() -> Path | None:
    extra = os.environ.get("GEZI_CATALOG_DIR")
    if not extra:
        return None
    path = Path(extra) / "privacy" / "clocks"
    return path if path.is_dir() else None


@cache
def _load(extra: Path | None) -> tuple[Rule, ...]:
    sets: dict[str, ClockSet] = {}
    dirs = [CLOCK_DIR] + ([extra] if extra else [])
    for folder in dirs:
        for path in sorted(folder.glob("*.yaml")):
            clock_set = load_yaml_model(path, ClockSet)
            sets[clock_set.id] = clock_set  # a later directory replaces a shipped set by id
    rules = tuple(Rule(c, s) for s in sets.values() for c in s.clocks)
    ids = [r.clock.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CatalogError(f"{CLOCK_DIR}: duplicate clock id(s) {dup}")
    for rule in rules:
        if rule.clock.superseded_by and rule.clock.superseded_by not in ids:
            raise CatalogError(f"{CLOCK_DIR}: clock {rule.clock.id}: superseded_by "
                               f"{rule.clock.superseded_by!r} is not a known clock")
    return rules


def load_rules() -> tuple[Rule, ...]:
    """Every clock (shipped plus ``$GEZI_CATALOG_DIR/privacy/clocks``), validated, cached."""
    return _load(_extra_dir())


def clear_cache() -> None:
    """Forget loaded clocks (tests that write clock files call this)."""
    _load.cache_clear()


def rule(clock_id: str) -> Rule:
    """The clock with this id."""
    for r in load_rules():
        if r.clock.id == clock_id:
            return r
    raise GeziError(f"未知的法定時限 unknown legal clock {clock_id!r}")


def standing_on(r: Rule, day: date) -> Literal["binding", "superseded", "advisory"]:
    """How a clock stands on a day: ``binding`` when in force (its own status and dates, else its
    instrument's) and not replaced; ``superseded`` when a clock naming it in ``superseded_by``
    binds that day (the 2025 PDPA text replaces 2023's); ``advisory`` otherwise."""
    c, inst = r.clock, r.instrument
    if c.superseded_by and binding_on(rule(c.superseded_by), day):
        return "superseded"
    if binds_on(r.status, c.effective_from or inst.effective_from,
              c.effective_to or inst.effective_to, day):
        return "binding"
    return "advisory"


def binding_on(r: Rule, day: date) -> bool:
    """Whether a clock binds on a day."""
    return standing_on(r, day) == "binding"


def taipei_day(moment: datetime) -> date:
    """The Asia/Taipei calendar day of an instant."""
    return as_utc(moment).astimezone(TAIPEI).date()


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=TAIPEI).astimezone(UTC)


def _add_days(start: date, n: int, counting: Counting, rest_days: frozenset[date]) -> date:
    if counting == "calendar":
        return start + timedelta(days=n)
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in rest_days:
            n -= 1
    return day


def _add_years(start: date, n: int) -> date:
    try:
        return start.replace(year=start.year + n)
    except ValueError:  # 29 February in a non-leap target year
        return start.replace(year=start.year + n, day=28)


def due_at(r: Rule, trigger_at: datetime, extra_days: int = 0) -> datetime | None:
    """When a clock started at ``trigger_at`` runs out (None when the law sets no time limit)."""
    c = r.clock
    if c.duration is None:
        return None
    start = as_utc(trigger_at)
    if c.unit == "minute":
        return start + timedelta(minutes=c.duration)
    if c.unit == "hour":
        return start + timedelta(hours=c.duration)
    day = taipei_day(start)
    if c.unit == "year":
        return _end_of(_add_years(day, c.duration))
    rest = frozenset(r.instrument.rest_days)
    return _end_of(_add_days(day, c.duration + extra_days, c.counting, rest))


def request_rule(request_type: str, on: date) -> Rule:
    """The binding clock for a data-subject request type on a day."""
    if request_type not in REQUEST_TYPES:
        raise GeziError(f"未知的請求類型 unknown request type {request_type!r}; "
                        f"use {', '.join(REQUEST_TYPES)}")
    found = [r for r in load_rules() if r.clock.purpose == "request"
             and request_type in r.clock.request_types and binding_on(r, on)]
    if not found:
        raise GeziError(f"{on.isoformat()} 無適用之處理期限 no legal clock binds {request_type!r}")
    if len(found) > 1:
        ids = ", ".join(r.clock.id for r in found)
        raise CatalogError(f"多個處理期限同時適用 several clocks bind {request_type!r}: {ids}")
    return found[0]


def request_deadline(request_type: str, received_at: datetime, extended: bool,
                     on: date | None = None) -> Deadline:
    """The due moment of a data-subject request (PDPA Art 13, from the clock catalog).

    ``received_at`` is an instant (naive = UTC, as SQLite returns it); ``on`` picks the day whose
    rules apply (default: the Taipei day the request was received). ``extended`` adds the
    clock's one extension; asking for it on a clock without one is an error.
    """
    r = request_rule(request_type, on or taipei_day(received_at))
    ext = r.clock.extension
    if extended and ext is None:
        raise GeziError(f"{r.clock.id} 不得延長 this deadline cannot be extended")
    extend_days = ext.duration if ext else 0
    due = due_at(r, received_at, extend_days if extended else 0)
    if due is None or r.clock.duration is None:  # the schema requires days; belt and braces
        raise CatalogError(f"{r.clock.id}: a request clock needs duration and unit: day")
    return Deadline(due=due, days=r.clock.duration, extend_days=extend_days,
                    extendable=ext is not None and not extended, calendar=r.clock.counting,
                    source=r.citation(), clock_id=r.clock.id)


@dataclass(frozen=True)
class Obligation:
    """One duty an incident triggers, with its due moment and whether it binds."""

    id: str
    purpose: str
    description: str
    due: datetime | None
    binding: bool
    status: Status
    source: str
    trigger: str
    caveat: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON form the CLI prints (due as ISO 8601 Asia/Taipei, or null = no fixed limit)."""
        return {"id": self.id, "purpose": self.purpose, "description": self.description,
                "due": iso(self.due), "binding": self.binding, "status": self.status,
                "source": self.source, "trigger": self.trigger, "caveat": self.caveat}


INCIDENT_PURPOSES = ("report", "notice", "followup", "records")


def incident_obligations(facts: Mapping[str, Any], detected_at: datetime,
                         include_advisory: bool = True) -> list[Obligation]:
    """The duties an incident triggers, binding ones first, then advisory ones.

    ``facts`` holds the organization profile, its settings and the incident facts that clock
    ``applies_if`` conditions test. Every incident clock starts at ``detected_at`` (gezi records
    one moment, the time the organization knew of the incident; see docs/incidents.md).
    A clock that does not bind on the incident's Taipei day is returned with ``binding=False``.
    """
    day = taipei_day(detected_at)
    out: list[Obligation] = []
    for r in load_rules():
        c = r.clock
        if c.purpose not in INCIDENT_PURPOSES or not matches(c.applies_if, facts):
            continue
        standing = standing_on(r, day)
        binding = standing == "binding"
        if standing == "superseded" or (not binding and not include_advisory):
            continue  # a replaced text is dropped, not shown as advice
        out.append(Obligation(
            id=c.id, purpose=c.purpose, description=c.description.zh, due=due_at(r, detected_at),
            binding=binding, status=r.status, source=r.citation(), trigger=c.trigger,
            caveat=c.caveat.zh if c.caveat else None))
    far = datetime.max.replace(tzinfo=UTC)
    out.sort(key=lambda o: (not o.binding, o.due or far, o.id))
    return out

