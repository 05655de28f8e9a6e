"""`newsbot status`: the workers of one store, what each holds, and what waits to be sent.

Everything comes from the store, so the report reads the same from any machine
that reaches it, whether a worker runs there or not. It only reads: it never
creates, migrates nor changes a store. Ages and expiries are measured on the
store's clock, the one the workers' leases run on.

A worker is live while its heartbeat is recent (`newsbot.workers.roster`), gone
once it is silent (killed, or cut off) until the roster forgets it; a lease or
a chat claim whose holder is not on the roster at all is listed too, so nothing
held is hidden. On SQLite newsbot is one process with no roster: the report is
then the outbox and the corrections alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from newsbot.delivery.edits import FAILED, PENDING
from newsbot.store import Store, StoreError, schema
from newsbot.store.database import async_url, describe_url
from newsbot.workers.clock import store_now
from newsbot.workers.leases import current_leases
from newsbot.workers.roster import live_workers

LIVE, GONE, UNLISTED = "live", "gone", "unlisted"


@dataclass(frozen=True, slots=True)
class HeldLease:
    name: str
    #: seconds until it expires unless its holder renews it
    expires_in: float


@dataclass(slots=True)
class WorkerState:
    id: str
    #: live, gone (silent), or unlisted (holds something but is not on the roster)
    state: str
    host: str = ""
    pid: int = 0
    started_at: datetime | None = None
    #: seconds since its last heartbeat
    silent_for: float | None = None
    leases: list[HeldLease] = field(default_factory=list)
    #: destinations it sends to now (unexpired chat claims)
    chats: int = 0


@dataclass(slots=True)
class PlatformState:
    platform: str
    #: deliveries waiting, and of those, how many failed before and wait to be tried again
    pending: int = 0
    retrying: int = 0
    edits_pending: int = 0
    edits_failed: int = 0
    subscribed: int = 0
    dead: int = 0


@dataclass(slots=True)
class Report:
    store: str
    #: PostgreSQL: several workers may share it; SQLite: one process
    several: bool
    now: datetime
    workers: list[WorkerState]
    platforms: list[PlatformState]


def read_report(url: str) -> Report:
    """The report of the store at `url`; `StoreError` when it cannot be read. Runs an
    event loop of its own (call it from a thread where one runs already)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        # connecting would create an empty one
        raise StoreError(f"{describe_url(url)}: no store there yet (`newsbot run` creates it)")
    return asyncio.run(gather(url))


async def gather(url: str) -> Report:
    """`read_report` inside a running event loop."""
    shown = describe_url(url)
    engine = create_async_engine(async_url(url))
    try:
        try:
            async with engine.connect():
                pass
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"{shown}: cannot connect ({_detail(exc)})") from None
        try:
            return await _read(Store(engine, url), shown)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"{shown}: cannot read it ({_detail(exc)}); a store of an "
                             "older newsbot is upgraded by `newsbot run`") from None
    finally:
        await engine.dispose()


def _detail(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


async def _read(store: Store, shown: str) -> Report:
    w, c = schema.workers, schema.chat_claims
    async with store.engine.connect() as conn:
        now = await store_now(conn)
        roster = (await conn.execute(select(w).order_by(w.c.started_at, w.c.id))).all()
        claimed = await conn.execute(
            select(c.c.worker_id, func.count()).where(c.c.expires_at >= now)
            .group_by(c.c.worker_id)
        )
        chats = {worker: int(count) for worker, count in claimed.all()}
        platforms = await platform_states(conn)
    live = {worker.id for worker in await live_workers(store)}
    workers = {
        r.id: WorkerState(r.id, LIVE if r.id in live else GONE, r.host, r.pid, r.started_at,
                          max(0.0, (now - r.seen_at).total_seconds()))
        for r in roster
    }
    for lease in await current_leases(store):
        holder = workers.setdefault(lease.holder, WorkerState(lease.holder, UNLISTED))
        holder.leases.append(
            HeldLease(lease.name, max(0.0, (lease.expires_at - now).total_seconds()))
        )
    for worker_id, count in chats.items():
        workers.setdefault(worker_id, WorkerState(worker_id, UNLISTED)).chats = count
    order = {LIVE: 0, GONE: 1, UNLISTED: 2}
    listed = sorted(workers.values(), key=lambda worker: order[worker.state])  # stable
    return Report(shown, store.dialect == "postgresql", now, listed,
                  list(platforms.values()))


async def platform_states(conn: AsyncConnection) -> dict[str, PlatformState]:
    """What waits in the outbox and the corrections, and how many destinations, by
    platform (every platform the store has a row for)."""
    o, e, s = schema.outbox, schema.edits, schema.subscriptions
    found: dict[str, PlatformState] = {}

    def state(platform: str) -> PlatformState:
        return found.setdefault(platform, PlatformState(platform))

    rows = await conn.execute(
        # a pending row with an error was tried and waits for its next attempt
        select(o.c.platform, func.count(), func.count(o.c.last_error))
        .where(o.c.status == "pending").group_by(o.c.platform)
    )
    for platform, pending, retrying in rows.all():
        state(platform).pending, state(platform).retrying = int(pending), int(retrying)
    rows = await conn.execute(
        select(e.c.platform, e.c.status, func.count())
        .where(e.c.status.in_((PENDING, FAILED))).group_by(e.c.platform, e.c.status)
    )
    for platform, status, count in rows.all():
        if status == PENDING:
            state(platform).edits_pending = int(count)
        else:
            state(platform).edits_failed = int(count)
    rows = await conn.execute(
        select(s.c.platform, s.c.dead, func.count()).group_by(s.c.platform, s.c.dead)
    )
    for platform, dead, count in rows.all():
        if dead:
            state(platform).dead = int(count)
        else:
            state(platform).subscribed = int(count)
    return dict(sorted(found.items()))


# -- as a person reads it, and as a program does -------------------------------------


def ago(seconds: float) -> str:
    """A duration as `2h 5m`, `3m 20s` or `4s`."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def as_text(report: Report) -> str:
    mode = "several workers" if report.several else "single process"
    lines = [f"store: {report.store} ({mode})"]
    if not report.several and not report.workers:
        lines.append("workers: one process on SQLite (several workers need PostgreSQL)")
    else:
        count = {s: sum(w.state == s for w in report.workers) for s in (LIVE, GONE)}
        lines.append(f"workers: {count[LIVE]} live, {count[GONE]} gone")
        for worker in report.workers:
            lines += _worker_lines(worker)
    lines += _platform_lines(report.platforms)
    return "\n".join(lines)


def _worker_lines(worker: WorkerState) -> list[str]:
    if worker.state == UNLISTED:
        head = f"  {worker.id} (not on the roster)"
    else:
        beat = ago(worker.silent_for or 0.0)
        head = (f"  {worker.id} ({worker.state}): host {worker.host}, pid {worker.pid}, "
                f"started {_when(worker.started_at)}, last heartbeat {beat} ago")
    lines = [head]
    if worker.leases:
        held = ", ".join(f"{lease.name} (expires in {ago(lease.expires_in)})"
                         for lease in worker.leases)
        lines.append(f"    leases: {held}")
    if worker.chats or worker.state == LIVE:
        lines.append(f"    chats claimed: {worker.chats}")
    return lines


COLUMNS = ("pending", "retrying", "edits pending", "edits failed", "subscribed", "dead")


def _platform_lines(platforms: Iterable[PlatformState]) -> list[str]:
    rows = [(p.platform, p.pending, p.retrying, p.edits_pending, p.edits_failed,
             p.subscribed, p.dead) for p in platforms]
    if not rows:
        return ["outbox: empty (no destination has subscribed yet)"]
    first = max(len("platform"), *(len(row[0]) for row in rows))
    header = "  ".join(["platform".ljust(first), *COLUMNS])
    lines = ["outbox:", f"  {header}"]
    for name, *numbers in rows:
        cells = [str(n).rjust(len(col)) for n, col in zip(numbers, COLUMNS, strict=True)]
        lines.append("  " + "  ".join([name.ljust(first), *cells]))
    return lines


def as_json(report: Report) -> dict[str, Any]:
    """The report for programs (`newsbot status --json`): times in ISO 8601 UTC,
    durations in seconds."""
    return {
        "store": report.store,
        "mode": "several workers" if report.several else "single process",
        "now": report.now.isoformat() + "Z",
        "workers": [
            {"id": w.id, "state": w.state, "host": w.host, "pid": w.pid,
             "started_at": None if w.started_at is None else w.started_at.isoformat() + "Z",
             "silent_for": None if w.silent_for is None else round(w.silent_for, 1),
             "leases": [{"name": lease.name, "expires_in": round(lease.expires_in, 1)}
                        for lease in w.leases],
             "chats_claimed": w.chats}
            for w in report.workers
        ],
        "platforms": {
            p.platform: {"pending": p.pending, "retrying": p.retrying,
                         "edits_pending": p.edits_pending, "edits_failed": p.edits_failed,
                         "subscribed": p.subscribed, "dead": p.dead}
            for p in report.platforms
        },
    }
