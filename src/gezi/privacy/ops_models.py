"""Register tables of privacy operations: data-subject requests, marketing opt-outs, vendors
(委外監督) and cross-border transfers (國際傳輸).

Personal data is kept minimal: a request's subject and contact and an opt-out's identifier are
stored only as a masked display form plus a keyed digest (see ``gezi.privacy.optout``), never raw,
so the register and its audit trail hold no readable contact data.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from gezi.core.db import Base, timestamp
from gezi.core.errors import GeziError

REQUEST_STATUSES = ("open", "closed")
DECISIONS = ("granted", "partially", "refused")
OPTOUT_CHANNELS = ("email", "sms", "phone", "post", "all")
IDENTIFIER_TYPES = ("email", "phone", "member_id")
# The largest value an Integer column holds on PostgreSQL (SQLite holds more): ids and amounts
# above it are refused the same way on both databases.
MAX_INT = 2**31 - 1


def fits_int(value: int) -> bool:
    """Whether a number fits an Integer column on every supported database."""
    return -MAX_INT - 1 <= value <= MAX_INT


def _org() -> Mapped[int]:
    return mapped_column(sa.ForeignKey("organizations.id"), index=True)


class DataSubjectRequest(Base):
    """A request under PDPA Art 3 (當事人權利行使) and its handling on the Art 13 clock."""

    __tablename__ = "privacy_requests"
    # Erasable on the audit trail (docs/audit.md); the reasons are free text an officer may
    # write the requester's name into.
    __personal__ = frozenset({"subject_masked", "subject_digest", "contact_masked", "contact_digest",
                              "identity_method", "extension_reason", "decision_reason"})

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org()
    request_type: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    subject_masked: Mapped[str] = mapped_column(sa.String(200))
    subject_digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    contact_masked: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    contact_digest: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    clock_id: Mapped[str] = mapped_column(sa.String(80))
    clock_source: Mapped[str] = mapped_column(sa.String(300))
    counting: Mapped[str] = mapped_column(sa.String(20))
    identity_method: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True)
    identity_verified_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    extended: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    extended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                            nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    decision: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    fee: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)  # NT$, PDPA Art 14
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                          nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class MarketingOptOut(Base):
    """A refusal of marketing (拒絕行銷, PDPA Art 20(2)) for one identifier and channel."""

    __tablename__ = "marketing_optouts"
    __personal__ = frozenset({"digest", "masked"})  # keyed HMAC: pseudonymous, still personal (docs/audit.md)
    __table_args__ = (sa.UniqueConstraint("org_id", "id_type", "digest", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org()
    id_type: Mapped[str] = mapped_column(sa.String(20))
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    masked: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(10))
    since: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    key_id: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class Vendor(Base):
    """An entrusted party (受託者) that collects, processes or uses personal data for the org."""

    __tablename__ = "vendors"
    __table_args__ = (sa.UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org()
    name: Mapped[str] = mapped_column(sa.String(200))
    ubn: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    service: Mapped[str] = mapped_column(sa.Text)
    contract_start: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    contract_end: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    review_interval_months: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")  # active | terminated
    # ER Art 8 I(6): on termination, carriers are returned and stored data deleted.
    terminated_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    data_returned: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    data_deleted: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    termination_note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    termination_evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class VendorItemCheck(Base):
    """Whether the contract covers one Enforcement Rules Art 8 supervision item."""

    __tablename__ = "vendor_item_checks"
    __table_args__ = (sa.UniqueConstraint("vendor_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(20))  # agreed | missing | na
    clause: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    checked_by: Mapped[str] = mapped_column(sa.String(200))
    checked_at: Mapped[dt.datetime] = timestamp()


class VendorCertification(Base):
    """A certification the vendor holds (ISO/IEC 27001, 27701, BS 10012 …) and its expiry."""

    __tablename__ = "vendor_certifications"
    __table_args__ = (sa.UniqueConstraint("vendor_id", "standard", "certificate_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    standard: Mapped[str] = mapped_column(sa.String(40))
    certificate_no: Mapped[str] = mapped_column(sa.String(100), default="")
    issuer: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    valid_until: Mapped[dt.date] = mapped_column(sa.Date)
    added_by: Mapped[str] = mapped_column(sa.String(200))
    added_at: Mapped[dt.datetime] = timestamp()


class VendorReview(Base):
    """A periodic confirmation of the vendor's performance (ER Art 8 III: 定期確認並記錄)."""

    __tablename__ = "vendor_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    reviewed_on: Mapped[dt.date] = mapped_column(sa.Date)
    method: Mapped[str] = mapped_column(sa.String(40))
    result: Mapped[str] = mapped_column(sa.String(20))  # satisfactory | issues | unsatisfactory
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"), nullable=True)
    reviewer: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class VendorSelection(Base):
    """The selection risk assessment (選商評估, e.g. 財務狀況、專業能力) of a vendor."""

    __tablename__ = "vendor_selections"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(sa.Date)
    ratings: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # criterion -> {rating, note}
    decision: Mapped[str] = mapped_column(sa.String(20))  # selected | conditional | rejected
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"), nullable=True)
    assessor: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class DataTransfer(Base):
    """A cross-border transfer (國際傳輸) of one personal-data file to a destination."""

    __tablename__ = "data_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org()
    # The personal-data file (個資檔案): the text the user gave, and the inventory entry's id when
    # it names one (no foreign key, so a transfer of a file not yet inventoried can be recorded).
    inventory_ref: Mapped[str] = mapped_column(sa.String(300))
    pd_file_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, index=True)
    destination: Mapped[str] = mapped_column(sa.String(10))
    recipient: Mapped[str] = mapped_column(sa.String(300))
    purpose: Mapped[str] = mapped_column(sa.Text)
    legal_basis: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    method: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    data_categories: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    safeguards: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    risk_analysis: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    started_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = timestamp()


class TransferAssessment(Base):
    """A walk through one regime's indicators (GDPR Art 3(2), CCPA, APEC CBPR) with its result."""

    __tablename__ = "transfer_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org()
    transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("data_transfers.id"),
                                                    nullable=True, index=True)
    regime: Mapped[str] = mapped_column(sa.String(40))
    rule_version: Mapped[str] = mapped_column(sa.String(80))
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[str] = mapped_column(sa.String(40))
    reasoning: Mapped[list] = mapped_column(sa.JSON, default=list)
    assessed_by: Mapped[str] = mapped_column(sa.String(200))
    assessed_at: Mapped[dt.datetime] = timestamp()


def _check_lengths(_mapper, _conn, row: Base) -> None:
    """Refuse text longer than its column with a one-line error: PostgreSQL would fail with a
    traceback and SQLite would silently store it."""
    for col in row.__table__.columns:
        if isinstance(col.type, sa.String) and col.type.length:
            value = getattr(row, col.key, None)
            if isinstance(value, str) and len(value) > col.type.length:
                raise GeziError(f"{col.key} 過長 too long: {len(value)} > {col.type.length} characters")


for _model in (DataSubjectRequest, MarketingOptOut, Vendor, VendorItemCheck, VendorCertification, VendorReview,
               VendorSelection, DataTransfer, TransferAssessment):
    event.listen(_model, "before_insert", _check_lengths)
    event.listen(_model, "before_update", _check_lengths)
