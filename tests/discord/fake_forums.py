"""The fake Discord's forum posts, and the server's active threads they are listed among.

Part of `FakeDiscord` (a mixin, as `fake_places.py`). It serves:

- `POST /channels/{forum}/threads`: a forum post, a public thread opened by the bot
  (its `owner_id`, and a member of it) whose starter message has the thread's id;
  `applied_tags` must be the forum's own tags, and one at least where the forum
  has the REQUIRE_TAG flag (error 40067 otherwise). Scripted failures (`fail(forum, kind)`)
  refuse a post before it is made, or, as `"created+{kind}"`, make it and then fail
  the answer (`created+disconnect`, `created+unavailable`, `created+bad_gateway`): the
  post is in the forum, the client never learns it.
- `GET /guilds/{guild}/threads/active`: the server's threads that are not archived and
  that the bot can see, newest first, each without the `member` field, the bot's thread
  member objects listed apart (Discord's "List Active Guild Threads"); Missing Access
  for a server the bot is not in, and failures scripted with
  `fail(f"{guild}/threads/active", kind)`.

Tests open posts of their own (the bot's from an earlier run, or a member's) with
`forum_post`, and see every post a forum holds, however its answer went, with
`threads_in`.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.discord.answers import ERRORS, bucket_headers, drop_connection, json_response
from tests.discord.objects import (
    APP_ID,
    EMBED_LINKS,
    FORUM_TYPE,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    SEND_IN_THREADS,
    SEND_MESSAGES,
    Channel,
    channel_object,
    message,
    rest_user,
    thread_member,
)

API_PREFIX = "/api/v10"
#: a scripted failure with this prefix comes after the post was made
CREATED = "created+"


class FakeForums:
    """Forum posts and the active threads of each server, for `FakeDiscord`."""

    channels: dict[str, Channel]
    requests: list[Any]
    failures: dict[str, deque[str]]
    messages: dict[str, dict[str, Any]]
    _ids: itertools.count[int]
    guild_ids: Callable[[], list[str]]  # every server the bot is in

    def _forum_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(API_PREFIX + "/channels/{channel}/threads", self._create_thread)
        router.add_get(API_PREFIX + "/guilds/{guild}/threads/active", self._active_threads)

    # -- what tests look at and set up ----------------------------------------------

    def posts(self, forum_id: str) -> list[dict[str, Any]]:
        """Bodies of the forum posts Discord accepted in this forum and said so."""
        path = f"/channels/{forum_id}/threads"
        return [r.body for r in self.requests if r.path == path and r.status == 201]

    def threads_in(self, forum_id: str) -> list[Channel]:
        """Every post the forum holds, oldest first, whatever its answer was."""
        return sorted((c for c in self.channels.values() if c.parent_id == forum_id),
                      key=lambda c: int(c.id))

    def forum_post(self, forum_id: str, name: str, url: str, *, owner: str = APP_ID) -> str:
        """A post someone opened in the forum (the bot unless `owner`), whose starter
        message shows a story linking to `url`; its id."""
        body = {"embeds": [{"title": name, "url": url}]}
        return self._open_post(self.channels[forum_id], name, body, owner)["id"]

    # -- handlers -----------------------------------------------------------------

    def _open_post(self, forum: Channel, name: str, first: dict[str, Any], owner: str
                   ) -> dict[str, Any]:
        thread_id = str(next(self._ids))
        thread = Channel(thread_id, name, forum.bot_permissions | SEND_IN_THREADS,
                         type=PUBLIC_THREAD, parent_id=forum.id, guild_id=forum.guild_id,
                         owner_id=owner, thread_members=[owner])
        self.channels[thread_id] = thread
        author = None if owner == APP_ID else rest_user(owner, "reader")
        starter = message(thread_id, thread_id, first, author=author)
        self.messages[thread_id] = starter
        return {**channel_object(thread), "message": starter}

    async def _create_thread(self, request: web.Request) -> web.StreamResponse:
        forum = self.channels.get(request.match_info["channel"])
        pending = self.failures.get(request.match_info["channel"])
        kind = pending.popleft() if pending else None
        if kind is not None and not kind.startswith(CREATED):
            return _failed(request, kind)
        if forum is None:
            return _failed(request, "unknown_channel")
        if not forum.bot_sees:
            return _failed(request, "missing_access")
        if forum.type != FORUM_TYPE:  # threads in text channels are not served
            raise web.HTTPNotFound()
        if (forum.bot_permissions & (SEND_MESSAGES | EMBED_LINKS)) != SEND_MESSAGES | EMBED_LINKS:
            return _failed(request, "missing_permissions")
        body = await request.json()
        known = {tag_id for tag_id, _ in forum.tags}
        if any(tag not in known for tag in body.get("applied_tags") or []):
            return _failed(request, "unknown_tag")
        if forum.flags & REQUIRE_TAG and not body.get("applied_tags"):
            return _failed(request, "tag_required")
        data = self._open_post(forum, body["name"], body["message"], APP_ID)
        if kind is not None:  # made, but the answer never reaches the client
            return _failed(request, kind.removeprefix(CREATED))
        data["applied_tags"] = body.get("applied_tags") or []
        return json_response(data, status=201, headers=bucket_headers())

    async def _active_threads(self, request: web.Request) -> web.StreamResponse:
        guild_id = request.match_info["guild"]
        pending = self.failures.get(f"{guild_id}/threads/active")
        kind = pending.popleft() if pending else None
        if kind is None and guild_id not in self.guild_ids():
            kind = "missing_access"
        if kind is not None:
            return _failed(request, kind)
        active = sorted(
            (c for c in self.channels.values()
             if c.is_thread and c.guild_id == guild_id and not c.archived and c.bot_sees),
            key=lambda c: int(c.id), reverse=True,
        )
        threads = [{k: v for k, v in channel_object(c).items() if k != "member"}
                   for c in active]
        members = [thread_member(c.id, APP_ID) for c in active if APP_ID in c.thread_members]
        return json_response({"threads": threads, "members": members, "has_more": False},
                             headers=bucket_headers())


def _failed(request: web.Request, kind: str) -> web.StreamResponse:
    """Discord's refusal of that kind (a key of ERRORS), or the connection dropped."""
    if kind == "disconnect":
        return drop_connection(request)
    status, body = ERRORS[kind]
    return json_response(body, status=status)
