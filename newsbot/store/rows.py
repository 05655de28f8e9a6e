"""Rows ↔ neutral types: the one place that knows how a `Post` or a `Subscription`
is laid out in the tables, for the writers (ingest, delivery) and the readers (chat)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from newsbot.store.database import from_db_time, to_db_time
from newsbot.types import Chat, Filters, Post, Style, Subscription

#: longest label kept (the column's width)
LABEL_MAX = 256


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


def post_to_row(post: Post, *, status: str, announced: bool, now: datetime) -> dict[str, Any]:
    """The `posts` row for a Post."""
    return {
        "id": post.id, "title": post.title, "url": post.url, "excerpt": post.excerpt,
        "author": post.author, "image_url": post.image_url, "date": to_db_time(post.date),
        "tags": list(post.tags), "categories": list(post.categories), "source": post.source,
        "status": status, "announced": announced, "updated_at": to_db_time(now),
    }


def label_rows(post: Post) -> list[dict[str, Any]]:
    """The `post_labels` rows of a Post: one per tag or category, case-folded."""
    date = to_db_time(post.date)
    return [
        {"post_id": post.id, "label": label.casefold()[:LABEL_MAX],
         "display": label[:LABEL_MAX], "date": date}
        for label in post.labels
    ]


#: what makes an outbox row unique: a post is queued for a destination once
OUTBOX_KEY = ("post_id", "platform", "chat_id")


def outbox_row(post_id: str, chat: Chat, style: Style, now: datetime) -> dict[str, Any]:
    """A pending `outbox` row: `post_id` for `chat`, looking as `style` says."""
    return {
        "post_id": post_id, "platform": chat.platform, "chat_id": chat.id,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
        "format": style.format, "silent": style.silent, "publish": style.publish,
    }


def subscription_from_row(row: Any) -> Subscription:
    """A `subscriptions` row as a Subscription (columns it lacks take their defaults)."""
    return Subscription(
        chat=Chat(row.platform, row.chat_id, getattr(row, "title", "")),
        tags=tuple(row.tags),
        dead=bool(getattr(row, "dead", False)),
        dead_reason=getattr(row, "dead_reason", ""),
        exclude=tuple(getattr(row, "exclude", None) or ()),
        filters=Filters.from_json(getattr(row, "filters", None)),
        style=style_from_row(row),
        edits=getattr(row, "edits", None),
    )


def style_from_row(row: Any) -> Style:
    """The `format`, `silent` and `publish` columns of a subscriptions or outbox row."""
    return Style(getattr(row, "format", None) or "full", bool(getattr(row, "silent", False)),
                 bool(getattr(row, "publish", False)))
