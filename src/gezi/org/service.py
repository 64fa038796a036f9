"""Create, list and resolve organizations."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.core.errors import GeziError
from gezi.core.twid import ubn_is_valid
from gezi.org.models import INDUSTRIES, Organization


def validate_profile(industry: str, ubn: str, broker_tier: int | None,
                     e_trading_share: float | None, capital: int | None,
                     records: int | None) -> None:
    """Raise GeziError for an impossible profile; nothing is written."""
    if not ubn_is_valid(ubn):
        raise GeziError(f"統一編號檢查碼錯誤 invalid 統一編號 (UBN): {ubn!r}")
    if industry not in INDUSTRIES:
        raise GeziError(f"未知的產業別 unknown industry {industry!r}; use one of {', '.join(INDUSTRIES)}")
    if broker_tier is not None and industry != "broker":
        raise GeziError("--broker-tier 只適用證券商 only applies to --industry broker")
    if broker_tier is not None and broker_tier not in (1, 2, 3):
        raise GeziError("--broker-tier 須為 1、2 或 3 must be 1, 2 or 3")
    if e_trading_share is not None and not 0 <= e_trading_share <= 100:
        raise GeziError("--e-trading-share 須介於 0 與 100 must be a percentage between 0 and 100")
    for label, value in (("--capital", capital), ("--records", records)):
        if value is not None and value < 0:
            raise GeziError(f"{label} 不可為負數 must not be negative")


def add_org(session: Session, *, name: str, ubn: str, industry: str,
            capital: int | None = None, records: int | None = None,
            broker_tier: int | None = None, e_trading_share: float | None = None) -> Organization:
    """Add an organization after validating its 統一編號 and profile."""
    ubn = _normalize(ubn)
    validate_profile(industry, ubn, broker_tier, e_trading_share, capital, records)
    if not name.strip():
        raise GeziError("--name 不可空白 must not be empty")
    if session.scalar(sa.select(Organization).where(Organization.ubn == ubn)):
        raise GeziError(f"統一編號 {ubn} 已存在 an organization with this UBN already exists")
    org = Organization(name=name.strip(), ubn=ubn, industry=industry, capital=capital,
                       records=records, broker_tier=broker_tier, e_trading_share=e_trading_share,
                       settings={})
    session.add(org)
    session.flush()
    return org


def update_org(session: Session, org: Organization, *, name: str | None = None,
               industry: str | None = None, capital: int | None = None,
               records: int | None = None, broker_tier: int | None = None,
               e_trading_share: float | None = None) -> Organization:
    """Change profile fields (the 統一編號 is the identity and stays); options not given keep."""
    new = {"name": org.name if name is None else name.strip(),
           "industry": industry or org.industry,
           "capital": org.capital if capital is None else capital,
           "records": org.records if records is None else records,
           "broker_tier": org.broker_tier if broker_tier is None else broker_tier,
           "e_trading_share": org.e_trading_share if e_trading_share is None else e_trading_share}
    if new["industry"] != "broker" and broker_tier is None:
        new["broker_tier"] = None  # leaving the broker industry drops the old tier
    validate_profile(new["industry"], org.ubn, new["broker_tier"], new["e_trading_share"],
                     new["capital"], new["records"])
    if not new["name"]:
        raise GeziError("--name 不可空白 must not be empty")
    for key, value in new.items():
        setattr(org, key, value)
    session.flush()
    return org


def list_orgs(session: Session) -> list[Organization]:
    """All organizations, oldest first."""
    return list(session.scalars(sa.select(Organization).order_by(Organization.id)))


def resolve_org(session: Session, ref: str | None) -> Organization:
    """The organization named by id, UBN or exact name; the only one when ref is None."""
    orgs = list_orgs(session)
    if ref is None:
        if len(orgs) == 1:
            return orgs[0]
        if not orgs:
            raise GeziError("尚無組織 no organization yet: run `gezi org add` (or `gezi demo`)")
        raise GeziError("有多個組織，請用 --org 指定 several organizations: pass --org ID|UBN|NAME")
    key, name = _normalize(ref), ref.strip()
    # id first, then 統一編號, then name: an organization named "2" must not shadow org #2, and
    # a name two organizations share is ambiguous rather than silently the older one.
    for matches in ([o for o in orgs if str(o.id) == key], [o for o in orgs if o.ubn == key],
                    [o for o in orgs if o.name == name]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise GeziError(f"有多個組織名為 {name!r} several organizations have this name: pass "
                            f"--org ID or 統一編號 ({', '.join(f'#{o.id} {o.ubn}' for o in matches)})")
    raise GeziError(f"找不到組織 no organization {ref!r}")


def _normalize(text: str) -> str:
    """Trimmed, with full-width digits and letters (typed with a Chinese IME) made ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def update_org_settings(session: Session, org: Organization, **values: object) -> Organization:
    """Merge values into the organization's settings (recorded on the audit trail)."""
    merged = dict(org.settings or {})
    merged.update(values)
    org.settings = merged
    session.flush()
    return org
