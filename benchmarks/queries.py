"""`latest` and `by_tag` latency over a store holding many posts.

Each call goes through `Queries` exactly as a command handler calls it (a
pooled connection, the SQL, rows turned into `Summary` objects); the store is
the one the bot's first start filled (see `memory.py`). `by_tag` asks in turn
for the site's most used tags and for rare ones, which stress different plans.
Beside them, for information: the first `tags()` (every tag with its count,
which autocomplete and `/tags` use, computed once and kept until the indexer
changes posts) and `by_tag` with a misspelt tag (it suggests close ones).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from benchmarks.corpus import Corpus
from benchmarks.report import percentiles
from newsbot import schema
from newsbot.queries import Queries
from newsbot.store import Store


async def measure(store_url: str, corpus: Corpus, calls: int) -> dict[str, Any]:
    store = await Store.open(store_url)
    try:
        queries = Queries(store)
        async with store.engine.connect() as conn:
            p = schema.posts
            live = (await conn.execute(
                select(func.count()).select_from(p).where(p.c.status == "live")
            )).scalar_one()
        tags = corpus.common_tags(5) + corpus.rare_tags(5)
        started = time.perf_counter()
        await queries.tags()
        tags_first = time.perf_counter() - started
        for _ in range(5):  # warm the connection pool and SQLite's page cache
            await queries.latest()
            await queries.by_tag(tags[0])
        latest: list[float] = []
        by_tag: list[float] = []
        found = 0
        misspelt: list[float] = []
        for number in range(calls):
            started = time.perf_counter()
            await queries.latest()
            latest.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = await queries.by_tag(tags[number % len(tags)])
            by_tag.append(time.perf_counter() - started)
            found += bool(result.summaries)
            started = time.perf_counter()
            await queries.by_tag(tags[number % len(tags)][:-1] + "x")
            misspelt.append(time.perf_counter() - started)
    finally:
        await store.close()
    return {
        "posts": live,
        "calls": calls,
        "latest": percentiles(latest, scale=1000, suffix="_ms"),
        "by_tag": percentiles(by_tag, scale=1000, suffix="_ms"),
        "by_tag_answered": found,
        "by_tag_misspelt": percentiles(misspelt, scale=1000, suffix="_ms"),
        "tags_first_call_ms": round(tags_first * 1000, 1),
        "tags": tags,
    }
