"""The fake Discord's servers and members, as `GET /guilds/{id}` (the roles and the owner)
and `GET /guilds/{id}/members/{id}` (a member's roles and timeout) answer them: what the
moderators' page needs to know a person's rights in a channel.

Part of `FakeDiscord` (a mixin). A member's permissions in a channel then come from
the guild's roles (`objects.guild_object`: @everyone, Moderators with Manage Channels,
Admins with Administrator), its owner and the channel's overwrites: resolved by
discord.py from the gateway's cache, or by the adapter from these answers, as against
the real Discord.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.discord.answers import ERRORS, json_response
from tests.discord.objects import GUILD_ID, guild_object, user

API_PREFIX = "/api/v10"
UNKNOWN_MEMBER = {"message": "Unknown Member", "code": 10007}


class FakeMembers:
    """Members of the fake's one guild, by user id: their role ids (@everyone implied)."""

    failures: dict[str, deque[str]]
    guild_ids: Callable[[], list[str]]  # every server the bot is in

    def _init_members(self) -> None:
        self.members: dict[str, list[str]] = {}
        #: members timed out, until when
        self.timeouts: dict[str, datetime] = {}

    def _member_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(API_PREFIX + "/guilds/{guild}", self._get_guild)
        router.add_get(API_PREFIX + "/guilds/{guild}/members/{user}", self._get_member)

    def _guild_refusal(self, guild_id: str) -> web.Response | None:
        """A failure scripted for this server (`fail(guild_id, kind)`), or Missing Access
        for a server the bot is not in, as Discord answers."""
        pending = self.failures.get(guild_id)
        kind = pending.popleft() if pending else None
        if kind is None and guild_id not in self.guild_ids():
            kind = "missing_access"
        if kind is None:
            return None
        status, body = ERRORS[kind]
        return json_response(body, status=status)

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        refused = self._guild_refusal(guild_id)
        if refused is not None:
            return refused
        data = guild_object(guild_id)
        if request.query.get("with_counts") in ("1", "true", "True"):
            data |= {"approximate_member_count": 3, "approximate_presence_count": 1}
        return json_response(data)

    async def _get_member(self, request: web.Request) -> web.Response:
        guild_id, user_id = request.match_info["guild"], request.match_info["user"]
        refused = self._guild_refusal(guild_id)
        if refused is not None:
            return refused
        roles = self.members.get(user_id)
        if guild_id != GUILD_ID or roles is None:
            return json_response(UNKNOWN_MEMBER, status=404)
        return json_response(member(user_id, roles, self.timeouts.get(user_id)))


def member(user_id: str, roles: list[str], timed_out: datetime | None = None
           ) -> dict[str, Any]:
    """A guild member object (Discord's "Guild Member" resource)."""
    return {
        "user": {**user(user_id, f"member{user_id[-3:]}"), "flags": 0, "primary_guild": None},
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": roles,
        "joined_at": "2026-01-02T00:00:00+00:00",
        "premium_since": None,
        "communication_disabled_until": timed_out and timed_out.isoformat(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }
