"""The one helper that fits text into a platform's length budget, and a story's card.

Adapters declare their limits (`caption_limit = 1024`, a `CardLimits`); `fit`
shortens one text, and `fit_card` decides which parts of a story show and how
long each is, so a renderer only adds its markup. `length` lets a platform
measure the way it counts (Telegram counts UTF-16 code units).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from newsbot.types import Summary

ELLIPSIS = "…"
T = TypeVar("T")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram's limits are stated in."""
    return len(text.encode("utf-16-le")) // 2


def fit(
    text: str,
    limit: int,
    *,
    length: Callable[[str], int] = len,
    ellipsis: str = ELLIPSIS,
) -> str:
    """Return `text` unchanged if it fits, else cut on a word boundary plus `ellipsis`.

    The result, ellipsis included, measures at most `limit`. A single word longer
    than the budget is cut inside the word rather than dropped. A limit too small
    for even the ellipsis yields "".
    """
    if length(text) <= limit:
        return text
    budget = limit - length(ellipsis)
    if budget < 0:
        return ""
    # Largest prefix that fits: binary search, since `length` need not be len.
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if length(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    head = text[:lo]
    if lo < len(text) and not text[lo].isspace():
        cut = head.rfind(" ")
        # Keep the word cut only when backing up would throw away most of the text.
        if cut > len(head) // 2:
            head = head[:cut]
    return head.rstrip(" \t\n,;:-–—") + ellipsis


#: how long a story's one line of excerpt may be in a compact format
ONE_LINE = 200
_SENTENCE_END = (". ", "! ", "? ", "。")


def one_line(text: str, limit: int = ONE_LINE, *, length: Callable[[str], int] = len) -> str:
    """The excerpt's first sentence (or as much of its first line as fits in `limit`),
    for formats that show one line of a story."""
    line = text.strip().split("\n", 1)[0].strip()
    ends = [line.find(end) for end in _SENTENCE_END if line.find(end) > 0]
    if ends:
        line = line[: min(ends) + 1]
    return fit(line, limit, length=length)


@dataclass(frozen=True, slots=True)
class CardLimits:
    """How long a platform lets a story card and each of its parts be, in its unit."""

    #: all the card's visible text: its parts and whatever the layout adds around them
    total: int
    title: int
    author: int = 0
    #: the tags, joined
    tags: int = 0
    #: the excerpt's own cap, besides what `total` leaves it
    excerpt: int | None = None
    #: whole tags only, at most this many (None: the joined tags are cut like text)
    tag_count: int | None = None
    #: less room than this leaves the excerpt out: a few words are not worth showing
    excerpt_min: int = 0
    tag_join: str = " · "


@dataclass(frozen=True, slots=True)
class Card:
    """What shows of a story in one format: plain text, for a renderer to mark up."""

    title: str
    format: str = "full"
    excerpt: str = ""
    author: str = ""
    #: the tags, joined with the limits' `tag_join`
    tags: str = ""


def fit_card(
    story: Summary,
    limits: CardLimits,
    story_format: str = "full",
    *,
    length: Callable[[str], int] = len,
    extra: Callable[[Card], int] = lambda card: 0,
) -> Card:
    """The parts of `story` that fit: the title (else its URL) in every format, one line
    of excerpt in `compact`, and in `full` the author, the tags and as much excerpt as
    the rest leaves room for. `extra(card)` measures what the platform's layout adds
    around the parts of that card (line breaks, a date); text is taken as given, so an
    adapter first makes it what its platform will show."""
    title = fit(story.title.strip(), limits.title, length=length) or fit(
        story.url, limits.title, length=length)
    if story_format == "headline":
        return Card(title, story_format)
    if story_format != "full":
        card = Card(title, story_format)
        room = min(ONE_LINE, limits.total - length(title) - extra(card))
        line = one_line(story.excerpt, room, length=length) if room > 0 else ""
        return replace(card, excerpt=line)
    author = fit(story.author.strip(), limits.author, length=length)
    card = Card(title, story_format, "", author, _fit_tags(story.tags, limits, length))
    room = limits.total - sum(map(length, (title, author, card.tags))) - extra(card)
    if limits.excerpt is not None:
        room = min(room, limits.excerpt)
    if room < limits.excerpt_min:
        return card
    return replace(card, excerpt=fit(story.excerpt.strip(), room, length=length))


def _fit_tags(tags: Sequence[str], limits: CardLimits, length: Callable[[str], int]) -> str:
    """The tags joined: as many whole ones as fit, or (without a `tag_count`) cut as text."""
    if limits.tag_count is None:
        return fit(limits.tag_join.join(tags), limits.tags, length=length)
    kept: list[str] = []
    used = 0
    for tag in tags[: limits.tag_count]:
        used += length(tag) + (length(limits.tag_join) if kept else 0)
        if used > limits.tags:
            break
        kept.append(tag)
    return limits.tag_join.join(kept)


def batches(
    items: Iterable[T], size: Callable[[T], int], *, most: int, total: int
) -> Iterator[list[T]]:
    """`items` in order, grouped as a platform takes them in one message: at most `most`
    a group, their `size`s adding up to at most `total` (a larger item goes alone)."""
    batch: list[T] = []
    used = 0
    for item in items:
        if batch and (len(batch) == most or used + size(item) > total):
            yield batch
            batch, used = [], 0
        batch.append(item)
        used += size(item)
    if batch:
        yield batch
