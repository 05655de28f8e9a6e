"""Neutral summaries as Telegram HTML: the story message and the compact lists.

Everything that comes from a post is escaped, so a title like `<b>x</b> & y`
shows those characters and can never break Telegram's parser. Telegram counts
its limits in UTF-16 code units of the text *after* entity parsing, so lengths
here are measured on the visible text, never on the markup.

A story pings nobody: Telegram would turn an `@name` in it into a mention that
notifies that person in a group, so an invisible word joiner follows each such `@`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from newsbot.adapter import PLAIN
from newsbot.chat.requests import Reply
from newsbot.chat.wording import fit_items
from newsbot.delivery.fitting import Card, CardLimits, fit, fit_card, utf16_len
from newsbot.types import Style, Summary

PARSE_MODE = "HTML"
#: a story card's parts (`total` is the message's limit): a title longer than 256 is
#: absurd; hashtags are added whole, at most ten and 200 in all; below 16 an excerpt is
#: not worth showing
CARD = CardLimits(total=4096, title=256, author=64, tags=200, tag_count=10, excerpt_min=16,
                  tag_join=" ")
LIST_TITLE_MAX = 120

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_NOT_HASHTAG = re.compile(r"[\W_]+")
#: an `@` that Telegram would read as the start of a mention
_MENTION = re.compile(r"(?<!\w)@(?=\w)")
WORD_JOINER = "\u2060"
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True, slots=True)
class Payload:
    """One Bot API call without its chat: `method` and the parameters sent with it."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"method": self.method, "params": self.params}, ensure_ascii=False,
                          indent=2)


def escape(text: str) -> str:
    """Text for HTML content: only `<`, `>` and `&` need escaping there."""
    return html.escape(text, quote=False)


def link(url: str, text: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{escape(text)}</a>'


def long_date(value: datetime) -> str:
    """`31 January 2026`, independent of the process locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def short_date(value: datetime) -> str:
    """`31 Jan 2026`."""
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}"


def hashtags(labels: Iterable[str]) -> list[str]:
    """`#news` for each tag or category: letters and digits only, no duplicates."""
    seen: set[str] = set()
    out: list[str] = []
    for label in labels:
        word = _NOT_HASHTAG.sub("", label)
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            out.append("#" + word)
    return out


def unmention(text: str) -> str:
    """`text` as shown, with no `@name` Telegram would make a notifying mention of."""
    return _MENTION.sub("@" + WORD_JOINER, text) if "@" in text else text


def _title(summary: Summary, limit: int = CARD.title) -> str:
    title = unmention(" ".join(summary.title.split())) or summary.url
    return fit(title, limit, length=utf16_len)


def card(summary: Summary, story_format: str, limit: int) -> Card:
    """What of the story fits in `limit` UTF-16 units of visible text, as laid out by
    `story_html` (title, excerpt, date and author, hashtags) or `brief_html`."""
    shown = replace(
        summary,
        title=unmention(" ".join(summary.title.split())),
        author=unmention(" ".join(summary.author.split())),
        excerpt=unmention(_BLANK_LINES.sub("\n\n", summary.excerpt.strip())),
        tags=tuple(hashtags(summary.tags)),
    )

    def extra(parts: Card) -> int:
        if parts.format != "full":
            return 1  # title \n line
        # title \n\n [excerpt \n\n] date [ · author] [\n tags]
        date = utf16_len(long_date(summary.date)) + (3 if parts.author else 0)
        return 2 + date + (1 if parts.tags else 0) + 2

    return fit_card(shown, replace(CARD, total=limit), story_format, length=utf16_len,
                    extra=extra)


def story_html(summary: Summary, limit: int) -> str:
    """The story as HTML whose visible text measures at most `limit` UTF-16 units.

    Title (bold, linked), excerpt, date and author, hashtags; only the excerpt
    gives way to the limit (title, author and hashtags are capped on their own).
    """
    fitted = card(summary, "full", limit)
    byline = long_date(summary.date) + (f" · {fitted.author}" if fitted.author else "")
    parts = [f"<b>{link(summary.url, fitted.title)}</b>"]
    if fitted.excerpt:
        parts.append(escape(fitted.excerpt))
    tail = f"<i>{escape(byline)}</i>"
    if fitted.tags:
        tail += "\n" + escape(fitted.tags)
    parts.append(tail)
    return "\n\n".join(parts)


def story_payload(
    summary: Summary, style: Style = PLAIN, *, caption_limit: int, text_limit: int
) -> Payload:
    """`sendPhoto` with an HTML caption for a full card with a picture, else `sendMessage`."""
    if style.format != "full" or not summary.image_url:
        return text_payload(summary, text_limit, style)
    return Payload("sendPhoto", quiet(style, {
        "photo": summary.image_url,
        "caption": story_html(summary, caption_limit),
        "parse_mode": PARSE_MODE,
    }))


def text_payload(summary: Summary, text_limit: int, style: Style = PLAIN) -> Payload:
    """The story as a text message; also the fallback when Telegram refuses the picture.
    Compact and headline formats show no link preview (no picture, as they promise)."""
    if style.format == "full":
        params: dict[str, Any] = {"text": story_html(summary, text_limit)}
    else:
        params = {"text": brief_html(summary, style.format, text_limit),
                  "link_preview_options": {"is_disabled": True}}
    return Payload("sendMessage", quiet(style, {**params, "parse_mode": PARSE_MODE}))


def brief_html(summary: Summary, story_format: str, limit: int) -> str:
    """The linked title in bold, and for `compact` the excerpt's first line under it."""
    fitted = card(summary, story_format, limit)
    head = f"<b>{link(summary.url, fitted.title)}</b>"
    return f"{head}\n{escape(fitted.excerpt)}" if fitted.excerpt else head


def quiet(style: Style, params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "disable_notification": True} if style.silent else params


def plain_story(summary: Summary, limit: int, style: Style = PLAIN) -> str:
    """Last resort when Telegram refuses our HTML: no markup at all, title and link first."""
    if style.format != "full":
        return f"{_title(summary)}\n{summary.url}"
    head = f"{_title(summary)}\n{summary.url}\n\n"
    rest = f"{unmention(summary.excerpt.strip())}\n\n{long_date(summary.date)}".strip()
    return head + fit(rest, max(0, limit - utf16_len(head)), length=utf16_len)


def story_list(heading: str, summaries: Sequence[Summary], limit: int) -> str:
    """`/latest` and `/tag`: one line per story (linked title, date), in the given order."""
    lines = [f"<b>{escape(heading)}</b>", ""]
    used = utf16_len(heading) + 1
    for summary in summaries:
        title = _title(summary, LIST_TITLE_MAX)
        visible = f"• {title} — {short_date(summary.date)}"
        if used + 1 + utf16_len(visible) > limit:
            break
        used += 1 + utf16_len(visible)
        lines.append(f"• {link(summary.url, title)} — {short_date(summary.date)}")
    return "\n".join(lines)


def reply_html(reply: Reply, limit: int) -> str:
    """A desk reply as one HTML message: a story list, a list of items, or text."""
    if reply.stories:
        return story_list(reply.heading, reply.stories, limit)
    if reply.items:
        budget = limit - utf16_len(reply.heading) - 2
        items = fit_items(reply.items, budget, utf16_len)
        return "\n".join([f"<b>{escape(reply.heading)}</b>", "", *map(escape, items)])
    return escape(fit(reply.text, limit, length=utf16_len))
