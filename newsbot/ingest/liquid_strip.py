"""Liquid removed from text, for where it cannot be rendered (or must not be).

Front matter excerpts and markup the Liquid engine refuses (see
`liquid_render.py`) have their Liquid stripped: `{% raw %}`, `{% comment %}`
and `{% highlight %}` blocks go whole, other tags and outputs go, and kramdown's
`{: .class}` attribute lists too. Written as scans rather than lazy regexes
(`\\{%.*?%\\}`): those take quadratic time on a body full of unclosed `{%`,
which a hostile post can be.
"""

from __future__ import annotations

import re

# Blocks whose content is never prose are dropped whole, not just their tags.
_LIQUID_BLOCK_OPEN = re.compile(r"\{%-?\s*(comment|highlight|raw)\b")
_LIQUID_BLOCK_ENDS = {
    name: re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}")
    for name in ("comment", "highlight", "raw")
}
#: Liquid output and tags, removed from prose: (opening, closing)
_LIQUID_SPANS = (("{%", "%}"), ("{{", "}}"))


def strip_liquid(text: str) -> str:
    """Remove Liquid tags and output (`{% ... %}`, `{{ ... }}`) and kramdown IALs."""
    if "{" not in text:
        return text
    text = _strip_liquid_blocks(text)
    text = _strip_spans(text, _LIQUID_SPANS)
    return _strip_spans(text, (("{:", "}"),), stop_at_newline=True)


class _Finder:
    """`text.find(needle, start)` for ever-increasing starts, in linear time overall."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle, self.last = text, needle, -2

    def at_or_after(self, start: int) -> int:
        if self.last == -1 or self.last >= start:
            return self.last  # nothing further on, or the last hit is still ahead
        self.last = self.text.find(self.needle, start)
        return self.last


def _strip_spans(
    text: str, spans: tuple[tuple[str, str], ...], *, stop_at_newline: bool = False
) -> str:
    """Remove each `opening … closing` span, leftmost first (as a lazy regex would)."""
    closers = {close: _Finder(text, close) for _, close in spans}
    newline = _Finder(text, "\n")
    out: list[str] = []
    copied = at = 0
    while (at := text.find("{", at)) >= 0:
        for opening, closing in spans:
            if not text.startswith(opening, at):
                continue
            end = closers[closing].at_or_after(at + len(opening))
            if end < 0:
                continue
            if stop_at_newline and 0 <= newline.at_or_after(at) < end:
                continue
            out.append(text[copied:at])
            copied = at = end + len(closing)
            break
        else:
            at += 1
    out.append(text[copied:])
    return "".join(out)


def _strip_liquid_blocks(text: str) -> str:
    """`{% raw %}…{% endraw %}` (and comment, highlight) replaced by a space."""
    tag_close = _Finder(text, "%}")
    ends: dict[str, tuple[int, re.Match[str] | None]] = {}  # kind → (searched from, hit)
    out: list[str] = []
    copied = at = 0
    while (opener := _LIQUID_BLOCK_OPEN.search(text, at)) is not None:
        close = tag_close.at_or_after(opener.end())
        if close < 0:
            break  # no tag is ever closed after this point
        kind = opener.group(1)
        since, hit = ends.get(kind, (-1, None))
        if since < 0 or (hit is not None and hit.start() < close + 2):
            hit = _LIQUID_BLOCK_ENDS[kind].search(text, close + 2)
            ends[kind] = (close + 2, hit)
        if hit is None:
            at = opener.end()  # never ended: left as text, like the regex did
            continue
        out.append(text[copied : opener.start()])
        out.append(" ")
        copied = at = hit.end()
    out.append(text[copied:])
    return "".join(out)


