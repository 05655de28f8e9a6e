"""What people can ask the bot, answered once for every platform.

Adapters turn `/latest 3` or a slash command into a call here and render the
neutral answer. Who may call `subscribe`/`unsubscribe` is the adapter's check
(it knows the platform's notion of an admin); what they do is decided here.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections.abc import Iterable, Sequence
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import delete, func, select, update

from newsbot import schema
from newsbot.store import Store, from_db_time, utcnow
from newsbot.types import Chat, Post, Subscription, Summary, TagCount, TagResult

DEFAULT_COUNT = 5
MAX_COUNT = 20
#: a subscription filter holds at most this many tags, each at most TAG_MAX_LEN long
MAX_TAGS = 25
TAG_MAX_LEN = 64
_HASHTAG_STRIP = re.compile(r"[\W_]+")

# Counting every label of a big site takes a while (a third of a second at 100,000
# posts) and `tags()` serves autocomplete on every keystroke, so the counts are kept
# per store until the indexer, the only writer of posts and labels, says they changed.
_generations: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_tag_counts: weakref.WeakKeyDictionary[Store, tuple[int, list[TagCount]]] = (
    weakref.WeakKeyDictionary()
)


def posts_changed(store: Store) -> None:
    """Posts or their labels changed in `store` (the indexer calls this after each commit)."""
    _generations[store] = _generations.get(store, 0) + 1


class UsageError(Exception):
    """A request a person can correct; the message is safe to show them."""


def clamp_count(n: int | None) -> int:
    """`n` stories, default 5, at least 1, at most 20."""
    if n is None:
        return DEFAULT_COUNT
    return max(1, min(MAX_COUNT, n))


def normalize_tag(tag: str) -> str:
    """The form tags are compared in: no leading '#', trimmed, case-folded."""
    return tag.strip().lstrip("#").strip().casefold()


def hashtag_key(tag: str) -> str:
    """Letters and digits only, case-folded: how `#BreakingNews` finds 'Breaking News'."""
    return _HASHTAG_STRIP.sub("", tag).casefold()


def clean_filter(tags: Iterable[str]) -> tuple[str, ...]:
    """Validate a subscription's tag filter: de-duplicated, bounded, display case kept."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lstrip("#").strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LEN:
            raise UsageError(f"A tag can be at most {TAG_MAX_LEN} characters long.")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise UsageError(f"A subscription can filter on at most {MAX_TAGS} tags.")
    return tuple(out)


def post_from_row(row: Any, tz: tzinfo = UTC) -> Post:
    """A `posts` row as a Post, its date shown in `tz` (the site's time zone)."""
    return Post(
        id=row.id,
        title=row.title,
        date=from_db_time(row.date).astimezone(tz),
        url=row.url,
        excerpt=row.excerpt,
        author=row.author,
        image_url=row.image_url,
        tags=tuple(row.tags),
        categories=tuple(row.categories),
        source=row.source,
    )


def _subscription_from_row(row: Any) -> Subscription:
    return Subscription(
        chat=Chat(row.platform, row.chat_id, row.title),
        tags=tuple(row.tags),
        dead=bool(row.dead),
        dead_reason=row.dead_reason,
    )


class Queries:
    """The questions every adapter can ask, over one store."""

    def __init__(self, store: Store, tz: tzinfo = UTC) -> None:
        self.store = store
        self.tz = tz  # dates in answers are shown in the site's time zone

    async def latest(self, n: int | None = None) -> list[Summary]:
        """The newest live stories, newest first."""
        p = schema.posts
        stmt = (
            select(p)
            .where(p.c.status == "live")
            .order_by(p.c.date.desc(), p.c.id)
            .limit(clamp_count(n))
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [Summary.of(post_from_row(row, self.tz)) for row in rows]

    async def by_tag(self, tag: str, n: int | None = None) -> TagResult:
        """Newest live stories with this tag or category (case-insensitive, '#' optional).

        An unknown tag yields `known=False` and up to three close known tags.
        """
        shown = tag.strip()[:TAG_MAX_LEN]
        wanted = normalize_tag(shown)
        summaries = await self._tagged(wanted, n)
        if summaries:
            return TagResult(tag=shown, summaries=summaries)
        # Rare path: '#BreakingNews' is how Telegram users write 'Breaking News'.
        labels = [t.tag for t in await self.tags()]
        compact = hashtag_key(wanted)
        match = next((lb for lb in labels if compact and hashtag_key(lb) == compact), None)
        if match is None:
            return TagResult(tag=shown, known=False, suggestions=_close(wanted, labels))
        return TagResult(tag=shown, summaries=await self._tagged(match.casefold(), n))

    async def _tagged(self, label: str, n: int | None) -> list[Summary]:
        p, lab = schema.posts, schema.post_labels
        # Ordered by the label's copy of the date: SQLite walks the tag's index entries
        # newest first and stops after n live posts, instead of sorting all of them.
        stmt = (
            select(p)
            .select_from(lab.join(p, lab.c.post_id == p.c.id))
            .where(lab.c.label == label, p.c.status == "live")
            .order_by(lab.c.date.desc(), lab.c.post_id)
            .limit(clamp_count(n))
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [Summary.of(post_from_row(row, self.tz)) for row in rows]

    async def tags(self) -> list[TagCount]:
        """Every tag and category of live stories with its story count, most used first."""
        p, lab = schema.posts, schema.post_labels
        count = func.count().label("n")
        stmt = (
            select(lab.c.label, func.min(lab.c.display).label("display"), count)
            .join(p, p.c.id == lab.c.post_id)
            .where(p.c.status == "live")
            .group_by(lab.c.label)
            .order_by(count.desc(), lab.c.label)
        )
        generation = _generations.get(self.store, 0)
        cached = _tag_counts.get(self.store)
        if cached is not None and cached[0] == generation:
            return list(cached[1])
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        counts = [TagCount(row.display, row.n) for row in rows]
        _tag_counts[self.store] = (generation, counts)  # stale at once if a write came between
        return list(counts)

    async def complete_tag(self, prefix: str, limit: int = 25) -> list[str]:
        """Known tags starting with (or else containing) `prefix`, for autocomplete."""
        wanted = normalize_tag(prefix)[:TAG_MAX_LEN]
        labels = [t.tag for t in await self.tags()]
        starts = [lb for lb in labels if lb.casefold().startswith(wanted)]
        inside = [lb for lb in labels if wanted in lb.casefold() and lb not in starts]
        return (starts + inside)[:limit]

    async def subscribe(self, chat: Chat, tags: Sequence[str] = ()) -> Subscription:
        """Subscribe `chat` (or change its filter); revives a chat marked dead."""
        wanted = clean_filter(tags)
        now = utcnow()
        s = schema.subscriptions
        stmt = self.store.insert(s).values(
            platform=chat.platform,
            chat_id=chat.id,
            title=chat.title,
            tags=list(wanted),
            dead=False,
            dead_reason="",
            created_at=now,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "chat_id"],
            set_={
                "tags": list(wanted),
                "title": chat.title,
                "dead": False,
                "dead_reason": "",
                "updated_at": now,
            },
        )
        async with self.store.engine.begin() as conn:
            await conn.execute(stmt)
        return Subscription(chat=chat, tags=wanted)

    async def unsubscribe(self, chat: Chat) -> bool:
        """Remove the chat's subscription and its undelivered stories; False if it had none."""
        s, o = schema.subscriptions, schema.outbox
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                delete(s).where(s.c.platform == chat.platform, s.c.chat_id == chat.id)
            )
            await conn.execute(
                update(o)
                .where(o.c.platform == chat.platform, o.c.chat_id == chat.id)
                .where(o.c.status == "pending")
                .values(status="dropped", last_error="unsubscribed")
            )
        return bool(result.rowcount)

    async def settings(self, chat: Chat) -> Subscription | None:
        """The chat's subscription, or None when it has none."""
        s = schema.subscriptions
        stmt = select(s).where(s.c.platform == chat.platform, s.c.chat_id == chat.id)
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else _subscription_from_row(row)

    async def subscriptions(self, platform: str | None = None) -> list[Subscription]:
        """Every subscription (of one platform), dead ones included."""
        s = schema.subscriptions
        stmt = select(s).order_by(s.c.platform, s.c.chat_id)
        if platform is not None:
            stmt = stmt.where(s.c.platform == platform)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [_subscription_from_row(row) for row in rows]


def _close(wanted: str, labels: list[str]) -> list[str]:
    by_key = {label.casefold(): label for label in labels}
    close = difflib.get_close_matches(wanted, list(by_key), n=3, cutoff=0.6)
    if not close and wanted:
        close = [k for k in by_key if k.startswith(wanted[:3])][:3]
    return [by_key[key] for key in close]
