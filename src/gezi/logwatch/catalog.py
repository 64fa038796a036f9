"""Schemas and loaders of logwatch's data: rules, the site profile and the retention policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from gezi.catalog.loader import CatalogError, load_yaml_model, read_yaml, validate
from gezi.catalog.schema import LText, Source, Status, Strict

DATA = Path(__file__).resolve().parents[1] / "catalog" / "data" / "logwatch"
CATEGORIES = (
    "brute_force", "credential_stuffing", "unknown_account", "login_rate", "bot", "scanning",
    "sqli_probe", "foreign_admin_access", "auth_bypass", "mass_password_change",
    "traffic_anomaly", "new_location_login",
)
Category = Literal[
    "brute_force", "credential_stuffing", "unknown_account", "login_rate", "bot", "scanning",
    "sqli_probe", "foreign_admin_access", "auth_bypass", "mass_password_change",
    "traffic_anomaly", "new_location_login",
]
# Columns of the normalized events table a rule may test in `where` / `prior`.
WHERE_COLUMNS = {
    "source", "event", "result", "method", "status", "ok", "served", "is_static", "is_login", "is_admin",
    "is_admin_login", "is_pw_change", "probe", "sqli", "is_foreign",
}
Scalar = str | int | bool


class Matcher(Strict):
    """A named list of RE2 patterns, evaluated per request into a boolean column."""

    description: LText
    source: Source
    field: Literal["path", "target"] = "target"
    min_status: int | None = None  # evaluate only for responses with at least this status
    needs_any: list[str] = Field(default_factory=list)  # and only if one of these occurs
    patterns: list[str] = Field(min_length=1)


class Condition(Strict):
    """Threshold on the windowed count: exactly one of gt / gte."""

    gt: int | None = None
    gte: int | None = None

    @model_validator(mode="after")
    def _one(self) -> Condition:
        if (self.gt is None) == (self.gte is None):
            raise ValueError("give exactly one of gt, gte")
        return self

    @property
    def minimum(self) -> int:
        """The smallest count that triggers."""
        return self.gte if self.gte is not None else self.gt + 1  # type: ignore[operator]

    def describe(self) -> str:
        """'> 30' or '≥ 3'."""
        return f"> {self.gt}" if self.gt is not None else f"≥ {self.gte}"


class Rule(Strict):
    """One detection rule: filter → key → (distinct) → count in a sliding window."""

    id: str = Field(pattern=r"^LW-[A-Z0-9-]+$")
    category: Category
    kind: Literal["window_count", "window_distinct", "without_prior", "baseline_excess",
                  "new_value"]
    severity: Literal["low", "medium", "high", "critical"]
    title: LText
    action: LText
    where: dict[str, Scalar | list[Scalar]]
    prior: dict[str, Scalar | list[Scalar]] | None = None
    key: Literal["ip", "user"]
    distinct: Literal["user", "path", "acct", "location"] | None = None
    window_seconds: int | None = Field(default=None, gt=0)
    condition: Condition | None = None
    excess_ratio: float | None = None
    baseline_days: int | None = None
    min_daily_count: int | None = None
    ip_min_share: float | None = None
    foreign_only: bool = False
    # IP rules: count an IPv6 client by its network of this prefix length (IPv4 stays exact), so
    # a client rotating through the addresses of its /64 is one key; with its citation
    ipv6_prefix: int | None = Field(default=None, ge=1, le=128)
    ipv6_prefix_source: Source | None = None
    origin: Literal["seed", "gezi_default"]
    note: str | None = None
    source: Source
    enabled: bool = True

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        bad = (set(self.where) | set(self.prior or {})) - WHERE_COLUMNS
        if bad:
            raise ValueError(f"unknown where column(s) {sorted(bad)}")
        needs = {
            "window_count": ("window_seconds", "condition"),
            "window_distinct": ("window_seconds", "condition", "distinct"),
            "without_prior": ("window_seconds", "condition", "prior"),
            "baseline_excess": ("excess_ratio", "baseline_days", "min_daily_count",
                                "ip_min_share"),
            "new_value": ("distinct",),
        }[self.kind]
        missing = [n for n in needs if getattr(self, n) is None]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        if self.ipv6_prefix is not None and (self.key != "ip" or self.ipv6_prefix_source is None
                                             or self.kind not in ("window_count", "window_distinct")):
            raise ValueError("ipv6_prefix needs key ip, a window kind and ipv6_prefix_source")
        return self


class RuleCatalog(Strict):
    """The rules file."""

    schema_: Literal["gezi.logwatch-rules/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    source: Source
    matchers: dict[str, Matcher]
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique(self) -> RuleCatalog:
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule id")
        return self


class Allow(Strict):
    """Requests no rule counts."""

    ips: list[str] = Field(default_factory=list)
    user_agents: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)


class SiteProfile(Strict):
    """What a site's paths mean; see docs/logwatch.md."""

    schema_: Literal["gezi.logwatch-profile/1"] = Field(alias="schema")
    home_country: str = Field(default="TW", pattern=r"^[A-Z]{2}$")
    timezone: str = "Asia/Taipei"  # of log time stamps without offset (syslog)
    login_paths: list[str]
    admin_prefixes: list[str]
    admin_login_paths: list[str]
    password_change_paths: list[str]
    static_extensions: list[str]
    allow: Allow = Field(default_factory=Allow)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)


class RetentionPolicy(Strict):
    """How long one source of logs must be kept."""

    source: str
    name: LText
    months: int | None = None
    years: int | None = None
    status: Status
    source_ref: Source

    @model_validator(mode="after")
    def _period(self) -> RetentionPolicy:
        if (self.months is None) == (self.years is None):
            raise ValueError("give exactly one of months, years")
        return self

    @property
    def total_months(self) -> int:
        """The period in months."""
        return self.months if self.months is not None else 12 * self.years  # type: ignore[operator]


class Retention(Strict):
    """The retention file."""

    schema_: Literal["gezi.logwatch-retention/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    policies: list[RetentionPolicy]
    review_items: list[str] = Field(default_factory=list)

    def policy(self, source: str) -> RetentionPolicy | None:
        """The policy of a source, if one is catalogued."""
        return next((p for p in self.policies if p.source == source), None)


class WindowsLogonEvent(Strict):
    """A Windows Security log event that is a logon attempt (or a credential check)."""

    id: int
    event: Literal["login"]
    result: Literal["success", "failure"]  # when its code is not listed (or it has none)
    codes: str | None = None  # the code table its Status / SubStatus are read with
    source: Source


class WindowsStatus(Strict):
    """A Status / Sub Status / Failure Code / Error Code and the auth result it stands for."""

    code: str = Field(pattern=r"^0x[0-9A-F]+$")
    result: Literal["success", "failure", "unknown_user"]
    meaning: str


class WindowsCodes(Strict):
    """One table of codes with its source."""

    source: Source
    statuses: list[WindowsStatus]


class WindowsLogon(Strict):
    """The Windows logon events gezi reads and the meaning of their codes."""

    schema_: Literal["gezi.logwatch-windows-logon/2"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    source: Source
    events: list[WindowsLogonEvent]
    codes: dict[str, WindowsCodes]
    logon_types_source: Source
    logon_types: dict[int, str]

    @model_validator(mode="after")
    def _tables(self) -> WindowsLogon:
        missing = {e.codes for e in self.events if e.codes} - set(self.codes)
        if missing:
            raise ValueError(f"unknown code table(s) {sorted(missing)}")
        return self


@cache
def windows_logon() -> WindowsLogon:
    """The shipped Windows logon event catalog."""
    return load_yaml_model(DATA / "windows-logon.yaml", WindowsLogon)


@cache
def rule_catalog() -> RuleCatalog:
    """The shipped rules."""
    return load_yaml_model(DATA / "rules.yaml", RuleCatalog)


@cache
def retention() -> Retention:
    """The shipped retention policy."""
    return load_yaml_model(DATA / "retention.yaml", Retention)


def load_profile(path: Path | None = None) -> SiteProfile:
    """The default site profile, with the keys of a user profile file laid over it."""
    base = read_yaml(DATA / "site-profile.yaml")
    if path is not None:
        extra = read_yaml(path)
        if not isinstance(extra, dict):
            raise CatalogError(f"{path}: a site profile is a YAML mapping")
        extra.setdefault("schema", base["schema"])
        base = {**base, **extra}
    return validate(path or DATA / "site-profile.yaml", base, SiteProfile)


def ipv6_prefixes(rules: list[Rule]) -> list[int]:
    """The IPv6 network prefix lengths the rules count clients by (see `Rule.ipv6_prefix`)."""
    return sorted({r.ipv6_prefix for r in rules if r.ipv6_prefix is not None})


def effective_rules(profile: SiteProfile) -> list[Rule]:
    """The catalog's rules with the profile's per-rule overrides applied (disabled ones dropped)."""
    rules = {r.id: r for r in rule_catalog().rules}
    out = []
    unknown = set(profile.rules) - set(rules)
    if unknown:
        raise CatalogError(f"site profile: unknown rule id(s) {', '.join(sorted(unknown))}")
    for rule_id, rule in rules.items():
        override = profile.rules.get(rule_id)
        if override:
            data = {**rule.model_dump(by_alias=True, exclude_none=True), **override}
            rule = validate(Path(f"site profile rules.{rule_id}"), data, Rule)
        if rule.enabled:
            out.append(rule)
    return out
