"""Tags as people type them, made into tags as the site spells them.

`/tag #BreakingNews`, a Discord option "politics, Breaking News" and a
Telegram `/subscribe politics uk` all go through here: bounded, `#` optional,
compared case-insensitively, and matched to the site's own spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsbot.chat import wording
from newsbot.chat.requests import UsageError

#: a subscription filter holds at most this many tags, each at most TAG_MAX_LEN long
MAX_TAGS = 25
TAG_MAX_LEN = 64
#: unknown tags of a /subscribe that get a "did you mean" note
NOTES_MAX = 3
_HASHTAG_STRIP = re.compile(r"[\W_]+")


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
            raise UsageError(wording.tag_too_long(TAG_MAX_LEN))
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
            if len(out) > MAX_TAGS:
                raise UsageError(wording.too_many_tags(MAX_TAGS))
    return tuple(out)


def split_tags(text: str, known: Iterable[str]) -> list[str]:
    """A typed filter as tags. With commas, the pieces between them ("politics,
    Breaking News"); without, one known tag as typed ("Breaking News"), else words
    ("politics uk")."""
    text = text.strip()
    if "," in text:
        return [piece.strip() for piece in text.split(",") if piece.strip()]
    if normalize_tag(text) in {normalize_tag(tag) for tag in known}:
        return [text]
    return text.split()


class Spellings:
    """The site's tags by every key a person may type them with."""

    def __init__(self, known: Iterable[str]) -> None:
        self._by_key: dict[str, str] = {}
        for tag in known:
            for key in (tag.casefold(), hashtag_key(tag)):
                if key:
                    self._by_key.setdefault(key, tag)

    def find(self, typed: str) -> str | None:
        """The site's spelling of `typed`, or None when no story carries it."""
        return self._by_key.get(normalize_tag(typed)) or self._by_key.get(
            hashtag_key(typed) or "\0"
        )
