"""The read side: what the commands ask of the store (stories, tags, subscriptions).

Nothing here writes. Subscriptions change through `newsbot.store.subscriptions`;
posts only through the indexer.
"""

from __future__ import annotations

import difflib
from datetime import UTC, tzinfo

from sqlalchemy import func, select

from newsbot.chat.tags import TAG_MAX_LEN, hashtag_key, normalize_tag
from newsbot.store import Store, schema
from newsbot.store.rows import post_from_row, subscription_from_row
from newsbot.types import Chat, Subscription, Summary, TagCount, TagResult

DEFAULT_COUNT = 5
MAX_COUNT = 20


def clamp_count(n: int | None) -> int:
    """`n` stories, default 5, at least 1, at most 20."""
    if n is None:
        return DEFAULT_COUNT
    return max(1, min(MAX_COUNT, n))


class Queries:
    """The questions every adapter can ask, over one store."""

    def __init__(self, store: Store, tz: tzinfo = UTC) -> None:
        self.store = store
        self.tz = tz  # dates in answers are shown in the site's time zone
        # Counting every label of a big site takes a while (a third of a second at
        # 100,000 posts) and `tags()` serves autocomplete on every keystroke, so the
        # counts are kept until the store says posts changed.
        self._tag_counts: tuple[int, list[TagCount]] | None = None

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
        version = self.store.posts_version
        cached = self._tag_counts
        if cached is not None and cached[0] == version:
            return list(cached[1])
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        counts = [TagCount(row.display, row.n) for row in rows]
        self._tag_counts = (version, counts)  # stale at once if a write came between
        return list(counts)

    async def complete_tag(self, prefix: str, limit: int = 25) -> list[str]:
        """Known tags starting with (or else containing) `prefix`, for autocomplete."""
        wanted = normalize_tag(prefix)[:TAG_MAX_LEN]
        labels = [t.tag for t in await self.tags()]
        starts = [lb for lb in labels if lb.casefold().startswith(wanted)]
        inside = [lb for lb in labels if wanted in lb.casefold() and lb not in starts]
        return (starts + inside)[:limit]

    async def settings(self, chat: Chat) -> Subscription | None:
        """The chat's subscription, or None when it has none."""
        s = schema.subscriptions
        stmt = select(s).where(s.c.platform == chat.platform, s.c.chat_id == chat.id)
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else subscription_from_row(row)

    async def subscriptions(self, platform: str | None = None) -> list[Subscription]:
        """Every subscription (of one platform), dead ones included."""
        s = schema.subscriptions
        stmt = select(s).order_by(s.c.platform, s.c.chat_id)
        if platform is not None:
            stmt = stmt.where(s.c.platform == platform)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [subscription_from_row(row) for row in rows]


def _close(wanted: str, labels: list[str]) -> list[str]:
    by_key = {label.casefold(): label for label in labels}
    close = difflib.get_close_matches(wanted, list(by_key), n=3, cutoff=0.6)
    if not close and wanted:
        close = [k for k in by_key if k.startswith(wanted[:3])][:3]
    return [by_key[key] for key in close]
