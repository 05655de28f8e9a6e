"""`latest` and `by_tag` latency with many posts in the store, inside the bot's process.

The probe (`probe.py`) calls `measure` on the running newsroom's own `Queries`
after its restart over the big site, so each call goes exactly the way a
command handler's does (a pooled connection, the SQL, rows turned into
`Summary` objects) in a process holding what the bot holds. `by_tag` asks
in turn for the site's most used tags and for rare ones, which stress
different plans. Beside them, for information: the first `tags()` (every
tag with its count, which autocomplete and `/tags` use; computed once, then
kept until the indexer changes posts) and `by_tag` with a misspelt tag (it
suggests close ones).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select

from benchmarks.report import percentiles
from newsbot.chat.queries import Queries
from newsbot.store import schema

WARM_UP = 5


async def _timed(calls: int, ask: Callable[[int], Awaitable[Any]]) -> list[float]:
    for number in range(WARM_UP):  # warm the connection pool and SQLite's page cache
        await ask(number)
    seconds = []
    for number in range(calls):
        started = time.perf_counter()
        await ask(number)
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure(queries: Queries, tags: list[str], calls: int) -> dict[str, Any]:
    p = schema.posts
    async with queries.store.engine.connect() as conn:
        live = (await conn.execute(
            select(func.count()).select_from(p).where(p.c.status == "live")
        )).scalar_one()
    started = time.perf_counter()
    await queries.tags()
    tags_first = time.perf_counter() - started
    answers: list[bool] = []

    async def by_tag(number: int) -> None:
        answers.append(bool((await queries.by_tag(tags[number % len(tags)])).summaries))

    async def misspelt(number: int) -> None:
        await queries.by_tag(tags[number % len(tags)][:-1] + "x")

    latest = await _timed(calls, lambda number: queries.latest())
    tagged = await _timed(calls, by_tag)
    wrong = await _timed(calls, misspelt)
    return {
        "posts": live,
        "calls": calls,
        "latest": percentiles(latest, scale=1000, suffix="_ms"),
        "by_tag": percentiles(tagged, scale=1000, suffix="_ms"),
        "by_tag_answered": sum(answers[WARM_UP:]),
        "by_tag_misspelt": percentiles(wrong, scale=1000, suffix="_ms"),
        "tags_first_call_ms": round(tags_first * 1000, 1),
        "tags": tags,
    }
