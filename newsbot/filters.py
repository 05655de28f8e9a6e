"""Which stories a destination wants: tags in and out, words, phrases and patterns.

Shared by the chat commands (which parse and check what a moderator types)
and delivery (which matches every announced story against every destination).
Words and phrases match whole words of a story's title and excerpt, with case
and accents folded (`Café` finds `cafe`). Patterns are regular expressions run
by RE2 (ignoring case, unless a pattern says `(?-i)`), whose time is linear in
the text whatever the pattern, and whose size is bounded here, so no moderator
can stall the bot with a catastrophic one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import re2

from newsbot.types import Filters, Post

#: bounds on what one destination may ask for
MAX_TEXT = 2000
MAX_TERMS = 25
TERM_MAX_LEN = 64
MAX_PATTERNS = 5
PATTERN_MAX_LEN = 200
#: RE2's measure of a compiled pattern's cost: a few words in an alternation are ~30,
#: one Unicode letter class (\pL) ~2,400; matching time grows with it
PATTERN_MAX_PROGRAM = 10_000
#: memory RE2 may use for one pattern's automata
PATTERN_MAX_MEM = 1 << 20

_TOKEN = re.compile(r'-?"[^"]*"?|-?/(?:[^/\\]|\\.)*/?|\S+')
_NOT_WORD = re.compile(r"[\W_]+")


class FilterError(ValueError):
    """A filter that cannot be used; the message is one sentence for the moderator."""


def fold(text: str) -> str:
    """Text as words are compared: accents off, case folded, one space between words,
    and a space at each end, so `" word "` in it means the whole word."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " " + " ".join(_NOT_WORD.sub(" ", bare.casefold()).split()) + " "


def parse_filters(text: str) -> Filters:
    """`ukraine "interest rates" -sponsored /ru?ble/` as Filters, or `FilterError`."""
    if len(text) > MAX_TEXT:
        raise FilterError(f"A filter can be at most {MAX_TEXT} characters long.")
    keep: list[str] = []
    drop: list[str] = []
    patterns: list[str] = []
    drop_patterns: list[str] = []
    for token in _TOKEN.findall(text.strip()):
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        if body.startswith("/") and len(body) > 1:
            if not body.endswith("/") or len(body) < 3:
                raise FilterError(f"The pattern {body} needs a closing /, like /ru?ble/.")
            pattern = body[1:-1]
            compile_pattern(pattern)
            (drop_patterns if negative else patterns).append(pattern)
            continue
        words = fold(body.strip('"')).strip()
        if not words:
            continue
        if len(words) > TERM_MAX_LEN:
            raise FilterError(f"A word or phrase can be at most {TERM_MAX_LEN} characters long.")
        (drop if negative else keep).append(words)
    if len(keep) + len(drop) > MAX_TERMS:
        raise FilterError(f"A filter can hold at most {MAX_TERMS} words and phrases.")
    if len(patterns) + len(drop_patterns) > MAX_PATTERNS:
        raise FilterError(f"A filter can hold at most {MAX_PATTERNS} patterns.")
    return Filters(*(tuple(dict.fromkeys(part)) for part in (keep, drop, patterns,
                                                             drop_patterns)))


def compile_pattern(pattern: str) -> Any:
    """The compiled pattern, or `FilterError` saying in one line why it cannot be used."""
    if len(pattern) > PATTERN_MAX_LEN:
        raise FilterError(f"A pattern can be at most {PATTERN_MAX_LEN} characters long.")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = PATTERN_MAX_MEM
    options.case_sensitive = False  # like words: `/ruble/` finds "Ruble"; (?-i) opts out
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(
            exc.args[0], bytes) else str(exc)
        raise FilterError(f"The pattern /{pattern}/ cannot be used: {reason}.") from None
    if compiled.programsize > PATTERN_MAX_PROGRAM:
        raise FilterError(f"The pattern /{pattern}/ is too complex; make it simpler.")
    return compiled


@dataclass(slots=True)
class Story:
    """One post as matching sees it, worked out once for every destination."""

    labels: frozenset[str]
    words: str  # folded title and excerpt
    text: str  # title and excerpt as written, for patterns

    @classmethod
    def of(cls, post: Post) -> Story:
        text = f"{post.title}\n{post.excerpt}"
        return cls(frozenset(label.casefold() for label in post.labels), fold(text), text)


#: compiled patterns by their text, shared by the destinations prepared together
Compiled = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Wants:
    """A destination's wishes, ready to be asked about story after story (its patterns
    compiled)."""

    tags: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    patterns: tuple[Any, ...] = ()
    drop_patterns: tuple[Any, ...] = ()

    @classmethod
    def of(
        cls,
        tags: Iterable[str],
        exclude: Iterable[str],
        filters: Filters,
        compiled: Compiled | None = None,
    ) -> Wants:
        """`compiled` lets destinations prepared together share their compiled patterns."""
        compiled = {} if compiled is None else compiled
        return cls(
            frozenset(t.casefold() for t in tags),
            frozenset(t.casefold() for t in exclude),
            filters.keep,
            filters.drop,
            _compiled(filters.patterns, compiled),
            _compiled(filters.drop_patterns, compiled),
        )

    def __call__(self, story: Story) -> bool:
        if self.tags and self.tags.isdisjoint(story.labels):
            return False
        if self.exclude and not self.exclude.isdisjoint(story.labels):
            return False
        if any(f" {word} " in story.words for word in self.drop):
            return False
        if any(p.search(story.text) is not None for p in self.drop_patterns):
            return False
        if not (self.keep or self.patterns):
            return True
        return any(f" {word} " in story.words for word in self.keep) or any(
            p.search(story.text) is not None for p in self.patterns)


class _Never:
    """A stored pattern that no longer compiles (a bound was tightened since): it
    matches nothing, so a filter that keeps only its matches lets nothing through."""

    def search(self, text: str) -> None:
        return None


def _compiled(patterns: Iterable[str], compiled: Compiled) -> tuple[Any, ...]:
    for pattern in patterns:
        if pattern not in compiled:
            try:
                compiled[pattern] = compile_pattern(pattern)
            except FilterError:
                compiled[pattern] = _Never()
    return tuple(compiled[pattern] for pattern in patterns)
