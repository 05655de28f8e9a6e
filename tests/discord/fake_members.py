"""The fake Discord's servers and members, as `GET /guilds/{id}` (the roles and the owner)
and `GET /guilds/{id}/members/{id}` (a member's roles and timeout) answer them, and who
is in a thread, as `GET /channels/{thread}/thread-members/{user}` answers it (the thread
member object; Unknown Member, 10007, for anyone not in it): what the moderators' page
needs to know a person's rights in a channel.

Part of `FakeDiscord` (a mixin). A member's permissions in a channel then come from
the guild's roles (`objects.guild_object`: @everyone, Moderators with Manage Channels,
Admins with Administrator), its owner and the channel's overwrites: resolved by
discord.py from the gateway's cache, or by the adapter from these answers, as against
the real Discord. A private thread (`private_thread`) is seen only by its members and
by those who may Manage Threads, as Discord's "Threads" topic says; the bot, whose role
cannot, sees one only as its member.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.discord.answers import ERRORS, json_response
from tests.discord.objects import (
    APP_ID,
    GUILD_ID,
    NEWS,
    PRIVATE,
    PRIVATE_THREAD,
    SEND_IN_THREADS,
    Channel,
    guild_object,
    rest_user,
    thread_member,
)

API_PREFIX = "/api/v10"
UNKNOWN_MEMBER = {"message": "Unknown Member", "code": 10007}


class FakeMembers:
    """Members of the fake's one guild, by user id: their role ids (@everyone implied)."""

    failures: dict[str, deque[str]]
    channels: dict[str, Channel]
    guild_ids: Callable[[], list[str]]  # every server the bot is in

    def _init_members(self) -> None:
        self.members: dict[str, list[str]] = {}
        #: members timed out, until when
        self.timeouts: dict[str, datetime] = {}

    def _member_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(API_PREFIX + "/guilds/{guild}", self._get_guild)
        router.add_get(API_PREFIX + "/guilds/{guild}/members/{user}", self._get_member)
        router.add_get(API_PREFIX + "/channels/{channel}/thread-members/{user}",
                       self._get_thread_member)

    def private_thread(self, members: Iterable[str] = (), *, thread_id: str = PRIVATE,
                       parent: str = NEWS) -> Channel:
        """A private thread in `parent`, started by the bot (so a member, who sees it),
        with these members besides; `thread_members` of the answer is who is in it now.
        Made before the gateway connects, it comes in the server's GUILD_CREATE."""
        thread = Channel(thread_id, "private desk", self.channels[parent].bot_permissions
                         | SEND_IN_THREADS, type=PRIVATE_THREAD, parent_id=parent,
                         owner_id=APP_ID, thread_members=[APP_ID, *members])
        self.channels[thread_id] = thread
        return thread

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

    def _thread_refusal(self, thread_id: str) -> web.Response | None:
        """A failure scripted for the thread's members (`fail(f"{thread}/thread-members",
        kind)`), or Discord's refusal: Unknown Channel, Missing Access when the bot cannot
        see the thread, and a channel that is not a thread (the adapter never asks that;
        Discord's documentation does not say what it answers)."""
        pending = self.failures.get(f"{thread_id}/thread-members")
        kind = pending.popleft() if pending else _refusal(self.channels.get(thread_id))
        if kind is None:
            return None
        status, body = ERRORS[kind]
        return json_response(body, status=status)

    async def _get_thread_member(self, request: web.Request) -> web.Response:
        thread_id, user_id = request.match_info["channel"], request.match_info["user"]
        refused = self._thread_refusal(thread_id)
        if refused is not None:
            return refused
        if user_id not in self.channels[thread_id].thread_members:
            return json_response(UNKNOWN_MEMBER, status=404)
        data = thread_member(thread_id, user_id)
        roles = self.members.get(user_id)
        if request.query.get("with_member") in ("1", "true", "True") and roles is not None:
            data["member"] = member(user_id, roles, self.timeouts.get(user_id))
        return json_response(data)

def _refusal(thread: Channel | None) -> str | None:
    if thread is None:
        return "unknown_channel"
    if not thread.bot_sees:
        return "missing_access"
    if not thread.is_thread:
        return "wrong_channel_type"
    return None


def member(user_id: str, roles: list[str], timed_out: datetime | None = None
           ) -> dict[str, Any]:
    """A guild member object (Discord's "Guild Member" resource)."""
    return {
        "user": rest_user(user_id, f"member{user_id[-3:]}"),
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
