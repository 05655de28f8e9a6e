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
class Filters:
    """Words or phrases of which a story must contain one (`keep`), none (`drop`), and
    patterns of which it must match one (`patterns`) and none (`drop_patterns`)."""

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    drop_patterns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keep or self.drop or self.patterns or self.drop_patterns)

    def to_json(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in self.__slots__ if getattr(self, name)}

    @classmethod
    def from_json(cls, data: object) -> Filters:
        if not isinstance(data, dict):
            return cls()
        return cls(**{name: tuple(data.get(name) or ()) for name in cls.__slots__})


#: how a story can look in a chat: today's card (picture, title, excerpt, byline, tags),
#: the linked title and one line of excerpt, or the linked title alone
FORMATS = ("full", "compact", "headline")


@dataclass(frozen=True, slots=True)
class Style:
    """How one delivery goes out: its `format` (one of FORMATS), whether it notifies, and
    whether it is published onward where the platform can (a Discord announcement
    channel's crosspost to the servers following it)."""

    format: str = "full"
    silent: bool = False
    publish: bool = False


#: a destination's own corrections policy (`Subscription.edits`): stories already sent
#: there are edited (and, where the site deletes withdrawn stories, deleted), or left as
#: they were; None follows the site. The site's `delivery.edits = "ignore"` wins over all.
UPDATE, IGNORE = "update", "ignore"
EDITS = (UPDATE, IGNORE)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's wish to receive stories: any of `tags` (empty: every story), none of
    `exclude`, only what `filters` let through (`newsbot.filters` matches them), how
    they look there (`style`), and whether its moderators want stories already sent
    corrected (`edits`: one of EDITS, None to follow the site)."""

    chat: Chat
    tags: tuple[str, ...] = ()
    dead: bool = False
    dead_reason: str = ""
    exclude: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    style: Style = field(default_factory=Style)
    edits: str | None = None

    @property
    def takes_corrections(self) -> bool:
        """Whether edits and deletions of stories already sent may reach it (the site's
        own `delivery` settings permitting)."""
        return self.edits != IGNORE


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
