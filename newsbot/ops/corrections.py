"""What `newsbot check` says of the store's corrections (edit and deletion jobs): how many
wait, how many failed and why, read without creating or migrating anything."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from newsbot.delivery.edits import failed_jobs, job_counts
from newsbot.store.database import async_url


def describe_corrections(url: str) -> list[str]:
    """What `check` says of the store's corrections (edit and deletion jobs): how many
    wait, how many failed and why. Nothing when there is no store yet or it predates
    them: `check` never creates nor migrates a store."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return []
    # in a thread of its own: `check` may be called where an event loop already runs
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _corrections(url)).result()


async def _corrections(url: str) -> list[str]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            counts = await job_counts(conn)
            failed = await failed_jobs(conn)
    except (SQLAlchemyError, OSError):
        return []  # no such table (an older store), or no store to reach
    finally:
        await engine.dispose()
    states = ("pending", "failed", "gone", "done", "skipped")
    lines = ["corrections: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in states)]
    for row in failed:
        lines.append(f"  {row.action} failed: {row.platform}:{row.chat_id} message "
                     f"{row.message_id} ({row.post_id}): {row.last_error}")
    return lines
