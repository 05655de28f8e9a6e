"""A neutral `Summary` as a Discord embed, and the exact message body sent for a story.

Discord's embed limits are declared once, on `EmbedLimits`; what of a story
fits them is the core's `fit_card`. A story message is one embed and nothing that can ping:
`allowed_mentions` allows no kind of mention, so `@everyone` in a title stays text.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, ClassVar

import discord

from newsbot.adapter import PLAIN
from newsbot.delivery.fitting import CardLimits, fit_card
from newsbot.types import Style, Summary

#: every message the adapter sends: no @everyone/@here, no user, no role, no reply ping
NO_MENTIONS = discord.AllowedMentions.none()


class EmbedLimits:
    """Discord's documented embed limits, in characters."""

    title: ClassVar[int] = 256
    description: ClassVar[int] = 4096
    footer: ClassVar[int] = 2048
    author: ClassVar[int] = 256
    #: title + description + field names/values + footer + author, over all embeds of a message
    total: ClassVar[int] = 6000
    #: embed and image URLs
    url: ClassVar[int] = 2048
    embeds_per_message: ClassVar[int] = 10
    #: a story's excerpt in a list (`/latest`, `/tag`), where ten share one message
    brief_description: ClassVar[int] = 300
    #: a plain text message (`content`)
    content: ClassVar[int] = 2000
    #: a story's embed: the title, the author's name, the tags in the footer, and the
    #: excerpt as the description, all within the total
    card: ClassVar[CardLimits] = CardLimits(total=total, title=title, author=author,
                                            tags=footer, excerpt=description)
    brief_card: ClassVar[CardLimits] = replace(card, excerpt=brief_description)


def story_embed(
    summary: Summary, style: Style = PLAIN, *, brief: bool = False
) -> discord.Embed:
    """The embed for one story: linked title, excerpt, image, date, author, tags; in the
    compact format the title and one line of excerpt, in the headline format the title.

    `brief` (lists of stories) shortens the excerpt and shows the image as a thumbnail.
    """
    card = fit_card(summary, EmbedLimits.brief_card if brief else EmbedLimits.card,
                    style.format)
    if card.format != "full":
        return discord.Embed(title=card.title, url=_url(summary.url),
                             description=card.excerpt or None)
    embed = discord.Embed(
        title=card.title,
        url=_url(summary.url),
        description=card.excerpt or None,
        timestamp=summary.date,
    )
    if card.author:
        embed.set_author(name=card.author)
    image = _url(summary.image_url)
    if image and brief:
        embed.set_thumbnail(url=image)
    elif image:
        embed.set_image(url=image)
    if card.tags:
        embed.set_footer(text=card.tags)
    return embed


def delivery_nonce(channel_id: str, post_id: str) -> str:
    """The message nonce for one story in one channel, the same on every attempt.

    Sent with `enforce_nonce`, it makes Discord answer a retried send (say, after a
    timeout that hid a success) with the message it already created instead of
    posting the story twice. Digits only, well inside Discord's 25 characters.
    """
    digest = hashlib.sha256(f"{channel_id}/{post_id}".encode()).hexdigest()
    return str(int(digest[:15], 16))


def message_payload(
    summary: Summary, channel_id: str | None = None, style: Style = PLAIN
) -> dict[str, Any]:
    """The JSON body of `POST /channels/{channel_id}/messages` for one story.

    This is what discord.py sends for `send(embed=story_embed(summary, style),
    allowed_mentions=NO_MENTIONS, nonce=delivery_nonce(...), silent=style.silent)`;
    the tests compare it with the wire. Without a channel there is no nonce, and the
    body lacks `nonce` and `enforce_nonce`. A silent story carries the
    SUPPRESS_NOTIFICATIONS flag.
    """
    payload: dict[str, Any] = {
        "content": None,
        "embeds": [story_embed(summary, style).to_dict()],
        "components": [],
    }
    if style.silent:
        payload["flags"] = discord.MessageFlags(suppress_notifications=True).value
    if channel_id is not None:
        payload["nonce"] = delivery_nonce(channel_id, summary.post_id)
        payload["enforce_nonce"] = True
    payload["tts"] = False
    payload["allowed_mentions"] = NO_MENTIONS.to_dict()
    return payload


def _url(url: str | None) -> str | None:
    """A URL Discord accepts in an embed, or None (too long ones are refused outright)."""
    if not url or len(url) > EmbedLimits.url:
        return None
    return url
