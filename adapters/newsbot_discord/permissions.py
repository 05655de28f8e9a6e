"""Who may moderate a Discord channel: a member's permissions there, as Discord resolves
them now (Manage Channels or Administrator make a moderator).

discord.py resolves permissions (`channel.permissions_for(member)`) from its gateway
cache: the server's roles and owner, the channel's overwrites. That is used when
this worker runs the gateway shard of the channel's server (`shards.py`); only the
member is asked for. A worker that runs another shard, or none, has no such cache,
and discord.py's stand-in for an unknown server has neither roles nor owner, so
every member would seem to have no rights there. Then Discord is asked, now, with
discord.py's REST client: the channel (`GET /channels/{id}`, and its parent for a
thread), the server (`GET /guilds/{id}`: roles and `owner_id`) and the member
(`GET /guilds/{id}/members/{user}`: role ids and timeout), resolved as Discord's
"Permissions" topic documents it (`member_permissions`).

A private thread is seen only by its members and by those who may Manage Threads
(Administrators among them), whatever the parent grants (Discord's "Threads" topic);
neither discord.py's `Thread.permissions_for` nor the parent's overwrites know that.
`private_thread_permissions` decides it for both ways of resolving, asking Discord
whether the member is in the thread (`GET /channels/{thread}/thread-members/{user}`):
the gateway tells of other people joining a thread only with the privileged Server
Members intent, which the bot does not ask for, and never of those who joined before
it connected.

Nothing is cached: a role taken away must count at the next look (the moderators'
page asks at every view and every change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import discord
from discord.http import HTTPClient

from newsbot_discord.places import THREAD_TYPES

#: the overwrite types of Discord's permission overwrite object
ROLE_OVERWRITE, MEMBER_OVERWRITE = 0, 1
#: what a timed-out member keeps (Discord's "Permissions for Timed Out Members")
KEPT_IN_TIMEOUT = discord.Permissions(view_channel=True, read_message_history=True)
#: Discord's error code for a user who is not a member (of the server, or of a thread)
UNKNOWN_MEMBER = 10007

Data = Mapping[str, Any]


async def may_moderate(http: HTTPClient, cached: Callable[[int], Any], user_id: int,
                       channel_id: int) -> bool | None:
    """Whether the member may Manage Channels (or is an Administrator) in the channel,
    now; None when Discord cannot tell at the moment. `cached` looks a channel up in
    this worker's gateway caches (`Shards.get_channel`)."""
    try:
        perms = await permissions_now(http, cached, user_id, channel_id)
    except (discord.NotFound, discord.Forbidden):  # Unknown Member/Channel, Missing Access
        return False
    except discord.HTTPException:
        return None
    return perms.administrator or perms.manage_channels


async def permissions_now(http: HTTPClient, cached: Callable[[int], Any], user_id: int,
                          channel_id: int) -> discord.Permissions:
    """From the gateway's cache when this worker runs the shard of the channel's server
    (and a private thread's membership, which discord.py's `Thread.permissions_for`
    ignores); else from REST alone: the shard may run on another worker."""
    channel = cached(channel_id)
    if isinstance(channel, discord.abc.GuildChannel) or (
            isinstance(channel, discord.Thread) and channel.parent is not None):
        member = await channel.guild.fetch_member(user_id)
        granted = channel.permissions_for(member)
        if channel.type is discord.ChannelType.private_thread:
            return await private_thread_permissions(http, channel_id, user_id, granted)
        return granted
    return await member_permissions(http, user_id, channel_id)


async def member_permissions(http: HTTPClient, user_id: int, channel_id: int
                             ) -> discord.Permissions:
    """The member's permissions in the channel (or thread) as Discord resolves them now:
    a thread's are its parent's, and none in a private thread the member cannot see.
    Raises `discord.NotFound` (Unknown Channel, Unknown Member), `discord.Forbidden`
    (Missing Access: the bot cannot see the channel) and other `discord.HTTPException`s;
    a channel outside any server (a DM) gives no permissions."""
    channel: Data = await http.get_channel(channel_id)
    guild_id = channel.get("guild_id")
    if guild_id is None:
        return discord.Permissions.none()
    kind = discord.enums.try_enum(discord.ChannelType, channel["type"])
    parent: Awaitable[Data] | None = None
    # a thread takes its parent channel's permissions (it has no overwrites of its own)
    if kind in THREAD_TYPES:
        parent = http.get_channel(channel["parent_id"])
    # the member first: Unknown Member is the answer that matters when both fail
    member, guild, *above = await _all(http.get_member(guild_id, user_id),
                                       http.get_guild(guild_id, with_counts=False),
                                       *([parent] if parent is not None else []))
    granted = permissions_in(above[0] if above else channel, guild, member)
    if kind is discord.ChannelType.private_thread:
        return await private_thread_permissions(http, channel_id, user_id, granted)
    return granted


async def private_thread_permissions(http: HTTPClient, thread_id: int, user_id: int,
                                     granted: discord.Permissions) -> discord.Permissions:
    """The member's permissions in a private thread, given those the thread's parent
    grants them (`granted`): the same for an Administrator, for a member who may Manage
    Threads there, and for a member of the thread; none for anyone else, who cannot see
    it. Membership is asked of Discord, now; its failures are raised as
    `member_permissions` raises them."""
    if granted.administrator or granted.manage_threads or not granted.view_channel:
        return granted  # settled unasked: they see every private thread there, or nothing
    try:
        await http.get_thread_member(thread_id, user_id)
    except discord.NotFound as exc:
        if exc.code != UNKNOWN_MEMBER:  # Unknown Channel: the thread is gone
            raise
        return discord.Permissions.none()
    return granted


async def _all(*calls: Awaitable[Data]) -> list[Data]:
    """The answers of `calls`, made at once; the first failure (in `calls` order) is
    raised once all have ended, so none is left running or unretrieved."""
    answers = await asyncio.gather(*calls, return_exceptions=True)
    failed = [answer for answer in answers if isinstance(answer, BaseException)]
    if failed:
        raise failed[0]
    return [answer for answer in answers if not isinstance(answer, BaseException)]


def permissions_in(channel: Data, guild: Data, member: Data,
                   now: datetime | None = None) -> discord.Permissions:
    """Discord's algorithm: the owner has everything; else @everyone's permissions and
    the member's roles' together, everything for an Administrator; then the channel's
    overwrites: @everyone's, the member's roles' (all denies, then all allows), the
    member's own. No View Channel there means no permission at all, and a timed-out
    member keeps View Channel and Read Message History only. `channel` is the one
    whose overwrites apply (a thread's parent)."""
    user_id = member["user"]["id"]
    if user_id == guild["owner_id"]:
        return discord.Permissions.all()
    role_ids = set(member["roles"])
    granted = discord.Permissions.none()
    for role in guild["roles"]:
        if role["id"] == guild["id"] or role["id"] in role_ids:  # @everyone's id is the server's
            granted.value |= int(role["permissions"])
    if granted.administrator:
        return discord.Permissions.all()
    overwrites: Sequence[Data] = channel.get("permission_overwrites") or ()
    _apply(granted, [o for o in overwrites if o["id"] == guild["id"]])
    _apply(granted, [o for o in overwrites
                     if o["type"] == ROLE_OVERWRITE and o["id"] in role_ids])
    _apply(granted, [o for o in overwrites
                     if o["type"] == MEMBER_OVERWRITE and o["id"] == user_id])
    if not granted.view_channel:
        return discord.Permissions.none()
    if _timed_out(member, now or datetime.now(UTC)):
        granted.value &= KEPT_IN_TIMEOUT.value
    return granted


def _apply(granted: discord.Permissions, overwrites: Sequence[Data]) -> None:
    """One step of the overwrites: everything they deny goes, then what they allow comes."""
    allow = deny = 0
    for overwrite in overwrites:
        allow |= int(overwrite["allow"])
        deny |= int(overwrite["deny"])
    granted.handle_overwrite(allow=allow, deny=deny)


def _timed_out(member: Data, now: datetime) -> bool:
    until = discord.utils.parse_time(member.get("communication_disabled_until"))
    return until is not None and until > now
