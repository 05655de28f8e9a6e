"""The fake Discord's places besides text channels: threads, forums, announcement channels.

Part of `FakeDiscord` (a mixin, so `fake_discord.py` stays readable). It serves:

- `GET /channels/{id}`: the channel object (a thread with its `thread_metadata`, a
  forum with its `available_tags`); Unknown Channel and Missing Access as Discord.
- who may post where (`posting_refusal`): a forum takes no message (40058), a thread
  needs Send Messages in Threads instead of Send Messages, a locked thread refuses
  the bot (160005, or 50083 when it is also archived), and an archived thread that
  is not locked takes the message and wakes up (Discord's "Threads" topic).
- forum posts: see `fake_forums.py`.
- `POST /channels/{id}/messages/{message}/crosspost`: publishing a message of an
  announcement channel to following servers, at most `crossposts_per_hour` per
  channel (Discord's 10), a 429 with the wait beyond that.
- `GET /channels/{id}/messages/{message}`: a message (a forum post's starter has the
  thread's id), Missing Access without Read Message History there;
  `PATCH /channels/{id}/messages/{message}`: editing a message the bot sent (Unknown
  Message, 10008, when it is not there any more, see `delete_message`), and
  `PATCH /channels/{thread}`: renaming a thread (a forum post's title); `DELETE` of
  a message (204) and of a thread (a forum post, answered with the channel).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.discord.answers import (
    CROSSPOSTS_PER_HOUR,
    ERRORS,
    bucket_headers,
    json_response,
    rate_limited,
)
from tests.discord.objects import (
    ANNOUNCEMENT,
    CROSSPOSTED,
    EMBED_LINKS,
    FORUM_TYPE,
    READ_HISTORY,
    SEND_IN_THREADS,
    SEND_MESSAGES,
    Channel,
    channel_object,
)
from tests.rate_limits import FixedWindow

API_PREFIX = "/api/v10"
HOUR = 3600.0


class FakePlaces:
    """Threads, forums and announcement channels for `FakeDiscord`."""

    channels: dict[str, Channel]
    requests: list[Any]
    _ids: itertools.count[int]

    def _init_places(self) -> None:
        #: every message Discord holds, by id (what a crosspost may name)
        self.messages: dict[str, dict[str, Any]] = {}
        self.crossposts_per_hour = CROSSPOSTS_PER_HOUR
        self._crosspost_windows: dict[str, FixedWindow] = defaultdict(
            lambda: FixedWindow(self.crossposts_per_hour, HOUR, time.perf_counter)
        )

    def _place_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(API_PREFIX + "/channels/{channel}", self._get_channel)
        router.add_post(API_PREFIX + "/channels/{channel}/messages/{message}/crosspost",
                        self._crosspost)
        router.add_get(API_PREFIX + "/channels/{channel}/messages/{message}",
                       self._get_message)
        router.add_patch(API_PREFIX + "/channels/{channel}/messages/{message}",
                         self._edit_message)
        router.add_patch(API_PREFIX + "/channels/{channel}", self._edit_channel)
        router.add_delete(API_PREFIX + "/channels/{channel}/messages/{message}",
                          self._delete_message)
        router.add_delete(API_PREFIX + "/channels/{channel}", self._delete_channel)

    # -- what tests look at -----------------------------------------------------

    def crossposts(self, channel_id: str) -> list[tuple[str, int]]:
        """(message id, status) of every crosspost asked for in this channel."""
        prefix = f"/channels/{channel_id}/messages/"
        return [(r.path.split("/")[4], r.status) for r in self.requests
                if r.path.startswith(prefix) and r.path.endswith("/crosspost")]

    def edits(self, channel_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, body) of every message edit Discord accepted in this channel."""
        prefix = f"/channels/{channel_id}/messages/"
        return [(r.path.split("/")[4], r.body) for r in self.requests
                if r.method == "PATCH" and r.path.startswith(prefix) and r.status == 200]

    def messages_in(self, channel_id: str) -> list[str]:
        """Ids of the messages the channel holds, oldest first."""
        return [m["id"] for m in self.messages.values() if m["channel_id"] == channel_id]

    def delete_message(self, message_id: str) -> None:
        """Someone deleted that message: edits of it find nothing any more."""
        self.messages.pop(message_id, None)

    # -- rules --------------------------------------------------------------------

    def posting_refusal(self, channel: Channel | None) -> str | None:
        """Why a message to `channel` is refused (a key of ERRORS), or None."""
        if channel is None:
            return "unknown_channel"
        if not channel.bot_sees:
            return "missing_access"
        if channel.type == FORUM_TYPE:
            return "forum_message"
        send = SEND_IN_THREADS if channel.is_thread else SEND_MESSAGES
        if (channel.bot_permissions & (send | EMBED_LINKS)) != send | EMBED_LINKS:
            return "missing_permissions"
        if channel.locked:
            return "archived_thread" if channel.archived else "thread_locked"
        return None

    def _refused(self, kind: str) -> web.Response:
        status, body = ERRORS[kind]
        return json_response(body, status=status)

    def _keep(self, data: dict[str, Any]) -> dict[str, Any]:
        self.messages[data["id"]] = data
        return data

    # -- handlers -----------------------------------------------------------------

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._refused("unknown_channel")
        if not channel.bot_sees:
            return self._refused("missing_access")
        return json_response(channel_object(channel))

    async def _crosspost(self, request: web.Request) -> web.Response:
        channel_id, message_id = request.match_info["channel"], request.match_info["message"]
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._refused("unknown_channel")
        if not channel.bot_sees:
            return self._refused("missing_access")
        if channel.type != ANNOUNCEMENT:
            return self._refused("wrong_channel_type")
        found = self.messages.get(message_id)
        if found is None or found["channel_id"] != channel_id:
            return self._refused("unknown_message")
        if found["flags"] & CROSSPOSTED:
            return self._refused("already_crossposted")
        window, now = self._crosspost_windows[channel_id], time.perf_counter()
        wait = window.wait(now)
        if wait > 0:
            return rate_limited(wait, bucket_headers(0, wait, self.crossposts_per_hour))
        window.admit(now)
        found["flags"] |= CROSSPOSTED
        headers = bucket_headers(window.limit - window.count, window.reset_after(now),
                                 self.crossposts_per_hour)
        return json_response(found, headers=headers)

    def _message_of(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The message a request names in its channel, or Discord's refusal."""
        channel_id, message_id = request.match_info["channel"], request.match_info["message"]
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._refused("unknown_channel")
        if not channel.bot_sees:
            return self._refused("missing_access")
        found = self.messages.get(message_id)
        if found is None or found["channel_id"] != channel_id:
            return self._refused("unknown_message")
        return found

    async def _get_message(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is not None and not channel.bot_permissions & READ_HISTORY:
            return self._refused("missing_access")  # whether the message is there or not
        found = self._message_of(request)
        if isinstance(found, web.Response):
            return found
        return json_response(found, headers=bucket_headers())

    async def _edit_message(self, request: web.Request) -> web.Response:
        found = self._message_of(request)
        if isinstance(found, web.Response):
            return found
        body = await request.json()
        if "embeds" in body:
            found["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "content" in body:
            found["content"] = body["content"] or ""
        found["edited_timestamp"] = datetime.now(UTC).isoformat()
        return json_response(found, headers=bucket_headers())

    async def _edit_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._refused("unknown_channel")
        if not channel.bot_sees:
            return self._refused("missing_access")
        body = await request.json()
        if "name" in body:
            channel.name = body["name"]
        return json_response(channel_object(channel))

    async def _delete_message(self, request: web.Request) -> web.Response:
        found = self._message_of(request)
        if isinstance(found, web.Response):
            return found
        del self.messages[request.match_info["message"]]
        return web.Response(status=204, headers=bucket_headers())

    async def _delete_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._refused("unknown_channel")
        if not channel.bot_sees:
            return self._refused("missing_access")
        del self.channels[channel.id]
        for message_id in [m["id"] for m in self.messages.values()
                           if m["channel_id"] == channel.id]:
            del self.messages[message_id]
        return json_response(channel_object(channel))
