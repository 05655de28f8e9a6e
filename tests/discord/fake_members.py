"""The fake Discord's members: who holds which roles, as `GET /guilds/{id}/members/{id}`
answers (what discord.py's `Guild.fetch_member` asks when the moderators' page checks
a person's rights in a channel).

Part of `FakeDiscord` (a mixin). A member's permissions in a channel then come from
the guild's roles (objects.guild: @everyone, Moderators with Manage Channels) and the
channel's overwrites, computed by discord.py itself, as against the real Discord.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.discord.answers import json_response
from tests.discord.objects import GUILD_ID, user

API_PREFIX = "/api/v10"
MODERATORS_ROLE = "1210000000000000001"
UNKNOWN_MEMBER = {"message": "Unknown Member", "code": 10007}


class FakeMembers:
    """Members of the fake's one guild, by user id: their role ids (@everyone implied)."""

    def _init_members(self) -> None:
        self.members: dict[str, list[str]] = {}

    def _member_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(API_PREFIX + "/guilds/{guild}/members/{user}", self._get_member)

    async def _get_member(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        roles = self.members.get(user_id)
        if request.match_info["guild"] != GUILD_ID or roles is None:
            return json_response(UNKNOWN_MEMBER, status=404)
        return json_response(member(user_id, roles))


def member(user_id: str, roles: list[str]) -> dict[str, Any]:
    """A guild member object (Discord's "Guild Member" resource)."""
    return {
        "user": user(user_id, f"member{user_id[-3:]}"),
        "nick": None,
        "roles": roles,
        "joined_at": "2026-01-02T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }
