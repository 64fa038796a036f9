"""Register tables of the personal-data inventory (個資檔案清冊).

One ``PdFile`` per location (a file, a directory or a database table) of an organization, with
what people declare about it (purposes, legal basis, retention, …) and what scans found in it
(counts per entity in ``PdFileEntity``). Raw values are never stored: only counts and masked
samples.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gezi.core.db import Base, timestamp

# "manual": a file no scanner reaches (paper forms, a SaaS back office), entered by a person.
LOCATION_KINDS = ("file", "directory", "db_table", "manual")
LOCATION_KIND_ZH = {"file": "檔案", "directory": "目錄", "db_table": "資料庫資料表",
                    "manual": "人工登錄（紙本或外部系統）"}


class PdFile(Base):
    """A 個資檔案: one location holding personal data, and what the organization declares about it."""

    __tablename__ = "pd_files"
    # File names often name a person (docs/audit.md); a column name may too, like a header cell.
    __personal__ = frozenset({"name", "location", "columns"})
    __table_args__ = (sa.UniqueConstraint("org_id", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(300))  # 個資檔案名稱
    location_kind: Mapped[str] = mapped_column(sa.String(20))  # one of LOCATION_KINDS
    location: Mapped[str] = mapped_column(sa.String(1000))  # path, or URL (no password) + table
    # Globs of files and folders a directory's scans leave out (add-scan --exclude; rescan
    # applies them again); None or [] = nothing left out.
    exclude: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    owner_unit: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)  # 保有單位
    # What the register says the location holds: category codes (or free text); [] = 無個資.
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    # [{"code": "040", "name": "行銷"}] or [{"text": "…"}] when the list allows free text.
    purposes: Mapped[list] = mapped_column(sa.JSON, default=list)
    legal_bases: Mapped[list] = mapped_column(sa.JSON, default=list)  # codes of legal-bases.yaml
    collection_method: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    retention: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    recipients: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    cross_border: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    vendor: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # A database table's columns holding personal data in the latest scan, so a re-scan can
    # tell a new one; None = not recorded yet (entries older than migration 0009).
    columns: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    records: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)  # 筆數
    files_scanned: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    first_seen: Mapped[dt.datetime | None] = timestamp(nullable=True)  # first scan that found PII here
    last_seen: Mapped[dt.datetime | None] = timestamp(nullable=True)  # last scan that found PII here
    last_scanned_at: Mapped[dt.datetime | None] = timestamp(nullable=True)  # 最後盤點日
    created_at: Mapped[dt.datetime] = timestamp()

    entities: Mapped[list[PdFileEntity]] = relationship(
        back_populates="pd_file", cascade="all, delete-orphan", order_by="PdFileEntity.entity")


class PdFileEntity(Base):
    """How many values of one entity type the latest scan found in a 個資檔案, and since when."""

    __tablename__ = "pd_file_entities"
    __personal__ = frozenset({"samples"})  # masked values of data subjects (docs/audit.md)
    __table_args__ = (sa.UniqueConstraint("pd_file_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pd_file_id: Mapped[int] = mapped_column(sa.ForeignKey("pd_files.id"), index=True)
    entity: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)  # in the latest scan
    samples: Mapped[list] = mapped_column(sa.JSON, default=list)  # masked values only
    first_seen: Mapped[dt.datetime] = timestamp()
    last_seen: Mapped[dt.datetime] = timestamp()

    pd_file: Mapped[PdFile] = relationship(back_populates="entities")


class PdScanDir(Base):
    """A directory inventoried one 個資檔案 per file (``add-scan --per-file``).

    The per-file entries record only their files; without the directory a re-scan could not see
    files that appeared in it since. ``rescan`` walks it again with the globs it was scanned
    with and creates an entry (and a finding) for each new file holding personal data.
    """

    __tablename__ = "pd_scan_dirs"
    __personal__ = frozenset({"location"})  # a folder name may name a person, as file names do
    __table_args__ = (sa.UniqueConstraint("org_id", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    location: Mapped[str] = mapped_column(sa.String(1000))  # the directory, as printable text
    exclude: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)  # globs left out
    last_scanned_at: Mapped[dt.datetime | None] = timestamp(nullable=True)
    created_at: Mapped[dt.datetime] = timestamp()
