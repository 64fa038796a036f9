"""The organization profile table."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gezi.core.db import Base
from gezi.core.timeutil import now_utc

INDUSTRIES = ("ecommerce", "broker", "listed", "government", "other")


class Organization(Base):
    """An organization whose programme gezi runs. The profile decides what applies."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    ubn: Mapped[str] = mapped_column(sa.String(8), unique=True)
    industry: Mapped[str] = mapped_column(sa.String(20))
    capital: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    records: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    broker_tier: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    e_trading_share: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    # Free-form settings other modules read (e.g. the first-marketing opt-out channel).
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    def facts(self) -> dict[str, object]:
        """The profile as facts that catalog applicability conditions test."""
        return {
            "industry": self.industry,
            "capital": self.capital,
            "records": self.records,
            "broker_tier": self.broker_tier,
            "e_trading_share": self.e_trading_share,
        }
