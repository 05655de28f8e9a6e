"""Where a Discord destination is, and how a story gets there when it is not a message.

A destination id is a channel id. Text channels, announcement channels and threads
(channels with their own ids) take a story as a message; a forum channel takes it
as a new post: a thread titled with the story's title whose first message is the
story's embed, with the forum's tags that match the story's (opened once per story
even when a send is repeated: `forum_posts.py`). In an announcement
channel whose subscription asks to publish (`/format publish`), the message is then
crossposted to the servers that follow the channel.

The kind of channel comes from discord.py's cache, which the gateway keeps current
(a forum's tags too); a channel it does not hold (the gateway is not connected yet,
an archived thread) is looked up once with `GET /channels/{id}` and remembered for
the adapter's life.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import discord
from discord.http import Route

from newsbot.delivery.fitting import fit
from newsbot.types import Style, Summary
from newsbot_discord.render import message_payload

log = logging.getLogger(__name__)

#: Discord's limits for a forum post: its title, and the tags it may carry
THREAD_NAME_MAX = 100
TAGS_PER_POST = 5
FORUM_TYPES = (discord.ChannelType.forum, discord.ChannelType.media)
#: threads: channels with ids of their own inside a channel (or a forum), whose
#: permissions are their parent's
THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                discord.ChannelType.news_thread)


@dataclass(frozen=True, slots=True)
class Place:
    """What the adapter needs to know about a channel to put a story there."""

    type: discord.ChannelType
    #: a forum's available tags, (id, name)
    tags: tuple[tuple[int, str], ...] = ()
    #: a forum's server (where its active posts are listed)
    guild_id: int = 0

    @property
    def is_forum(self) -> bool:
        return self.type in FORUM_TYPES

    @property
    def can_publish(self) -> bool:
        """An announcement channel: its messages can be crossposted."""
        return self.type == discord.ChannelType.news


def place_of(channel: Any) -> Place:
    """The place of a discord.py channel object (cached or fetched)."""
    if isinstance(channel, discord.ForumChannel):
        return Place(channel.type, tuple((tag.id, tag.name) for tag in channel.available_tags),
                     channel.guild.id)
    return Place(channel.type)


class ChannelCache(Protocol):
    """The gateway's cache of channels: of the servers of the shards running here."""

    def get_channel(self, channel_id: int, /) -> Any: ...


class Places:
    """The kind of each destination: from the gateway's cache, else fetched once."""

    def __init__(self, client: discord.Client, cache: ChannelCache) -> None:
        self._client = client
        self._cache = cache
        self._fetched: dict[int, Place] = {}

    async def find(self, channel_id: int) -> Place:
        """Raises discord.py's HTTP errors (Unknown Channel, Missing Access) as `send`'s."""
        cached = self._cache.get_channel(channel_id)
        if cached is not None:
            return place_of(cached)
        place = self._fetched.get(channel_id)
        if place is None:
            place = self._fetched[channel_id] = place_of(
                await self._client.fetch_channel(channel_id)
            )
        return place


def matching_tags(place: Place, story_tags: Iterable[str]) -> list[str]:
    """Ids of the forum's tags named like the story's tags (any case), in the story's
    order, at most Discord's five."""
    by_name: dict[str, int] = {}
    for tag_id, name in place.tags:
        by_name.setdefault(name.casefold(), tag_id)
    chosen: list[str] = []
    for tag in story_tags:
        if tag.casefold() in by_name and len(chosen) < TAGS_PER_POST:
            chosen.append(str(by_name.pop(tag.casefold())))
    return chosen


def post_title(summary: Summary) -> str:
    """A forum post's title: the story's title on one line, fitted to Discord's 100."""
    title = fit(" ".join(summary.title.split()), THREAD_NAME_MAX)
    return title or summary.url[:THREAD_NAME_MAX]


def forum_post_payload(summary: Summary, place: Place, style: Style) -> dict[str, Any]:
    """The JSON body of `POST /channels/{forum}/threads` for one story.

    The first message is the body `preview` shows without a channel, less `tts`
    (a forum post's message takes no `tts`, nor a `nonce`).
    """
    first = message_payload(summary, None, style)
    del first["tts"]
    payload: dict[str, Any] = {"name": post_title(summary), "message": first}
    tags = matching_tags(place, summary.tags)
    if tags:
        payload["applied_tags"] = tags
    return payload


async def edit_story(
    client: discord.Client, channel_id: int, message_id: int, summary: Summary, style: Style
) -> None:
    """Correct a story's message: its embed, as `send` would post it now. Only the fields
    an edit takes are sent (discord.py's `PartialMessage.edit` adds `tts`, which
    Discord's edit does not know)."""
    first = message_payload(summary, None, style)
    body = {"embeds": first["embeds"], "allowed_mentions": first["allowed_mentions"]}
    await client.http.request(
        Route("PATCH", "/channels/{channel_id}/messages/{message_id}",
              channel_id=channel_id, message_id=message_id),
        json=body,
    )


async def edit_forum_post(
    client: discord.Client, thread_id: int, summary: Summary, style: Style
) -> None:
    """Correct a forum post: its first message (which has the thread's id) and its title."""
    await edit_story(client, thread_id, thread_id, summary, style)
    await client.http.request(Route("PATCH", "/channels/{channel_id}", channel_id=thread_id),
                              json={"name": post_title(summary)})


async def delete_story(
    client: discord.Client, channel_id: int, message_id: int, *, forum: bool
) -> None:
    """Delete a withdrawn story: its message, or in a forum the whole post (the thread,
    whose id is its first message's)."""
    if forum:
        route = Route("DELETE", "/channels/{channel_id}", channel_id=message_id)
    else:
        route = Route("DELETE", "/channels/{channel_id}/messages/{message_id}",
                      channel_id=channel_id, message_id=message_id)
    await client.http.request(route)


async def publish(message: discord.Message, post_id: str) -> None:
    """Crosspost a story just sent to an announcement channel, or say why it was not.

    The story is delivered either way, so nothing here may make the outbox send it
    again. Discord allows 10 crossposts an hour per channel; past that (a 429 longer
    than discord.py waits) the message stays unpublished: publishing it an hour late
    would announce old news to the following servers.
    """
    try:
        await message.publish()
    except discord.RateLimited as exc:
        log.warning(
            "discord: channel %s reached Discord's crosspost limit; %s stays unpublished "
            "(next crosspost possible in %.0f s)", message.channel.id, post_id, exc.retry_after
        )
    except discord.HTTPException as exc:
        log.warning("discord: could not publish %s in channel %s: %s %s (code %s)",
                    post_id, message.channel.id, exc.status, exc.text, exc.code)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        log.warning("discord: could not publish %s in channel %s: %r",
                    post_id, message.channel.id, exc)
