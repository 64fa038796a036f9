"""Schemas of the shipped catalogs, validated when a catalog file is loaded."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Status = Literal["in_force", "promulgated_not_effective", "draft", "repealed"]
Frequency = Literal[
    "continuous", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual",
    "biennial", "per_event", "on_change",
]
STATUS_ZH = {
    "in_force": "施行中",
    "promulgated_not_effective": "已公布未施行",
    "draft": "草案",
    "repealed": "已廢止",
}
FREQUENCY_ZH = {
    "continuous": "持續", "daily": "每日", "weekly": "每週", "monthly": "每月",
    "quarterly": "每季", "semiannual": "每半年", "annual": "每年", "biennial": "每兩年",
    "per_event": "事件發生時", "on_change": "異動時",
}


class Strict(BaseModel):
    """Unknown keys are errors, so a typo in a catalog is caught at load time."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_text(value: dict[str, str]) -> dict[str, str]:
    if not value.get("zh-TW", "").strip():
        raise ValueError("needs a non-empty 'zh-TW' text")
    return value


class LText(Strict):
    """Localized text: zh-TW first, English optional."""

    zh: str = Field(alias="zh-TW", min_length=1)
    en: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __str__(self) -> str:
        return self.zh

    def get(self, lang: str = "zh-TW") -> str:
        """The text in a language, falling back to zh-TW."""
        return (self.en or self.zh) if lang == "en" else self.zh


class Source(Strict):
    """Where a catalog entry comes from: law + article, or seed file + section."""

    citation: str = Field(min_length=3)
    title: str | None = None
    url: str | None = None
    verified: Literal["V1", "V2", "V3", "seed", "editorial"] | None = None
    note: str | None = None


class Dated(Strict):
    """Status and effective dates shared by catalogs and items."""

    status: Status | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    def in_force_on(self, day: dt.date, default: Status = "in_force") -> bool:
        """Whether this entry binds on a given day (status in force and inside its dates)."""
        return binds_on(self.status or default, self.effective_from, self.effective_to, day)


def binds_on(status: Status, start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """Whether a text with this status and these dates binds on a day.

    Drafts and repealed texts never bind; a promulgated text binds only once an effective date is
    set (the one-line data change when the Executive Yuan fixes it).
    """
    if status in ("draft", "repealed"):
        return False
    if status == "promulgated_not_effective" and start is None:
        return False
    return not ((start and day < start) or (end and day > end))


# A condition on the organization profile: {fact: [allowed values]} or
# {fact: {gte|lte|eq: value}}, all keys must hold; {"any": [...]} / {"all": [...]} combine.
Condition = dict[str, Any]
PROFILE_FACTS = ("industry", "capital", "records", "broker_tier", "e_trading_share")
OPERATORS = ("eq", "gte", "lte", "gt", "lt")


def check_condition(cond: Any, facts: tuple[str, ...] = PROFILE_FACTS) -> Any:
    """Reject conditions on unknown facts or with unknown operators when a catalog loads."""
    if cond is None:
        return cond
    if not isinstance(cond, dict):
        raise ValueError("a condition must be a mapping")
    for key, test in cond.items():
        if key in ("any", "all"):
            if not isinstance(test, list) or not test:
                raise ValueError(f"'{key}' needs a non-empty list of conditions")
            for sub in test:
                check_condition(sub, facts)
        elif key not in facts:
            raise ValueError(f"unknown fact {key!r}; known: {', '.join(facts)}")
        elif isinstance(test, dict):
            bad = set(test) - set(OPERATORS)
            if bad:
                raise ValueError(f"unknown operator(s) {sorted(bad)} on {key!r}")
    return cond


class Domain(Strict):
    """A group of items (a 構面 / chapter)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: LText


class Item(Dated):
    """One assessable requirement."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    domain: str
    name: LText
    requirement: LText
    source: Source
    frequency: Frequency | None = None
    frequency_note: str | None = None
    applies_if: Condition | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    guidance: LText | None = None

    @field_validator("applies_if")
    @classmethod
    def _valid_condition(cls, value: Condition | None) -> Condition | None:
        return check_condition(value)


class Scoring(Strict):
    """Optional scoring settings, e.g. the TWSE deduction points and risk blocks."""

    partial_weight: float = Field(default=0.5, ge=0, le=1)
    deduction_points: dict[Literal["noncompliant", "partial"], float] | None = None
    risk_matrix: RiskMatrix | None = None
    source: Source | None = None


class RiskMatrix(Strict):
    """Risk block from e-trading share × deduction points (seed 003, 監理科技運用)."""

    e_trading_share_high_pct: float = Field(ge=0, le=100)
    deduction_high_points: float = Field(ge=0)
    blocks: dict[str, LText]  # keys: high_high, high_low, low_high, low_low (share_deduction)
    source: Source

    @field_validator("blocks")
    @classmethod
    def _four_blocks(cls, v: dict[str, LText]) -> dict[str, LText]:
        need = {"high_high", "high_low", "low_high", "low_low"}
        if set(v) != need:
            raise ValueError(f"blocks must be exactly {sorted(need)}")
        return v


Scoring.model_rebuild()


class Framework(Dated):
    """A framework: requirements grouped by domains, with a version and a source."""

    schema_: Literal["gezi.framework/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    locale: Literal["zh-TW"] = "zh-TW"
    name: LText
    description: LText | None = None
    source: Source
    applies_if: Condition | None = None
    domains: list[Domain] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    scoring: Scoring = Field(default_factory=Scoring)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("applies_if")
    @classmethod
    def _valid_condition(cls, value: Condition | None) -> Condition | None:
        return check_condition(value)

    @model_validator(mode="after")
    def _references(self) -> Framework:
        domain_ids = [d.id for d in self.domains]
        dup = {d for d in domain_ids if domain_ids.count(d) > 1}
        if dup:
            raise ValueError(f"duplicate domain id(s): {sorted(dup)}")
        ids = [i.id for i in self.items]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate item id(s): {sorted(dup)}")
        for n, item in enumerate(self.items):
            if item.domain not in domain_ids:
                raise ValueError(f"items.{n} ({item.id}): unknown domain {item.domain!r}")
        return self

    def item(self, item_id: str) -> Item | None:
        """The item with this id, if any."""
        return next((i for i in self.items if i.id == item_id), None)


class Code(Strict):
    """One code of an official code list."""

    code: str = Field(min_length=1)
    name: LText
    source: Source | None = None
    note: str | None = None


class CodeList(Dated):
    """An official code list (e.g. 特定目的, 個人資料類別)."""

    schema_: Literal["gezi.codelist/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    locale: Literal["zh-TW"] = "zh-TW"
    name: LText
    source: Source
    complete: bool
    expected_count: int | None = None
    allow_free_text: bool = False
    completeness_note: str | None = None
    codes: list[Code] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _unique(self) -> CodeList:
        seen = [c.code for c in self.codes]
        dup = {c for c in seen if seen.count(c) > 1}
        if dup:
            raise ValueError(f"duplicate code(s): {sorted(dup)}")
        return self


ItemRef = Annotated[str, Field(pattern=r"^[a-z0-9-]+:[A-Za-z0-9_.-]+$")]


class MappingGroup(Strict):
    """Items of several frameworks that ask for the same thing."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: LText
    rationale: str
    items: list[ItemRef] = Field(min_length=2)


class Mapping(Strict):
    """Cross-framework equivalences so one control can satisfy several items."""

    schema_: Literal["gezi.mapping/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    name: LText
    source: Source
    groups: list[MappingGroup] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EvidenceKind(Strict):
    """A kind of record or evidence an inspector asks for, with its retention."""

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name: LText
    retention_years: int = Field(ge=0)
    source: Source


class EvidenceKinds(Strict):
    """The catalog of evidence kinds."""

    schema_: Literal["gezi.evidence-kinds/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    source: Source
    kinds: list[EvidenceKind] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


CATALOG_TYPES: dict[str, type[BaseModel]] = {
    "gezi.framework/1": Framework,
    "gezi.codelist/1": CodeList,
    "gezi.mapping/1": Mapping,
    "gezi.evidence-kinds/1": EvidenceKinds,
}
