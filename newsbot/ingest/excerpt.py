"""Plain text out of what authors write: Markdown, HTML, Liquid and mojibake.

Chat platforms show an excerpt as plain text, so whatever a post's excerpt or
body contains is rendered with markdown-it, stripped of tags, freed of Liquid
template tags, repaired with ftfy and collapsed to single spaces.

`clean_text` is the repair used for every short human-written field (title,
author); `to_text` turns a piece of Markdown into such text; `excerpt_from_body`
picks the part of a body that serves as the excerpt when the front matter has
none.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import ftfy
from markdown_it import MarkdownIt

#: the marker WordPress, Hexo and many Jekyll themes use to end the excerpt
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)

# One shared instance: building a MarkdownIt compiles its rules, which is slow.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# Quotes and full-width forms are the author's choice; only mojibake is fixed.
# HTML entities are handled by the callers, who know whether text is markup.
_FTFY = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, explain=False)

# Blocks whose content is never prose are dropped whole, not just their tags.
_LIQUID_BLOCK_OPEN = re.compile(r"\{%-?\s*(comment|highlight|raw)\b")
_LIQUID_BLOCK_ENDS = {
    name: re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}")
    for name in ("comment", "highlight", "raw")
}
#: Liquid output and tags, removed from prose: (opening, closing)
_LIQUID_SPANS = (("{%", "%}"), ("{{", "}}"))
#: Markdown handed to the renderer for one excerpt, at most: an excerpt is a
#: chat message's worth of text, and rendering is slow on pathological input
SOURCE_MAX = 16_000
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.MULTILINE)

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "noscript"})


def clean_text(text: str) -> str:
    """Repair mojibake and collapse every run of whitespace to one space.

    ftfy is slow, and pure-ASCII text cannot hold mojibake, so it only sees
    text with something beyond ASCII.
    """
    if not text.isascii():
        text = ftfy.fix_text(text, _FTFY)
    elif _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def strip_liquid(text: str) -> str:
    """Remove Liquid tags and output (`{% ... %}`, `{{ ... }}`) and kramdown IALs.

    Written as scans rather than lazy regexes (`\\{%.*?%\\}`): those take
    quadratic time on a body full of unclosed `{%`, which a hostile post can be.
    """
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


def _head(source: str) -> str:
    """At most `SOURCE_MAX` characters of `source`, cut at a space when there is one."""
    if len(source) <= SOURCE_MAX:
        return source
    cut = source.rfind(" ", SOURCE_MAX // 2, SOURCE_MAX)
    return source[: cut if cut > 0 else SOURCE_MAX]


def to_text(markdown: str, *, inline: bool = False) -> str:
    """Render Markdown (and any HTML in it) to clean plain text.

    `inline=True` renders without block syntax, for one-paragraph fields such as
    a front matter excerpt, where `1984. A year…` must not become a list.
    """
    source = _head(strip_liquid(markdown))
    if not source.strip():
        return ""
    rendered = _MD.renderInline(source) if inline else _MD.render(source)
    return clean_text(html_to_text(rendered))


def html_to_text(markup: str) -> str:
    """Tags removed, entities unescaped, block boundaries kept as spaces."""
    if "<" not in markup:
        return html.unescape(markup) if "&" in markup else markup
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def excerpt_from_body(body: str, separator: str = "") -> str:
    """The excerpt of a post without one in its front matter, as plain text.

    The body up to `separator` when given and present, else up to `<!--more-->`,
    else the first paragraph that holds some text (headings, images, code and
    Liquid-only blocks are passed over, unlike Jekyll, because a chat needs prose).
    """
    heads = []  # searched before Liquid is stripped: a separator may look like Liquid
    if separator and separator in body:
        heads.append(body.partition(separator)[0])
    more = MORE_MARKER.search(body)
    if more:
        heads.append(body[: more.start()])
    for head in heads:
        text = to_text(head)
        if text:
            return text
    return first_paragraph(strip_liquid(body))


def first_paragraph(body: str) -> str:
    """Plain text of the first block of the body that is a paragraph of prose."""
    for whole in _chunks(body):
        chunk = _head(whole)
        tokens = _MD.parse(chunk)
        for opener, token in itertools.pairwise(tokens):
            # Headings hold inline tokens too; only paragraphs count as prose.
            if opener.type == "paragraph_open" and token.children is not None:
                rendered = _MD.renderer.render(token.children, _MD.options, {})
                text = clean_text(html_to_text(rendered))
                if text:
                    return text
        # A post written in HTML has no Markdown paragraphs, only HTML blocks.
        if tokens and tokens[0].type == "html_block":
            text = clean_text(html_to_text(chunk))
            if text:
                return text
    return ""


def _chunks(body: str) -> Iterator[str]:
    """Blank-line separated blocks, skipping whole code fences that contain blank lines.

    Parsing block by block keeps the cost of a long post down to its first
    paragraph instead of the whole body.
    """
    in_fence = False
    start = 0
    for match in _BLANK_LINE.finditer(body):
        chunk = body[start : match.start()]
        start = match.end()
        was_in_fence = in_fence
        if len(_FENCE_LINE.findall(chunk)) % 2:
            in_fence = not in_fence
        if not was_in_fence and chunk.strip():
            yield chunk
    chunk = body[start:]
    if not in_fence and chunk.strip():
        yield chunk


class _TextExtractor(HTMLParser):
    """Collects text nodes; entities are unescaped by `convert_charrefs`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
