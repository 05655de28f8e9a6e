"""Every row of the store, for tests that assert "this changed nothing"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from newsbot.store import schema
from newsbot.store.database import OPENED, Store


async def store_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """All rows of every table, in a stable order (the start-up stamp left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            kept = [tuple(row) for row in rows
                    if not (table is schema.meta and row[0] == OPENED)]
            out[table.name] = sorted(kept, key=repr)
    return out
