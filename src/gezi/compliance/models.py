"""Register tables of the compliance programme: assessments, findings, controls, evidence."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gezi.core.db import Base, timestamp

RESULTS = ("compliant", "partial", "noncompliant", "na")
RESULT_ZH = {"compliant": "符合", "partial": "部分符合", "noncompliant": "不符合", "na": "不適用"}
FINDING_STATUSES = ("open", "in_progress", "closed", "accepted")
FINDING_STATUS_ZH = {"open": "待改善", "in_progress": "改善中", "closed": "已結案",
                     "accepted": "風險接受"}
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "重大"}
# Where findings come from (the `source` each module passes to upsert_finding), for listings.
FINDING_SOURCE_ZH = {"assessment": "評鑑", "logwatch": "日誌監控", "pii": "個資盤點",
                     "requests": "當事人權利行使", "vendors": "委外監督", "incidents": "個資事故"}


class Assessment(Base):
    """An assessment of one organization against one framework version for one period."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    framework_id: Mapped[str] = mapped_column(sa.String(80))
    framework_version: Mapped[str] = mapped_column(sa.String(40))
    period: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    started_at: Mapped[dt.datetime] = timestamp()
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                          nullable=True)

    results: Mapped[list[Result]] = relationship(back_populates="assessment",
                                                 cascade="all, delete-orphan")


class Result(Base):
    """A person's verdict on one item of an assessment."""

    __tablename__ = "assessment_results"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    item_id: Mapped[str] = mapped_column(sa.String(80))
    result: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    assessed_by: Mapped[str] = mapped_column(sa.String(200))
    assessed_at: Mapped[dt.datetime] = timestamp()

    assessment: Mapped[Assessment] = relationship(back_populates="results")


class Finding(Base):
    """A deficiency (缺失) tracked to closure; from an assessment or from a sensor."""

    __tablename__ = "findings"
    __personal__ = frozenset({"title", "detail"})  # log findings name accounts and source IPs (docs/audit.md)
    __table_args__ = (sa.UniqueConstraint("org_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(40))  # assessment | logwatch | pii | …
    fingerprint: Mapped[str] = mapped_column(sa.String(200))
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"),
                                                      nullable=True)
    framework_id: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    item_id: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    severity: Mapped[str] = mapped_column(sa.String(20), default="medium")
    owner: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    resolution: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    occurrences: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[dt.datetime] = timestamp()
    last_seen: Mapped[dt.datetime] = timestamp()
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                          nullable=True)


class Control(Base):
    """A control the organization operates; linked to items of several frameworks."""

    __tablename__ = "controls"
    __table_args__ = (sa.UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    frequency: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    owner: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[dt.datetime] = timestamp()

    links: Mapped[list[ControlLink]] = relationship(back_populates="control",
                                                    cascade="all, delete-orphan")


class ControlLink(Base):
    """A control satisfies (part of) a framework item."""

    __tablename__ = "control_links"
    __table_args__ = (sa.UniqueConstraint("control_id", "framework_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), index=True)
    framework_id: Mapped[str] = mapped_column(sa.String(80))
    item_id: Mapped[str] = mapped_column(sa.String(80))

    control: Mapped[Control] = relationship(back_populates="links")


class Evidence(Base):
    """A file kept as evidence, stored content-addressed by its SHA-256."""

    __tablename__ = "evidence"
    __personal__ = frozenset({"filename", "title"})  # e.g. 王小明_申請書.pdf (docs/audit.md)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    filename: Mapped[str] = mapped_column(sa.String(500))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    owner: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    effective_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    expiry_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    added_by: Mapped[str] = mapped_column(sa.String(200))
    added_at: Mapped[dt.datetime] = timestamp()


class EvidenceLink(Base):
    """Evidence attached to something: an assessment item, a control, a finding, an incident…"""

    __tablename__ = "evidence_links"
    __table_args__ = (sa.UniqueConstraint("evidence_id", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id"), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str] = mapped_column(sa.String(200), index=True)
