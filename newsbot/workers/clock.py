"""The store's clock: the one every worker measures leases and heartbeats against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.store import utcnow


async def store_now(conn: AsyncConnection) -> datetime:
    """Now on the database server's clock, as the naive UTC datetime the tables hold
    (SQLite runs in this process: its clock is ours)."""
    if conn.dialect.name != "postgresql":
        return utcnow()
    stmt = select(func.timezone("UTC", func.clock_timestamp()))
    value: datetime = (await conn.execute(stmt)).scalar_one()
    return value
