"""The one helper that fits text into a platform's length budget.

Adapters declare their limits (`caption_limit = 1024`); they call `fit` to
shorten an excerpt so a payload stays inside them. `length` lets a platform
measure the way it counts (Telegram counts UTF-16 code units).
"""

from __future__ import annotations

from collections.abc import Callable

ELLIPSIS = "…"


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
