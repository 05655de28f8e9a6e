"""Safe pieces of HTML for a story's preview on the moderators' page.

An adapter's `preview_html` draws its platform's look (the page's CSS styles it)
from these, so nothing a story holds reaches the page unescaped: text is escaped,
links go only to http(s) addresses and open in a new tab without a referrer, and a
platform's own markup keeps only the tags the platform declares it understands.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any


def text(value: Any) -> str:
    """Escaped text, its line breaks shown."""
    return html.escape(str(value or ""), quote=False).replace("\n", "<br>")


def link_open(url: Any) -> str:
    """The opening `<a>` tag for `url`: a link to an http(s) address, else a bare `<a>`."""
    href = str(url or "")
    if not href.startswith(("http://", "https://")):
        return "<a>"
    return (f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer" '
            'target="_blank">')


def link(url: Any, inner: str) -> str:
    """`inner` (safe HTML) linked to `url`, or left as it is when `url` is not http(s)."""
    opening = link_open(url)
    return inner if opening == "<a>" else f"{opening}{inner}</a>"


def image(url: Any, css_class: str) -> str:
    return f'<img class="{css_class}" src="{html.escape(str(url or ""), quote=True)}" alt="">'


class _Allowed(HTMLParser):
    def __init__(self, tags: Mapping[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = self.tags.get(tag)
        if name == "a":
            self.out.append(link_open(dict(attrs).get("href")))
        elif name:
            self.out.append(f"<{name}>")

    def handle_endtag(self, tag: str) -> None:
        name = self.tags.get(tag)
        if name:
            self.out.append(f"</{name}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def allowed_html(markup: str, tags: Mapping[str, str]) -> str:
    """A platform's markup as browser HTML: each tag in `tags` kept as the tag it maps
    to (links made safe, every other attribute dropped), any other tag left out, the
    text escaped, line breaks shown."""
    parser = _Allowed(tags)
    parser.feed(markup)
    parser.close()
    return "".join(parser.out).replace("\n", "<br>")
