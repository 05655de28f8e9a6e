"""The database behind newsbot: opening it, migrating it, a few shared helpers.

`store.url` is the user's plain URL (`sqlite:///newsbot.sqlite3`,
`postgresql://user@host/db`); it is mapped to the async driver here, so moving
to PostgreSQL is a configuration change. Schema changes go through Alembic
revisions, run at start-up, so an upgrade never loses subscriptions.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from newsbot.store import schema

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
#: meta key written at every start: proves the store takes writes before anything else runs
OPENED = "opened_at"
#: meta key given a fresh token by every change to subscriptions, in the same transaction,
#: so whoever keeps them ready for matching (the outbox) knows, in any process, when to
#: read them again
SUBSCRIPTIONS_CHANGED = "subscriptions_changed"
#: rows per INSERT and values per IN clause, well under SQLite's parameter limit
CHUNK = 500
T = TypeVar("T")


class StoreError(Exception):
    """The store cannot be used (unreadable, read-only, disk full); the message says which."""


#: SQLite primary result codes that mean the store cannot be used until a person acts
_SQLITE_TROUBLE = {
    3: "access to the database file is denied",  # SQLITE_PERM
    8: "the database is read-only",  # SQLITE_READONLY
    10: "the database cannot be written or read (is the disk full or failing?)",  # IOERR
    11: "the database file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a SQLite database",  # SQLITE_NOTADB
}
#: PostgreSQL SQLSTATEs with the same meaning
_POSTGRES_TROUBLE = {
    "53100": "the database server's disk is full",
    "53200": "the database server is out of memory",
    "25006": "the database is read-only",
    "XX001": "the database is damaged",
}


def store_trouble(exc: BaseException, url: str) -> StoreError | None:
    """The `StoreError` to stop with when `exc` says the store is unusable (read-only,
    disk full, damaged), naming the store; None for anything else (a busy database,
    a lost connection, a bug), which the caller retries or reports as it would."""
    if isinstance(exc, StoreError):
        return exc
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    what = None
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        what = _SQLITE_TROUBLE.get(code & 0xFF)
    else:
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        what = _POSTGRES_TROUBLE.get(str(state)) if state else None
    if what is None:
        return None
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return StoreError(f"{describe_url(url)}: {what} ({detail}); fix that, then start newsbot "
                      "again: nothing is lost")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`: how every bulk statement is cut."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db_time(value: datetime) -> datetime:
    """An aware datetime as naive UTC for the store."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def from_db_time(value: datetime) -> datetime:
    """A stored naive UTC datetime as an aware one."""
    return value.replace(tzinfo=UTC)


def async_url(url: str) -> str:
    """Map a plain database URL to its asyncio driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def shared_url(url: str) -> bool:
    """Whether the store at `url` is one several workers can share (PostgreSQL)."""
    return make_url(url).get_backend_name() in ("postgresql", "postgres")


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages (a SQLite URL has none: as written)."""
    if url.startswith("sqlite"):
        return url
    return make_url(url).render_as_string(hide_password=True)


class Store:
    """An open database: an async engine plus the helpers every module shares."""

    def __init__(self, engine: AsyncEngine, url: str) -> None:
        self.engine = engine
        self.url = url
        #: for work of one statement at a time, done often (a fan-out's reads of its post
        #: and of pending rows, its group commits, pace reservations): on PostgreSQL each
        #: statement commits on its own, one round trip where BEGIN and COMMIT around it
        #: would make three; SQLite's stays the engine (its transactions cost no round trip)
        self.autocommit = (engine.execution_options(isolation_level="AUTOCOMMIT")
                           if engine.dialect.name == "postgresql" else engine)
        #: bumped by the indexer whenever posts or their labels change, so readers
        #: that keep something derived from them (tag counts) know when it is stale
        self.posts_version = 0

    def posts_changed(self) -> None:
        """Posts or their labels changed (the indexer calls this after writing them)."""
        self.posts_version += 1

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect, create the folder of a SQLite file if needed, migrate, and make sure
        the store can be written (a read-only one is refused now, not at the first story)."""
        parsed = make_url(url)
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and (
            not database.startswith("file:")  # a URI names its file itself
        ):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url(url), **_pool(parsed.get_backend_name()))
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(engine, url)
        try:
            await store.migrate()
            async with engine.begin() as conn:
                await store.set_meta(conn, OPENED, utcnow().isoformat())
        except DBAPIError as exc:
            await engine.dispose()
            trouble = store_trouble(exc, url)
            raise trouble or StoreError(f"{describe_url(url)}: {exc.orig}") from None
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (a no-op when it already is)."""
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # several workers starting at once: one migrates, the others then find
                # the schema current (the lock is held until this transaction ends)
                await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                   {"key": "newsbot:migrate"})
            await conn.run_sync(_upgrade)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: Any) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that supports `on_conflict_do_*` in the current dialect."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def insert_new(
        self, conn: AsyncConnection, table: Any, rows: list[dict[str, Any]],
        key: Sequence[str],
    ) -> None:
        """Insert `rows`, in order, skipping those whose `key` columns exist already."""
        stmt = self.insert(table).on_conflict_do_nothing(index_elements=list(key))
        for chunk in chunks(rows):
            await conn.execute(stmt, chunk)

    async def get_meta(self, conn: AsyncConnection, key: str) -> str | None:
        row = await conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key))
        return row.scalar_one_or_none()

    async def subscriptions_changed(self, conn: AsyncConnection) -> None:
        """Say, inside the transaction that changed them, that subscriptions changed."""
        await self.set_meta(conn, SUBSCRIPTIONS_CHANGED, uuid.uuid4().hex)

    async def set_meta(self, conn: AsyncConnection, key: str, value: str) -> None:
        stmt = self.insert(schema.meta).values(key=key, value=value)
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )


#: PostgreSQL connections a process keeps open, and may open beyond that at a peak: its
#: sends in flight (Telegram's 16, Discord's 8) each use one briefly (reading the story,
#: recording the send), beside the pace, the claims and the heartbeat; fewer would close
#: and reopen one per send, more would let a few workers exhaust the server's
#: `max_connections` (100 by default) at a peak; past the peak a query waits its turn
POOL_SIZE, POOL_OVERFLOW = 16, 4


def _pool(backend: str) -> dict[str, Any]:
    if backend in ("postgresql", "postgres"):
        return {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    return {}


def _upgrade(connection: Connection) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets queries read while the indexer writes; NORMAL sync is durable across
    # process crashes (the failure we promise to survive) and much faster than FULL.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=5000",
    ):
        cursor.execute(pragma)
    cursor.close()
