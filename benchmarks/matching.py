"""Matching one new story against many destinations, as the indexer announces it.

A store holds `destinations` Telegram subscriptions, each with a few tags (a
third of them none), a fifth with excluded tags, half with word and phrase
filters and a tenth with patterns. Each sample announces one new post the way
the indexer does, inside a transaction: `matching` is `Outbox.destinations`
(every live subscription asked whether it wants the story), `writing` is the
outbox rows written for those that do; then the transaction is rolled back so
every sample sees the same store. The first sample also reads and prepares
the subscriptions (patterns compiled), which is kept until they change; it is
reported apart.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.report import percentiles
from newsbot.delivery.outbox import Outbox
from newsbot.store import Store, schema, utcnow
from newsbot.store.database import chunks
from newsbot.types import Filters, Post

TAGS = [f"topic{n}" for n in range(60)]
WORDS = ["election", "interest rates", "ukraine", "budget", "storm", "final", "strike",
         "housing", "energy prices", "vaccine", "merger", "court ruling"]
PATTERNS = [r"\b(?:breaking|urgent)\b", r"ru?ble|rouble", r"\d+ (?:jobs|homes)",
            r"^(?:live|watch):", r"(?:prime )?minister \w+"]


def subscription(rng: random.Random, number: int) -> dict[str, Any]:
    now = utcnow()
    tags = rng.sample(TAGS, rng.choice((0, 1, 2, 3))) if number % 3 else []
    exclude = rng.sample(TAGS, 1) if number % 5 == 0 else []
    filters = Filters()
    if number % 2 == 0:
        keep = tuple(rng.sample(WORDS, 2))
        patterns = tuple(rng.sample(PATTERNS, 1)) if number % 10 == 0 else ()
        filters = Filters(keep=keep, drop=("sponsored",), patterns=patterns)
    return {"platform": "telegram", "chat_id": str(-100_000_000 - number), "title": "",
            "tags": tags, "exclude": exclude, "filters": filters.to_json(), "dead": False,
            "dead_reason": "", "created_at": now, "updated_at": now}


def story(rng: random.Random, number: int) -> Post:
    title = f"{rng.choice(['Breaking', 'Live:', 'Update'])} {rng.choice(WORDS)} talks " + (
        f"as {rng.randint(10, 900)} jobs go")
    excerpt = " ".join(rng.choice(WORDS) for _ in range(30))
    return Post(id=f"bench-{number}", title=title, date=datetime.now(UTC), url="https://x.org/",
                excerpt=excerpt, tags=tuple(rng.sample(TAGS, 3)), categories=("News",))


async def measure(workdir: Path, destinations: int, samples: int) -> dict[str, Any]:
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    store = await Store.open(f"sqlite:///{workdir / 'matching.sqlite3'}")
    rng = random.Random(10)
    try:
        rows = [subscription(rng, n) for n in range(destinations)]
        async with store.engine.begin() as conn:
            for chunk in chunks(rows):
                await conn.execute(schema.subscriptions.insert(), chunk)
        outbox = Outbox(store)
        matching: list[float] = []
        writing: list[float] = []
        matched: list[int] = []
        for number in range(samples + 1):
            post = story(rng, number)
            async with store.engine.connect() as conn:
                transaction = await conn.begin()
                started = time.perf_counter()
                wanted = await outbox.destinations(conn, [post], ["telegram"])
                matched_at = time.perf_counter()
                matched.append(await outbox.queue(conn, wanted, utcnow()))
                writing.append(time.perf_counter() - matched_at)
                matching.append(matched_at - started)
                await transaction.rollback()
    finally:
        await store.close()
    return {
        "destinations": destinations,
        "with_patterns": sum(1 for n in range(destinations) if n % 10 == 0),
        "samples": samples,
        "first_ms": round(matching[0] * 1000, 1),
        **percentiles(matching[1:], scale=1000, suffix="_ms"),
        "writing_p50_ms": percentiles(writing[1:], scale=1000)["p50"],
        "matched_mean": round(sum(matched[1:]) / max(1, samples)),
    }
