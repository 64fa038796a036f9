"""Register tables of personal-data and security incidents (個資事故): the incident, its legal
duties, its timeline and one delivery record per notified person."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gezi.core.db import Base, timestamp

INCIDENT_KINDS = ("pd_breach", "security")
INCIDENT_STATUSES = ("open", "closed")
INCIDENT_KIND_ZH = {"pd_breach": "個資事故", "security": "資安事件"}
INCIDENT_STATUS_ZH = {"open": "處理中", "closed": "已結案"}
EVENT_KINDS = ("investigation", "measure", "contact", "notice", "report", "update")
EVENT_KIND_ZH = {"investigation": "調查", "measure": "因應措施", "contact": "聯繫",
                 "notice": "通知當事人", "report": "通報", "update": "資料更新"}
# pending → sending → sent | failed (not delivered, retried) | uncertain (crash mid-send, held)
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "uncertain")
DELIVERY_STATUS_ZH = {"pending": "待寄送", "sending": "寄送中", "sent": "已寄送",
                      "failed": "寄送失敗", "uncertain": "結果不明"}


class Incident(Base):
    """One incident; the facts the legal clocks test and the notice template needs."""

    __tablename__ = "incidents"
    # Free text typed about a breach names people (王小明帳號遭盜用, 客戶林小姐來電反映): kept
    # outside the audit chain as commitments, erasable (docs/audit.md).
    __personal__ = frozenset({"title", "cause", "how_found"})

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    detected_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    occurred_from: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    occurred_to: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    affected: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    special_categories: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    system_records: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    major: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    data_categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    cause: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    how_found: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    investigator: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    fraud_warning: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    contact: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Per-incident salt of the recipient hashes: equal within an incident (no double send on
    # re-run), not linkable across incidents.
    recipient_salt: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = timestamp()
    closed_at: Mapped[dt.datetime | None] = timestamp(nullable=True)

    duties: Mapped[list[IncidentDuty]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentDuty.id")
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEvent.at")


class IncidentDuty(Base):
    """A legal duty the incident triggered (from the clock catalog) and when it was met."""

    __tablename__ = "incident_duties"
    # The note is free text copied to the timeline too, whose text is personal (docs/audit.md).
    __personal__ = frozenset({"done_note"})
    __table_args__ = (sa.UniqueConstraint("incident_id", "clock_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    clock_id: Mapped[str] = mapped_column(sa.String(80))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(30))  # the rule's legal status
    binding: Mapped[bool] = mapped_column(sa.Boolean)
    due: Mapped[dt.datetime | None] = timestamp(nullable=True)
    caveat: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    done_at: Mapped[dt.datetime | None] = timestamp(nullable=True)
    done_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="duties")


class IncidentEvent(Base):
    """One timeline entry: an investigation step, a measure, a contact, a notice or report."""

    __tablename__ = "incident_events"
    __personal__ = frozenset({"text"})  # contact steps name affected persons (docs/audit.md)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    at: Mapped[dt.datetime] = timestamp()
    kind: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(200))

    incident: Mapped[Incident] = relationship(back_populates="events")


class NoticeDelivery(Base):
    """One notified person: only a salted hash and a masked address are kept, never the address."""

    __tablename__ = "incident_notice_deliveries"
    __personal__ = frozenset({"recipient_hash", "recipient_masked", "error"})  # SMTP replies quote the address
    __table_args__ = (sa.UniqueConstraint("incident_id", "recipient_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    recipient_hash: Mapped[str] = mapped_column(sa.String(64))
    recipient_masked: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = timestamp()
    sending_at: Mapped[dt.datetime | None] = timestamp(nullable=True)
    sent_at: Mapped[dt.datetime | None] = timestamp(nullable=True)
    # Optimistic lock: claiming a row for sending is a compare-and-set, so two runs at once
    # cannot both send to the same person.
    row_version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __mapper_args__: ClassVar[dict[str, object]] = {"version_id_col": row_version}


class NotifyLease(Base):
    """Who is sending an incident's notices right now: one row per incident at most.

    A notify run takes the lease before touching any delivery row and renews it while it sends;
    a second run for the same incident is refused while the lease is live, and may take it over
    once it has expired (the holder died or stalled). Rows left in ``sending`` are therefore only
    ever found by a run whose predecessors' leases have all ended.
    """

    __tablename__ = "incident_notify_leases"
    # Not on the audit trail: the lease is renewed every few seconds while mail goes out, which
    # would flood the hash chain (and serialize on its head); each run's outcome is recorded on
    # the incident's timeline instead.
    __audited__ = False

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    acquired_at: Mapped[dt.datetime] = timestamp()
    expires_at: Mapped[dt.datetime] = timestamp()
