"""A story opens one forum post, even when its send is repeated after an unknown outcome.

In a text channel a repeated send is dropped by Discord itself (the fixed `nonce` of
`render.delivery_nonce`); a forum post (`POST /channels/{forum}/threads`) takes no
nonce. So before opening one, the adapter looks for a post it already opened for the
story in that forum and answers with its id (the thread's, which is also its first
message's) instead of posting again. The outbox cannot say whether an earlier attempt
may have succeeded (it counts failures, and a crash mid-send leaves no mark), so the
look comes before every forum post.

How a post is recognised:

- `GET /guilds/{guild}/threads/active` lists the server's active threads (a post just
  opened is active); the candidates are those in this forum (`parent_id`) opened by
  the bot (`owner_id`).
- Read are the bot's newest post there, whatever its title, and any other whose name
  is the story's post title, at most `MAX_CHECKED` in all. A chat's stories go out one
  at a time and in order, so a post whose answer was lost is the bot's newest in that
  forum when its story is tried again, even if a correction changed the title
  meanwhile; same-titled posts cover the rest.
- A candidate is the story's when its first message (`GET /channels/{thread}/messages/
  {thread}`) carries the story's URL in its embed. The URL follows the post's file,
  not its title, so a corrected title or excerpt does not hide the post, while two
  stories with the same title are told apart. A story whose URL an embed cannot carry
  is posted without the look: never recognised, never lost.

The cost: one GET of the list per forum post, and one per post read (usually one: the
newest). All go through the routed client, so within the bot token's global pace.

When the look fails: a 429, a 5xx or a network error goes back to the outbox (as the
post itself would), which tries again later: posting without the look would risk the
very duplicate it exists to prevent, at the moment Discord is least reliable, while
waiting only delays the story. Any other refusal (403: the bot may not read the
forum's history; 404) will not change by waiting, so the story is posted without the
check and the refusal logged: delivery must not hang on a right to read.

What it cannot see: an archived post (one left without activity for the forum's
auto-archive time before the story was tried again) is not active, and a post whose
first message was deleted cannot be confirmed; a repeat then opens a second post,
within the README's bound. Nor a post still being made when the look runs (an attempt
given up on by the client while Discord was still working on it).

discord.py sends a request again itself after a 500, 502, 504 or 524; the forum post
is not (`_answer_once`), so such an answer, too, goes back to the outbox and the next
attempt looks first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, json_or_text

from newsbot.types import Style, Summary
from newsbot_discord.places import Place, forum_post_payload, post_title
from newsbot_discord.render import story_embed

log = logging.getLogger(__name__)

#: the most candidate posts whose first message is read before posting
MAX_CHECKED = 3


async def post_in_forum(
    client: discord.Client, forum_id: int, place: Place, summary: Summary, style: Style
) -> str:
    """Open a forum post for the story, unless the bot already did (see the module);
    the id of its first message (the thread's id)."""
    if client.user is None:
        raise RuntimeError("the Discord client is not logged in")
    found = await existing_post(client.http, place.guild_id, forum_id, client.user.id, summary)
    if found is not None:
        log.info("discord: %s is already posted in forum %s as %s (an earlier answer was "
                 "lost); not posting it again", summary.post_id, forum_id, found)
        return found
    route = Route("POST", "/channels/{channel_id}/threads", channel_id=forum_id)
    data = await client.http.request(route, json=forum_post_payload(summary, place, style),
                                     raise_for_status=_answer_once)
    return str((data.get("message") or data)["id"])


async def existing_post(
    http: HTTPClient, guild_id: int, forum_id: int, bot_id: int, summary: Summary
) -> str | None:
    """The id of the bot's active post in the forum that carries this story, if any.

    Raises discord.py's errors for a 429, a 5xx or the network; logs other refusals
    and answers None (see the module)."""
    url = story_embed(summary).url
    if url is None:
        return None
    try:
        listed = await http.get_active_threads(guild_id)
        for thread_id in candidates(listed["threads"], forum_id, bot_id, post_title(summary)):
            if await _carries(http, thread_id, url):
                return thread_id
    except discord.HTTPException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise
        log.warning("discord: could not look for an earlier post of %s in forum %s (%s %s, "
                    "code %s); posting it without the check", summary.post_id, forum_id,
                    exc.status, exc.text, exc.code)
    return None


def candidates(
    threads: Iterable[Any], forum_id: int, bot_id: int, title: str
) -> list[str]:
    """Ids of the threads to read, in order: the bot's newest post in the forum, then
    its others named `title`, newest first, at most `MAX_CHECKED`."""
    ours = sorted(
        (t for t in threads
         if t.get("parent_id") == str(forum_id) and t.get("owner_id") == str(bot_id)),
        key=lambda t: int(t["id"]), reverse=True,
    )
    chosen = [t["id"] for i, t in enumerate(ours) if i == 0 or t.get("name") == title]
    return chosen[:MAX_CHECKED]


async def _carries(http: HTTPClient, thread_id: str, url: str) -> bool:
    """Whether the thread's first message shows the story with this URL; a first message
    that is gone (10008) or a thread deleted meanwhile (10003) shows nothing."""
    try:
        starter = await http.get_message(thread_id, thread_id)
    except discord.NotFound:
        return False
    return any(embed.get("url") == url for embed in starter.get("embeds") or [])


async def _answer_once(response: aiohttp.ClientResponse) -> None:
    """End a forum post's request at a 5xx answer, as discord.py does for a 503: it would
    send the post again itself after a 500, 502, 504 or 524, though Discord may have
    opened it already."""
    if response.status >= 500:
        raise discord.DiscordServerError(response, await json_or_text(response))
