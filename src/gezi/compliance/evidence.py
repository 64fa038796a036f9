"""Evidence files stored content-addressed (SHA-256) under the data directory."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.loader import load_catalogs
from gezi.compliance.models import Evidence, EvidenceLink
from gezi.core.errors import GeziError
from gezi.core.settings import Settings

CHUNK = 1 << 20


def evidence_kinds() -> dict[str, Any]:
    """Known evidence kinds by code (from the evidence-kinds catalog)."""
    kinds: dict[str, Any] = {}
    for cat in load_catalogs().evidence_kinds.values():
        kinds.update({k.code: k for k in cat.kinds})
    return kinds


def blob_path(settings: Settings, sha256: str) -> Path:
    """Where the blob with this hash lives: evidence/ab/cd/abcd…"""
    return settings.evidence_dir / sha256[:2] / sha256[2:4] / sha256


def store_blob(settings: Settings, source: Path) -> tuple[str, int]:
    """Copy a file into the blob store (once per content); returns (sha256, size)."""
    if not source.is_file():
        raise GeziError(f"找不到證據檔案 evidence file not found: {source}")
    settings.evidence_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=settings.evidence_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        target = blob_path(settings, sha)
        if target.is_file() and _hash_file(target) == sha:
            os.unlink(tmp_name)
        else:  # new content, or a stored copy that was altered or lost: (re)store it
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            target.chmod(0o444)
        return sha, size
    except OSError as exc:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise GeziError(f"無法儲存證據 cannot store evidence {source}: {exc.strerror}") from None


def display_name(path: Path) -> str:
    """The file name as text; bytes that are not UTF-8 (an old Big5 file name) become U+FFFD."""
    return os.fsencode(path.name).decode("utf-8", errors="replace")


def add_evidence(session: Session, settings: Settings, *, org_id: int, path: Path, kind: str,
                 actor: str, title: str | None = None, owner: str | None = None,
                 effective_date: dt.date | None = None,
                 expiry_date: dt.date | None = None) -> Evidence:
    """Store a file as evidence of an organization; the kind must be a catalogued kind."""
    kinds = evidence_kinds()
    if kind not in kinds:
        raise GeziError(f"未知的證據類型 unknown evidence kind {kind!r}; see `gezi evidence kinds`")
    if expiry_date is None and effective_date is not None and kinds[kind].retention_years:
        years = kinds[kind].retention_years
        try:
            expiry_date = effective_date.replace(year=effective_date.year + years)
        except ValueError:  # 29 Feb
            expiry_date = effective_date.replace(year=effective_date.year + years, day=28)
    if expiry_date is not None and effective_date is not None and expiry_date < effective_date:
        raise GeziError(f"到期日早於生效日 expiry {expiry_date} is before the effective date "
                        f"{effective_date}")
    sha, size = store_blob(settings, path)
    name = display_name(path)
    ev = Evidence(org_id=org_id, sha256=sha, filename=name, size=size, kind=kind,
                  title=title or name, owner=owner, effective_date=effective_date,
                  expiry_date=expiry_date, added_by=actor)
    session.add(ev)
    session.flush()
    return ev


def link_evidence(session: Session, evidence: Evidence, target_type: str, target_id: str) -> None:
    """Attach evidence to a target (e.g. 'assessment_item', '3:AC-4'); idempotent."""
    exists = session.scalar(sa.select(EvidenceLink).where(
        EvidenceLink.evidence_id == evidence.id, EvidenceLink.target_type == target_type,
        EvidenceLink.target_id == target_id))
    if exists is None:
        session.add(EvidenceLink(evidence_id=evidence.id, target_type=target_type,
                                 target_id=target_id))
        session.flush()


def evidence_for(session: Session, target_type: str, target_ids: list[str]) -> dict[str, list[Evidence]]:
    """Evidence linked to each of several targets of one type."""
    if not target_ids:
        return {}
    rows = session.execute(
        sa.select(EvidenceLink.target_id, Evidence)
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(EvidenceLink.target_type == target_type, EvidenceLink.target_id.in_(target_ids))
        .order_by(Evidence.id)
    ).all()
    out: dict[str, list[Evidence]] = {}
    for target_id, ev in rows:
        out.setdefault(target_id, []).append(ev)
    return out


def list_evidence(session: Session, org_id: int, kind: str | None = None) -> list[Evidence]:
    """Evidence of an organization, newest first."""
    q = sa.select(Evidence).where(Evidence.org_id == org_id)
    if kind is not None and kind not in evidence_kinds():  # a typo must not read as "no records"
        raise GeziError(f"未知的證據類型 unknown evidence kind {kind!r}; see `gezi evidence kinds`")
    if kind:
        q = q.where(Evidence.kind == kind)
    return list(session.scalars(q.order_by(Evidence.id.desc())))


@dataclass
class BlobCheck:
    """Result of re-hashing one evidence file."""

    evidence_id: int
    filename: str
    status: str  # ok | changed | missing


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_evidence(session: Session, settings: Settings, org_id: int | None = None) -> list[BlobCheck]:
    """Re-hash every evidence file; report those that changed or vanished."""
    q = sa.select(Evidence).order_by(Evidence.id)
    if org_id is not None:
        q = q.where(Evidence.org_id == org_id)
    checks = []
    for ev in session.scalars(q):
        path = blob_path(settings, ev.sha256)
        try:
            status = "ok" if _hash_file(path) == ev.sha256 else "changed"
        except FileNotFoundError:
            status = "missing"
        except OSError:  # a directory in its place, no permission: it cannot be proven intact
            status = "unreadable"
        checks.append(BlobCheck(ev.id, ev.filename, status))
    return checks


def copy_out(settings: Settings, evidence: Evidence, dest: Path) -> Path:
    """Copy an evidence blob out under its original file name (for evidence packs)."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{evidence.id}-{evidence.filename}"
    shutil.copyfile(blob_path(settings, evidence.sha256), target)
    return target


def evidence_dict(ev: Evidence) -> dict[str, Any]:
    """Evidence as a JSON-ready dict."""
    return {"id": ev.id, "sha256": ev.sha256, "filename": ev.filename, "size": ev.size,
            "kind": ev.kind, "title": ev.title, "owner": ev.owner,
            "effective_date": ev.effective_date, "expiry_date": ev.expiry_date,
            "added_by": ev.added_by, "added_at": ev.added_at}
