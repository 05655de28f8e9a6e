"""Plain text out of what authors write: Markdown, HTML, Liquid and mojibake.

Chat platforms show an excerpt as plain text, so whatever a post's excerpt or
body contains is rendered with markdown-it, stripped of tags, repaired with
ftfy and collapsed to single spaces.

`clean_text` is the repair used for every short human-written field (title,
author); `to_text` turns a piece of Markdown into such text; `excerpt_from_body`
picks the part of a body that serves as the excerpt when the front matter has
none: with a separator, exactly as Jekyll's `excerpt.rb` does (the body up to
it, the reference link definitions the head uses, its Liquid blocks closed),
else the first paragraph of prose. The caller hands in how Liquid is treated
(rendered, see `liquid_render.py`, or stripped).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import ftfy
from markdown_it import MarkdownIt

from newsbot.ingest.liquid_strip import strip_liquid

__all__ = ["clean_text", "excerpt_from_body", "html_to_text", "strip_liquid", "to_text"]

#: the marker WordPress, Hexo and many Jekyll themes use to end the excerpt
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)

# One shared instance: building a MarkdownIt compiles its rules, which is slow.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# Only mojibake is fixed: quotes, full-width forms, ligatures and the author's
# Unicode normalization are the author's choice, in every language. HTML entities
# are handled by the callers, who know whether text is markup.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False, uncurl_quotes=False, fix_character_width=False,
    fix_latin_ligatures=False, normalization=None, explain=False,
)
#: Liquid in a piece of Markdown, rendered or stripped (`strip_liquid`)
Liquid = Callable[[str], str]
# Jekyll's excerpt.rb: a reference link definition line, and a Liquid tag's name.
_LINK_DEFINITION = re.compile(r"^ {0,3}(\[[^\]]+\])(:.+)$", re.MULTILINE)
#: reference link definitions looked up for a first paragraph, at most
MAX_DEFINITIONS = 200
_TAG_NAME = re.compile(r"\{%-?\s*(\w+)")
#: Liquid's block tags, closed by Jekyll when the separator falls inside one
_BLOCK_TAGS_LIQUID = frozenset(
    "if unless for case capture comment raw highlight tablerow ifchanged".split()
)
_HIGHLIGHT = re.compile(r"\{%-?\s*(end)?highlight\b[^%]*-?%\}")

#: Markdown handed to the renderer for one excerpt, at most: an excerpt is a
#: chat message's worth of text, and rendering is slow on pathological input
SOURCE_MAX = 16_000
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACES_BUT_IDEOGRAPHIC = re.compile(r"[^\S\u3000]+")
_SPACE_CHARACTERS = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != "\u3000")
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
        if "\u3000" in text:  # the ideographic space is a full-width character, kept
            return _SPACES_BUT_IDEOGRAPHIC.sub(" ", text).strip(_SPACE_CHARACTERS)
    elif _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def _head(source: str) -> str:
    """At most `SOURCE_MAX` characters of `source`, cut at a space when there is one."""
    if len(source) <= SOURCE_MAX:
        return source
    cut = source.rfind(" ", SOURCE_MAX // 2, SOURCE_MAX)
    return source[: cut if cut > 0 else SOURCE_MAX]


def to_text(markdown: str, *, inline: bool = False, liquid: Liquid | None = None) -> str:
    """Render Markdown (and any HTML in it) to clean plain text.

    `inline=True` renders without block syntax, for one-paragraph fields such as
    a front matter excerpt, where `1984. A year…` must not become a list.
    Liquid is stripped unless `liquid` says how to treat it.
    """
    source = _head((liquid or strip_liquid)(markdown))
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


def excerpt_from_body(body: str, separator: str | None = None,
                      liquid: Liquid = strip_liquid) -> str:
    """The excerpt of a post without one in its front matter, as plain text.

    With a `separator`, Jekyll's rule: the body up to its first occurrence (the
    whole body when it is absent), and `""` means no excerpt. Without one, the
    body up to `<!--more-->`, else the first paragraph that holds some text
    (headings, images, code and Liquid-only blocks are passed over, because a
    chat needs prose).
    """
    if separator is not None:
        if not separator:
            return ""
        head = jekyll_excerpt(body, separator)
        return to_text(head, liquid=lambda text: liquid(highlight_as_code(text)))
    definitions = _LINK_DEFINITION.findall(body)[:MAX_DEFINITIONS] if "]:" in body else []
    more = MORE_MARKER.search(body)
    if more:
        text = to_text(with_definitions(body[: more.start()], definitions), liquid=liquid)
        if text:
            return text
    if "{" in body:
        body = liquid(highlight_as_code(_head(body)))
    return first_paragraph(body, definitions)


def jekyll_excerpt(body: str, separator: str) -> str:
    """Jekyll's `extract_excerpt`: the head before `separator`, its open Liquid blocks
    closed, and the tail's reference link definitions that the head uses."""
    head, _, tail = body.partition(separator)
    if not tail:
        return head
    if "{%" in head:
        head = _close_liquid_blocks(head)
    definitions = [label + rest for label, rest in _LINK_DEFINITION.findall(tail)
                   if label in head]
    return head + "\n\n" + "\n".join(definitions) if definitions else head


def _close_liquid_blocks(head: str) -> str:
    names = dict.fromkeys(reversed(_TAG_NAME.findall(head)))  # last occurrence first
    for name in names:
        if name in _BLOCK_TAGS_LIQUID and not re.search(r"\{%-?\s*end" + name, head):
            head += "\n{% end" + name + " %}"
    return head


def with_definitions(chunk: str, definitions: list[tuple[str, str]]) -> str:
    """`chunk` plus those of the body's reference link definitions that it uses."""
    if not definitions or "[" not in chunk:
        return chunk
    used = [label + rest for label, rest in definitions if label in chunk]
    return chunk + "\n\n" + "\n".join(used) if used else chunk


def highlight_as_code(text: str) -> str:
    """`{% highlight x %}…{% endhighlight %}` as a fenced code block, which Jekyll makes it."""
    if "highlight" not in text:
        return text
    return _HIGHLIGHT.sub(lambda m: "\n```\n", text)


def first_paragraph(body: str, definitions: list[tuple[str, str]] | None = None) -> str:
    """Plain text of the first block of the body that is a paragraph of prose
    (reference links resolved with the body's `definitions`)."""
    for whole in _chunks(body):
        chunk = with_definitions(_head(whole), definitions or [])
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
