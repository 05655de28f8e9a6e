"""The neutral vocabulary shared by the core and every adapter.

Nothing here knows about Telegram or Discord: a `Post` is what a site published,
a `Summary` is what a chat is shown, a `Chat` is a destination on some platform,
and a `Subscription` says which stories a chat wants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Post:
    """One story as read from the site, already repaired and resolved.

    `id` is stable across renames (front matter `id`/`permalink`, else the path
    relative to the posts folder); `date` is always timezone-aware.
    """

    id: str
    title: str
    date: datetime
    url: str
    excerpt: str = ""
    author: str = ""
    image_url: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    source: str = ""  # path relative to posts_dir, for messages to people

    @property
    def labels(self) -> tuple[str, ...]:
        """Tags then categories, without case-insensitive duplicates."""
        seen: set[str] = set()
        out: list[str] = []
        for label in (*self.tags, *self.categories):
            key = label.casefold()
            if key not in seen:
                seen.add(key)
                out.append(label)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a chat is shown about one post: every adapter renders this."""

    post_id: str
    title: str
    url: str
    excerpt: str
    image_url: str | None
    date: datetime
    author: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, post: Post) -> Summary:
        return cls(
            post_id=post.id,
            title=post.title,
            url=post.url,
            excerpt=post.excerpt,
            image_url=post.image_url,
            date=post.date,
            author=post.author,
            tags=post.labels,
        )


@dataclass(frozen=True, slots=True)
class Chat:
    """A destination: one chat, group, channel or console on one platform.

    `id` is the platform's identifier as a string (Telegram's are integers,
    Discord's snowflakes; both survive a round trip through text).
    """

    platform: str
    id: str
    title: str = ""

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's wish to receive stories; an empty `tags` means every story."""

    chat: Chat
    tags: tuple[str, ...] = ()
    dead: bool = False
    dead_reason: str = ""

    def matches(self, labels: tuple[str, ...] | list[str]) -> bool:
        """True when a post with these tags and categories belongs in this chat."""
        if not self.tags:
            return True
        wanted = {t.casefold() for t in self.tags}
        return any(label.casefold() in wanted for label in labels)


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    count: int


@dataclass(frozen=True, slots=True)
class TagResult:
    """Answer to `by_tag`: the stories, or close tags when the tag is unknown."""

    tag: str
    summaries: list[Summary] = field(default_factory=list)
    known: bool = True
    suggestions: list[str] = field(default_factory=list)
