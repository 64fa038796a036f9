"""Append-only, hash-chained audit trail of every change to the register.

Each flush appends one entry per inserted, updated or deleted row: who, when, what, and the
row's values before and after. Entry n stores the hash of entry n-1; ``audit_head`` stores the
last sequence number and hash, so altering, removing or truncating entries is detected.

Personal values are kept outside the chain so they can be erased (PDPA Art 11) without breaking
it. A model lists its columns that hold a data subject's data in ``__personal__``; for those the
entry stores only a commitment ``{"$sha256": SHA-256(salt ‖ canonical JSON of the value)}`` and
the value and its random salt go to ``audit_personal``, which the chain does not cover.
``verify`` re-hashes the chain and checks every value still present against its commitment;
``erase`` deletes a row's values and salts and records the erasure itself as a chain entry.
The salt is per entry and column (shared by the before and after sides, so an unchanged value
still shows as unchanged): without it an erased phone number could be found again by hashing
all 10^8 candidates against the commitment.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from gezi.core.db import Base
from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc

GENESIS = "0" * 64
COMMIT = "$sha256"  # the key of a commitment that stands in the chain for a personal value
ERASED = "（已刪除 erased）"
ERASE_TABLE = "audit_personal"  # table name of erasure entries (action "erase")
# An erasure's reason is free text typed while erasing one person's data: kept out of the chain
# like any personal column, so a name that slipped into it can be erased in turn.
ERASE_PERSONAL = frozenset({"reason"})
SIDES = ("before", "after")


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


class AuditPersonal(Base):
    """A personal value of an entry, kept outside the chain so it can be erased.

    No foreign key to ``audit_log``: this table is checked against the chain by ``verify``
    (a value without its commitment, or a commitment whose value vanished without a recorded
    erasure, is reported), not constrained by it.
    """

    __tablename__ = "audit_personal"
    __audited__ = False

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    side: Mapped[str] = mapped_column(sa.String(6), primary_key=True)  # before | after
    column_name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[Any] = mapped_column(sa.JSON)


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


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of an entry's content."""
    return hashlib.sha256((prev_hash + _canonical(payload)).encode("utf-8")).hexdigest()


def commitment(salt: str, value: Any) -> str:
    """SHA-256 over a value's salt (hex) and its canonical JSON: what the chain keeps of it."""
    return hashlib.sha256(bytes.fromhex(salt) + _canonical(value).encode("utf-8")).hexdigest()


def is_commitment(value: Any) -> bool:
    """Whether a value in an entry is a commitment standing for a personal value."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(COMMIT), str)


def _payload(seq: int, ts: str, actor: str, action: str, table: str, key: str,
             before: dict | None, after: dict | None) -> dict[str, Any]:
    return {"seq": seq, "ts": ts, "actor": actor, "action": action, "table": table,
            "row": key, "before": before, "after": after}


def _audited(obj: Any) -> bool:
    return getattr(type(obj), "__audited__", True)


def personal_columns(cls: type) -> frozenset[str]:
    """The columns a model declares as a data subject's personal data (``__personal__``)."""
    return frozenset(getattr(cls, "__personal__", frozenset()))


@dataclass
class _Change:
    action: str
    table: str
    key: str
    before: dict | None
    after: dict | None
    personal: frozenset[str] = frozenset()


def _seal(seq: int, change: _Change) -> tuple[dict | None, dict | None, list[dict[str, Any]]]:
    """Replace the personal values of an entry by commitments; return the values to keep aside."""
    salts: dict[str, str] = {}
    kept: list[dict[str, Any]] = []
    sealed: dict[str, dict | None] = {}
    for side, values in zip(SIDES, (change.before, change.after), strict=True):
        if values is None or not change.personal:
            sealed[side] = values
            continue
        out = dict(values)
        for col in change.personal & values.keys():
            if values[col] is None:  # nothing personal in an empty value: kept in the chain
                continue
            salt = salts.setdefault(col, secrets.token_hex(16))
            out[col] = {COMMIT: commitment(salt, values[col])}
            kept.append({"seq": seq, "side": side, "column_name": col, "salt": salt,
                         "value": values[col]})
        sealed[side] = out
    return sealed["before"], sealed["after"], kept


def _append(conn: sa.Connection, actor: str, changes: list[_Change]) -> int:
    """Append entries under the head's lock; returns the last sequence number written."""
    head_t, log_t = AuditHead.__table__, AuditEntry.__table__
    head = conn.execute(sa.select(head_t).where(head_t.c.id == 1).with_for_update()).first()
    if head is None:
        conn.execute(head_t.insert().values(id=1, last_seq=0, last_hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head.last_seq, head.last_hash
    ts = now_utc().isoformat()
    rows, personal = [], []
    for c in changes:
        seq += 1
        before, after, kept = _seal(seq, c)
        personal += kept
        digest = entry_hash(prev, _payload(seq, ts, actor, c.action, c.table, c.key, before, after))
        rows.append({"seq": seq, "ts": ts, "actor": actor, "action": c.action, "table_name": c.table,
                     "row_key": c.key, "before": before, "after": after, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    conn.execute(log_t.insert(), rows)
    if personal:
        conn.execute(AuditPersonal.__table__.insert(), personal)
    conn.execute(head_t.update().where(head_t.c.id == 1).values(last_seq=seq, last_hash=prev))
    return seq


def _change(action: str, obj: Any, before: dict | None, after: dict | None) -> _Change:
    return _Change(action, obj.__tablename__, _row_key(obj), before, after, personal_columns(type(obj)))


def _after_flush(session: Session, _ctx: Any) -> None:
    changes: list[_Change] = []
    for obj in session.new:
        if _audited(obj):
            changes.append(_change("insert", obj, None, _row_values(obj, "after")))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _row_values(obj, "before"), _row_values(obj, "after")
            if before != after:
                changes.append(_change("update", obj, before, after))
    for obj in session.deleted:
        if _audited(obj):
            changes.append(_change("delete", obj, _row_values(obj, "before"), None))
    if changes:
        _append(session.connection(), session.info.get("actor", "unknown"), changes)


def attach(factory: sessionmaker[Session], actor: str) -> None:
    """Record every flush of sessions from this factory on the audit trail as ``actor``."""
    factory.kw.setdefault("info", {})["actor"] = actor
    # Listen unconditionally: event.contains() can report a listener of a garbage-collected
    # factory as present on a new one (same id), and the new factory would then go unaudited.
    if not getattr(factory, "_gezi_audited", False):
        event.listen(factory, "after_flush", _after_flush)
        factory._gezi_audited = True


# --- verification ----------------------------------------------------------------------------

@dataclass
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    head_hash: str | None = None  # the tip's hash: write it down to detect a rewritten chain later
    personal_values: int = 0  # values outside the chain that match their commitments
    erased_values: int = 0  # commitments whose value was erased by a recorded erasure


def _commitments(e: AuditEntry) -> dict[tuple[str, str], str]:
    out = {}
    for side, values in zip(SIDES, (e.before, e.after), strict=True):
        for col, value in (values or {}).items():
            if is_commitment(value):
                out[(side, col)] = value[COMMIT]
    return out


def _personal_groups(session: Session) -> Iterator[tuple[int, list[Any]]]:
    t = AuditPersonal.__table__
    rows = session.execute(sa.select(t).order_by(t.c.seq, t.c.side, t.c.column_name))
    for seq, group in groupby(rows, key=lambda r: r.seq):
        yield seq, list(group)


def _erased_by(e: AuditEntry) -> Iterable[int]:
    """Sequence numbers whose personal values a (recorded) erasure entry removed."""
    if e.action == "erase" and e.table_name == ERASE_TABLE and isinstance(e.after, dict):
        return [s for s in e.after.get("entries", []) if isinstance(s, int)]
    return []


def _matches(row: Any, commit: str) -> bool:
    try:
        return commitment(row.salt, row.value) == commit
    except (ValueError, TypeError):  # a salt altered into something that is not hex
        return False


def verify(session: Session) -> VerifyResult:
    """Re-hash the chain and check the personal values kept outside it against their
    commitments; report the first entry that was altered, removed or re-ordered."""
    head = session.get(AuditHead, 1)
    prev, expected_seq, count, present = GENESIS, 1, 0, 0
    missing: dict[int, list[str]] = {}  # seq -> columns whose value is gone
    erased: set[int] = set()
    groups = _personal_groups(session)
    pending = next(groups, None)
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
        if pending is not None and pending[0] < e.seq:
            return VerifyResult(False, count, pending[0], "personal value kept for an entry that does not exist")
        values = {}
        if pending is not None and pending[0] == e.seq:
            values = {(r.side, r.column_name): r for r in pending[1]}
            pending = next(groups, None)
        commits = _commitments(e)
        for where, r in values.items():
            if where not in commits:
                return VerifyResult(False, count, e.seq, f"personal value {where[1]} ({where[0]}) has no "
                                                         "commitment in the entry")
            if not _matches(r, commits[where]):
                return VerifyResult(False, count, e.seq, f"personal value {where[1]} ({where[0]}) does not "
                                                         "match its commitment")
        present += len(values)
        gone = sorted(col for side, col in commits.keys() - values.keys())
        if gone:
            missing[e.seq] = gone
        erased.update(_erased_by(e))
        prev, expected_seq = e.hash, expected_seq + 1
    last = expected_seq - 1
    if pending is not None:
        return VerifyResult(False, count, pending[0], "personal value kept for an entry that does not exist")
    unrecorded = sorted(set(missing) - erased)
    if unrecorded:
        seq = unrecorded[0]
        return VerifyResult(False, count, seq, f"personal value {missing[seq][0]} was removed without a "
                                               "recorded erasure")
    n_erased = sum(len(cols) for cols in missing.values())
    if head is None:
        if last:
            return VerifyResult(False, count, 1, "chain head is missing")
        if _register_has_rows(session):  # every row was recorded: an empty trail was emptied
            return VerifyResult(False, 0, 1, "audit trail is empty but the register holds data")
        return VerifyResult(True, 0)
    if head.last_seq != last or head.last_hash != prev:
        return VerifyResult(False, count, last + 1 if head.last_seq > last else head.last_seq,
                            f"chain head says {head.last_seq} entries, found {last}")
    return VerifyResult(True, count, head_hash=prev, personal_values=present, erased_values=n_erased)


def _register_has_rows(session: Session) -> bool:
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__audited__", True) and session.execute(
                sa.select(sa.literal(1)).select_from(mapper.local_table).limit(1)).first():
            return True
    return False


# --- reading -----------------------------------------------------------------------------------

def history(session: Session, table: str | None = None, limit: int = 50) -> list[AuditEntry]:
    """The most recent entries, newest first, optionally for one table."""
    q = sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if table:
        q = q.where(AuditEntry.table_name == table)
    return list(session.execute(q).scalars())


def _chunks(seqs: list[int], size: int = 500) -> Iterator[list[int]]:
    # IN lists stay well below the databases' bound-parameter limits.
    for i in range(0, len(seqs), size):
        yield seqs[i:i + size]


@dataclass
class Revealed:
    """An entry's before/after with its personal values put back (or marked erased)."""

    before: dict | None
    after: dict | None
    erased: list[str] = field(default_factory=list)  # columns whose value was erased


def reveal(session: Session, entries: list[AuditEntry]) -> dict[int, Revealed]:
    """Before/after of each entry (by seq) with the values kept outside the chain filled in;
    an erased value reads ``（已刪除 erased）``. For showing values on request only."""
    t = AuditPersonal.__table__
    kept: dict[tuple[int, str, str], Any] = {}
    seqs = [e.seq for e in entries]
    for chunk in _chunks(seqs):
        for r in session.execute(sa.select(t).where(t.c.seq.in_(chunk))):
            kept[(r.seq, r.side, r.column_name)] = r.value
    out = {}
    for e in entries:
        erased: set[str] = set()
        sides = []
        for side, values in zip(SIDES, (e.before, e.after), strict=True):
            if values is None:
                sides.append(None)
                continue
            shown = dict(values)
            for col, value in values.items():
                if is_commitment(value):
                    if (e.seq, side, col) in kept:
                        shown[col] = kept[(e.seq, side, col)]
                    else:
                        shown[col] = ERASED
                        erased.add(col)
            sides.append(shown)
        out[e.seq] = Revealed(sides[0], sides[1], sorted(erased))
    return out


# --- erasure -----------------------------------------------------------------------------------

@dataclass
class ErasePlan:
    """What an erasure removes (or removed) for some rows."""

    targets: list[tuple[str, str]]
    entries: list[int]  # seqs whose personal values are (were) removed
    values: int
    columns: list[str]
    # Entries of these rows written before commitments existed (or before a column was declared
    # personal): their personal values are inside the chain and cannot be erased without
    # re-sealing it.
    in_chain: list[int]
    erasure_seq: int | None = None  # the entry that records the erasure


def audited_tables() -> set[str]:
    """Names of the register tables whose changes are on the audit trail."""
    return {m.local_table.name for m in Base.registry.mappers if getattr(m.class_, "__audited__", True)}


def _model_personal(table: str) -> frozenset[str]:
    if table == ERASE_TABLE:  # erasure entries: their row key names the rows they erased
        return ERASE_PERSONAL
    for m in Base.registry.mappers:
        if m.local_table.name == table:
            return personal_columns(m.class_)
    return frozenset()


def plan_erasure(session: Session, targets: list[tuple[str, str]]) -> ErasePlan:
    """The personal values the audit trail holds for rows ``(table, row key)``; a one-line error
    for a table that is not audited or a row it never recorded."""
    if not targets:
        raise GeziError("未指定資料列 nothing to erase: give --table and --row, or --request")
    known = audited_tables() | {ERASE_TABLE}
    log_t, p_t = AuditEntry.__table__, AuditPersonal.__table__
    entries: list[int] = []
    in_chain: list[int] = []
    for table, key in targets:
        if table not in known:
            raise GeziError(f"未知的資料表 unknown table {table!r}; see `gezi audit log` for table names")
        rows = session.execute(sa.select(log_t).where(log_t.c.table_name == table, log_t.c.row_key == key)
                               .order_by(log_t.c.seq)).all()
        if not rows:
            raise GeziError(f"稽核軌跡中沒有此資料列 no audit entries for {table} row {key!r}")
        personal = _model_personal(table)
        for r in rows:
            entries.append(r.seq)
            # A plain (not committed) value in a personal column: written before the upgrade.
            if any(values and values.get(col) is not None and not is_commitment(values.get(col))
                   for values in (r.before, r.after) for col in personal):
                in_chain.append(r.seq)
    entries = sorted(set(entries))
    kept = []
    for chunk in _chunks(entries):
        kept += session.execute(sa.select(p_t.c.seq, p_t.c.column_name).where(p_t.c.seq.in_(chunk))).all()
    return ErasePlan(targets, sorted({r.seq for r in kept}), len(kept), sorted({r.column_name for r in kept}),
                     sorted(set(in_chain)))


def erasure_reason(reason: str) -> str:
    """An erasure's reason, whitespace folded; a one-line error when it is empty or when gezi's
    recognizers find personal data in it (a name, a phone number): the erasure entry exists to
    record that one person's data was removed, and must not keep it again. Only the entity
    types are named, never the values. What the recognizers miss is still erasable: the reason
    is kept outside the chain (``ERASE_PERSONAL``)."""
    from gezi.pii.analyzer import analyze_text  # loads the recognizers: only when erasing

    reason = " ".join(reason.split())
    if not reason:
        raise GeziError("--reason 不可空白 give the reason or legal basis (e.g. 個資法第11條第3項 特定目的消失)")
    found = sorted({hit[0] for hit in analyze_text(reason)})
    if found:
        raise GeziError(f"刪除理由含個人資料（{'、'.join(found)}），請僅載明理由或法律依據，勿寫入當事人資料 "
                        f"the reason holds personal data ({', '.join(found)}); state the reason or "
                        "legal basis only (e.g. 個資法第11條 當事人請求刪除)")
    return reason


def erase(session: Session, targets: list[tuple[str, str]], reason: str) -> ErasePlan:
    """Erase the personal values (and their salts) the audit trail keeps for these rows and
    record the erasure on the chain: who, when, which rows, entries and columns, and the
    reason or legal basis (checked by ``erasure_reason``, and itself kept outside the chain)
    — never a value. The commitments stay, so the chain still verifies and shows that a value
    was there. Nothing left to erase records nothing."""
    reason = erasure_reason(reason)
    conn = session.connection()
    head_t = AuditHead.__table__
    # Take the chain's lock first, so the plan and the deletion see the same values.
    conn.execute(sa.select(head_t.c.id).where(head_t.c.id == 1).with_for_update())
    plan = plan_erasure(session, targets)
    if not plan.values:
        return plan
    p_t = AuditPersonal.__table__
    for chunk in _chunks(plan.entries):
        conn.execute(p_t.delete().where(p_t.c.seq.in_(chunk)))
    doc = {"reason": reason, "targets": [{"table": t, "row": k} for t, k in targets],
           "entries": plan.entries, "columns": plan.columns, "values": plan.values,
           "in_chain": plan.in_chain}
    first = f"{targets[0][0]}:{targets[0][1]}"
    key = first if len(targets) == 1 else f"{first} +{len(targets) - 1}"
    plan.erasure_seq = _append(conn, session.info.get("actor", "unknown"),
                               [_Change("erase", ERASE_TABLE, key[:200], None, doc, ERASE_PERSONAL)])
    return plan
