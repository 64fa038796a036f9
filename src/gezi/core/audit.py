"""Append-only, hash-chained audit trail of every change to the register.

Each flush appends one entry per inserted, updated or deleted row: who, when, what, and the
row's values before and after. Entry n stores the hash of entry n-1; ``audit_head`` stores the
last sequence number and hash, so altering, removing or truncating entries is detected.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from gezi.core.db import Base
from gezi.core.timeutil import now_utc

GENESIS = "0" * 64


class AuditEntry(Base):
    """One recorded change."""

    __tablename__ = "audit_log"
    __audited__ = False

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(sa.String(40))
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(10))
    table_name: Mapped[str] = mapped_column(sa.String(100))
    row_key: Mapped[str] = mapped_column(sa.String(200))
    before: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHead(Base):
    """The chain's tip; a single row locked while entries are appended."""

    __tablename__ = "audit_head"
    __audited__ = False

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(sa.Integer)
    last_hash: Mapped[str] = mapped_column(sa.String(64))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row_values(obj: Any, which: str) -> dict[str, Any]:
    """Column values of an ORM object; which='before' uses attribute history."""
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if which == "before" and hist.deleted:
            value = hist.deleted[0]
        elif which == "before" and hist.added:
            value = None
        else:
            value = getattr(obj, attr.key, None)
        out[attr.key] = _plain(value)
    return out


def _row_key(obj: Any) -> str:
    # Read the key from the row itself: in after_flush, rows just inserted are not yet in the
    # identity map, so ``inspect(obj).identity`` is still None for them.
    state = inspect(obj)
    ident = state.mapper.primary_key_from_instance(obj)
    return ",".join("" if i is None else str(i) for i in ident)


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of an entry's content."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _payload(seq: int, ts: str, actor: str, action: str, table: str, key: str,
             before: dict | None, after: dict | None) -> dict[str, Any]:
    return {"seq": seq, "ts": ts, "actor": actor, "action": action, "table": table,
            "row": key, "before": before, "after": after}


def _audited(obj: Any) -> bool:
    return getattr(type(obj), "__audited__", True)


def _after_flush(session: Session, _ctx: Any) -> None:
    changes: list[tuple[str, Any, dict | None, dict | None]] = []
    for obj in session.new:
        if _audited(obj):
            changes.append(("insert", obj, None, _row_values(obj, "after")))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _row_values(obj, "before"), _row_values(obj, "after")
            if before != after:
                changes.append(("update", obj, before, after))
    for obj in session.deleted:
        if _audited(obj):
            changes.append(("delete", obj, _row_values(obj, "before"), None))
    if not changes:
        return
    conn = session.connection()
    head_t, log_t = AuditHead.__table__, AuditEntry.__table__
    head = conn.execute(sa.select(head_t).where(head_t.c.id == 1).with_for_update()).first()
    if head is None:
        conn.execute(head_t.insert().values(id=1, last_seq=0, last_hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head.last_seq, head.last_hash
    actor = session.info.get("actor", "unknown")
    ts = now_utc().isoformat()
    rows = []
    for action, obj, before, after in changes:
        seq += 1
        table = obj.__tablename__
        key = _row_key(obj)
        digest = entry_hash(prev, _payload(seq, ts, actor, action, table, key, before, after))
        rows.append({"seq": seq, "ts": ts, "actor": actor, "action": action, "table_name": table,
                     "row_key": key, "before": before, "after": after, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    conn.execute(log_t.insert(), rows)
    conn.execute(head_t.update().where(head_t.c.id == 1).values(last_seq=seq, last_hash=prev))


def attach(factory: sessionmaker[Session], actor: str) -> None:
    """Record every flush of sessions from this factory on the audit trail as ``actor``."""
    factory.kw.setdefault("info", {})["actor"] = actor
    # Listen unconditionally: event.contains() can report a listener of a garbage-collected
    # factory as present on a new one (same id), and the new factory would then go unaudited.
    if not getattr(factory, "_gezi_audited", False):
        event.listen(factory, "after_flush", _after_flush)
        factory._gezi_audited = True


@dataclass
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    head_hash: str | None = None  # the tip's hash: write it down to detect a rewritten chain later


def verify(session: Session) -> VerifyResult:
    """Re-hash the chain; report the first entry that was altered, removed or re-ordered."""
    head = session.get(AuditHead, 1)
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for e in rows:
        count += 1
        if e.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev:
            return VerifyResult(False, count, e.seq, "previous-hash link broken")
        payload = _payload(e.seq, e.ts, e.actor, e.action, e.table_name, e.row_key,
                           e.before, e.after)
        if entry_hash(prev, payload) != e.hash:
            return VerifyResult(False, count, e.seq, "content does not match its hash")
        prev, expected_seq = e.hash, expected_seq + 1
    last = expected_seq - 1
    if head is None:
        if last:
            return VerifyResult(False, count, 1, "chain head is missing")
        if _register_has_rows(session):  # every row was recorded: an empty trail was emptied
            return VerifyResult(False, 0, 1, "audit trail is empty but the register holds data")
        return VerifyResult(True, 0)
    if head.last_seq != last or head.last_hash != prev:
        return VerifyResult(False, count, last + 1 if head.last_seq > last else head.last_seq,
                            f"chain head says {head.last_seq} entries, found {last}")
    return VerifyResult(True, count, head_hash=prev)


def _register_has_rows(session: Session) -> bool:
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__audited__", True) and session.execute(
                sa.select(sa.literal(1)).select_from(mapper.local_table).limit(1)).first():
            return True
    return False


def history(session: Session, table: str | None = None, limit: int = 50) -> list[AuditEntry]:
    """The most recent entries, newest first, optionally for one table."""
    q = sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if table:
        q = q.where(AuditEntry.table_name == table)
    return list(session.execute(q).scalars())
