"""A per-incident lease for notify runs, so two runs never send the same incident's notices.

The lease is one row of ``incident_notify_leases`` (holder id, expiry):

* take: in one transaction that first takes an explicit lock (SQLite: ``BEGIN IMMEDIATE``, the
  database write lock; PostgreSQL: the incident's row ``FOR NO KEY UPDATE``), read the lease and
  insert it, take it over when it has expired, or refuse while it is live — a second run waits
  for the lock and then reads the first one's lease;
* renew: ``UPDATE … WHERE holder = me``; no row updated means another run took the lease over
  after ours expired, and this run must stop sending;
* release: ``DELETE … WHERE holder = me``.

Renew and release are single conditional statements, atomic on both databases without a read
before them. Each transaction is short and runs on its own connection, independent of the
caller's session.

Expiry is wall-clock time (UTC) of the host running gezi: hosts sharing one PostgreSQL register
need synchronized clocks (NTP), or a run on a host whose clock is ahead could take over early.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gezi.core.errors import GeziError
from gezi.core.timeutil import as_utc, iso, now_utc
from gezi.privacy.incident_models import Incident, NotifyLease

LEASE_TTL = 120.0  # seconds; renewed before every message, so this only has to outlast one SMTP exchange

_T = NotifyLease.__table__
_I = Incident.__table__


class LeaseHeld(GeziError):
    """Another run holds the incident's lease and it has not expired."""


def new_holder() -> str:
    """A holder id unique to this run (process id for people reading the table, plus random)."""
    return f"pid{os.getpid()}-{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    """A lease this run holds; ``renew`` before each message, ``release`` when done."""

    engine: Engine
    incident_id: int
    holder: str
    ttl: float
    took_over: bool = False  # the previous holder's lease had expired (it died or stalled)
    now: Callable[[], dt.datetime] = field(default=now_utc, repr=False)

    def renew(self) -> bool:
        """Push the expiry forward; False when another run has taken the lease over."""
        t = self.now()
        with self.engine.begin() as conn:
            done = conn.execute(_T.update().where(
                _T.c.incident_id == self.incident_id, _T.c.holder == self.holder).values(
                expires_at=t + dt.timedelta(seconds=self.ttl))).rowcount
        return done == 1

    def release(self) -> None:
        """Give the lease up (only if still ours: a lease taken over stays with its new holder)."""
        with self.engine.begin() as conn:
            conn.execute(_T.delete().where(_T.c.incident_id == self.incident_id,
                                           _T.c.holder == self.holder))


@contextmanager
def _locked(engine: Engine, incident_id: int) -> Iterator[sa.Connection]:
    """A transaction holding the lock that every take of this incident's lease waits for, so a
    take reads the lease and writes it with no other take in between.

    Explicit on each database rather than left to driver defaults: on SQLite ``BEGIN IMMEDIATE``
    takes the database write lock before the read (pysqlite would open a deferred transaction
    only at the first write, leaving the read outside it); on PostgreSQL the incident's row is
    locked ``FOR NO KEY UPDATE`` (the lease row may not exist yet; that mode does not wait for
    the key-share locks that inserting the incident's deliveries and timeline entries takes).
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(sa.select(_I.c.id).where(_I.c.id == incident_id).with_for_update(key_share=True))
        yield conn
        conn.commit()


def acquire(engine: Engine, incident_id: int, *, ttl: float = LEASE_TTL, holder: str | None = None,
            now: Callable[[], dt.datetime] = now_utc, hook: Callable[[], None] | None = None) -> Lease:
    """Take the incident's lease, taking over an expired one; ``LeaseHeld`` while it is live.

    ``hook`` is called between reading the lease and writing it (tests hold a run there to show
    that a second one cannot slip in)."""
    holder = holder or new_holder()
    with _locked(engine, incident_id) as conn:
        t = now()
        values = {"holder": holder, "acquired_at": t, "expires_at": t + dt.timedelta(seconds=ttl)}
        until = conn.scalar(sa.select(_T.c.expires_at).where(_T.c.incident_id == incident_id))
        if hook:
            hook()
        if until is None:
            conn.execute(_T.insert().values(incident_id=incident_id, **values))
        elif as_utc(until) < t:
            conn.execute(_T.update().where(_T.c.incident_id == incident_id).values(**values))
        else:
            raise _held(incident_id, as_utc(until), t)
    return Lease(engine, incident_id, holder, ttl, took_over=until is not None, now=now)


def _held(incident_id: int, until: dt.datetime, t: dt.datetime) -> LeaseHeld:
    """The refusal, saying when the lease ends and what to do: after a run was killed its lease
    blocks a re-run until it expires, and the officer needs to know for how long."""
    wait = max(1, math.ceil((until - t).total_seconds()))
    shown = iso(until.replace(microsecond=0) + dt.timedelta(seconds=bool(until.microsecond)))
    return LeaseHeld(
        f"事故 #{incident_id} 另有寄送程序持有通知寄送租約，至 {shown}（約 {wait} 秒後）到期；該程序仍在"
        "寄送時請待其結束，若已中斷（程序被終止或主機當機），請於到期後重新執行，將接手租約，寄送中之收件人"
        f"列為結果不明、不自動重寄 — another notify run holds the lease of incident {incident_id} until "
        f"{shown} (in {wait} s): if it is still sending, let it finish; if it was killed, run again "
        "after that time to take the lease over (a message it left in 'sending' is held as "
        "uncertain, not resent)")
