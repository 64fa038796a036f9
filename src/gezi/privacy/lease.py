"""A per-incident lease for notify runs, so two runs never send the same incident's notices.

The lease is one row of ``incident_notify_leases`` (holder id, expiry), taken and renewed with
conditional statements that work alike on SQLite and PostgreSQL:

* take: ``UPDATE … WHERE expires_at < now`` (an expired lease is taken over), else ``INSERT``
  (the primary key on the incident lets only one of two simultaneous runs in);
* renew: ``UPDATE … WHERE holder = me``; no row updated means another run took the lease over
  after ours expired, and this run must stop sending;
* release: ``DELETE … WHERE holder = me``.

On PostgreSQL the conditional ``UPDATE`` locks the row, and a second ``UPDATE`` waiting on it
re-checks the condition after the first commits, so only one run can take over an expired
lease; SQLite serializes writers on the database lock. Each statement runs in its own short
transaction on its own connection, independent of the caller's session.

Expiry is wall-clock time (UTC) of the host running gezi: hosts sharing one PostgreSQL register
need synchronized clocks (NTP), or a run on a host whose clock is ahead could take over early.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gezi.core.errors import GeziError
from gezi.core.timeutil import iso, now_utc
from gezi.privacy.incident_models import NotifyLease

LEASE_TTL = 120.0  # seconds; renewed before every message, so this only has to outlast one SMTP exchange

_T = NotifyLease.__table__


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


def acquire(engine: Engine, incident_id: int, *, ttl: float = LEASE_TTL, holder: str | None = None,
            now: Callable[[], dt.datetime] = now_utc) -> Lease:
    """Take the incident's lease, taking over an expired one; ``LeaseHeld`` while it is live."""
    holder = holder or new_holder()
    t = now()
    values = {"holder": holder, "acquired_at": t, "expires_at": t + dt.timedelta(seconds=ttl)}
    with engine.begin() as conn:
        taken = conn.execute(_T.update().where(_T.c.incident_id == incident_id,
                                               _T.c.expires_at < t).values(**values)).rowcount
    if taken == 1:
        return Lease(engine, incident_id, holder, ttl, took_over=True, now=now)
    try:
        with engine.begin() as conn:
            conn.execute(_T.insert().values(incident_id=incident_id, **values))
    except sa.exc.IntegrityError:
        with engine.connect() as conn:
            until = conn.scalar(sa.select(_T.c.expires_at).where(_T.c.incident_id == incident_id))
        when = iso(until) or "?"  # None: released in between; the caller may simply re-run
        raise LeaseHeld(f"事故 #{incident_id} 另有寄送程序執行中，請待其結束（租約至 {when}）"
                        f" another notify run for incident {incident_id} is in progress "
                        f"(lease until {when})") from None
    return Lease(engine, incident_id, holder, ttl, now=now)
