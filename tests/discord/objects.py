"""Discord-shaped objects for the fake: users, roles, guild, messages, interactions.

Shapes follow Discord's documentation (and what discord.py 2.7 reads); ids are
fixed snowflakes so tests can name them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TOKEN = "fake-discord-bot-token.abcdef"
APP_ID = "1100000000000000001"
GUILD_ID = "1200000000000000001"
OWNER_ID = "1300000000000000001"
MEMBER_ID = "1300000000000000002"
#: the fake guild's text channels: the bot may post in NEWS and SPORT, cannot see
#: STAFF, and may only read ANNOUNCE
NEWS, SPORT, STAFF, ANNOUNCE = (f"140000000000000000{i}" for i in range(1, 5))
#: more places: BULLETIN an announcement channel, FORUM a forum channel (with tags),
#: THREAD a public thread in NEWS; PRIVATE, a private thread in NEWS, exists only when a
#: test makes it (`FakeDiscord.private_thread`)
BULLETIN, FORUM, THREAD, PRIVATE = (f"140000000000000000{i}" for i in range(5, 9))
#: the fake guild's roles besides @everyone (whose id is the guild's): Moderators may
#: Manage Channels, Admins are Administrators, newsbot is the bot's own (managed) role
MODERATORS_ROLE, BOT_ROLE, ADMINS_ROLE = (f"121000000000000000{i}" for i in range(1, 4))
#: the forum's tags, (id, name)
FORUM_TAGS = (("1410000000000000001", "Politics"), ("1410000000000000002", "UK"),
              ("1410000000000000003", "Sport"))

# Permission bits, from Discord's documentation.
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
MANAGE_CHANNELS = 1 << 4
MANAGE_THREADS = 1 << 34
SEND_IN_THREADS = 1 << 38
ADMINISTRATOR = 1 << 3
READ_HISTORY = 1 << 16
USE_COMMANDS = 1 << 31
BOT_CAN_POST = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_HISTORY | USE_COMMANDS
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY | USE_COMMANDS
MODERATOR = MEMBER | MANAGE_CHANNELS
EPHEMERAL = 1 << 6

_MENTION = re.compile(r"@(everyone|here)|<@!?(\d+)>|<@&(\d+)>")


#: Discord's channel types
TEXT, ANNOUNCEMENT, FORUM_TYPE = 0, 5, 15
ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 10, 11, 12
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
#: message flags
CROSSPOSTED = 1 << 0
#: channel flags: a forum whose posts must carry one of its tags
REQUIRE_TAG = 1 << 4


#: the kinds of a channel's permission overwrite
ROLE_OVERWRITE, MEMBER_OVERWRITE = 0, 1


@dataclass(frozen=True)
class Overwrite:
    """A channel's permission overwrite for a role (the guild's id: @everyone) or a member."""

    id: str
    type: int = ROLE_OVERWRITE
    allow: int = 0
    deny: int = 0

    def data(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "allow": str(self.allow),
                "deny": str(self.deny)}


@dataclass
class Channel:
    id: str
    name: str
    #: the bot's resolved permissions in the channel
    bot_permissions: int = BOT_CAN_POST
    type: int = TEXT
    #: a thread's channel, or the category of a channel
    parent_id: str | None = None
    #: a thread's state: an archived thread takes a message (and wakes up) unless locked
    archived: bool = False
    locked: bool = False
    #: a forum's tags, (id, name)
    tags: tuple[tuple[str, str], ...] = ()
    #: the channel's flags (REQUIRE_TAG)
    flags: int = 0
    #: the server it is in (the fake's one, unless a test adds servers on other shards)
    guild_id: str = GUILD_ID
    #: the channel's overwrites besides the bot's own (a thread has none: it takes its
    #: parent's)
    overwrites: list[Overwrite] = field(default_factory=list)
    #: a thread's starter, and its members' user ids (who may see a private thread,
    #: besides those who may Manage Threads)
    owner_id: str = MEMBER_ID
    thread_members: list[str] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def bot_sees(self) -> bool:
        """Whether the bot may view the channel: a private thread only as its member
        (the bot's role has no Manage Threads)."""
        if self.type == PRIVATE_THREAD and APP_ID not in self.thread_members:
            return False
        return bool(self.bot_permissions & VIEW_CHANNEL)


def channel_object(c: Channel, *, permissions: int | None = None) -> dict[str, Any]:
    """The channel object Discord answers `GET /channels/{id}` with (and lists in
    GUILD_CREATE); with `permissions`, as an interaction carries it (`permissions` =
    the member's in that channel)."""
    data: dict[str, Any] = {
        "id": c.id,
        "type": c.type,
        "guild_id": c.guild_id,
        "name": c.name,
        "parent_id": c.parent_id,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": c.flags,
    }
    if c.is_thread:
        data |= {
            "owner_id": c.owner_id,
            "message_count": 0,
            "member_count": min(len(c.thread_members), 50) or 1,  # Discord stops at 50
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": c.archived,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2026-01-03T00:00:00+00:00",
                "locked": c.locked,
                "create_timestamp": "2026-01-03T00:00:00+00:00",
                # whether non-moderators may add others: private threads only
                **({"invitable": True} if c.type == PRIVATE_THREAD else {}),
            },
        }
        if APP_ID in c.thread_members:  # the bot's own thread member object
            data["member"] = thread_member(c.id, APP_ID)
    else:  # a thread's nsfw and overwrites are its parent's: Discord sends neither
        bot = Overwrite(APP_ID, MEMBER_OVERWRITE, c.bot_permissions,
                        ~c.bot_permissions & BOT_CAN_POST)
        data |= {
            "position": 0,
            "topic": None,
            "nsfw": False,
            "permission_overwrites": [o.data() for o in (bot, *c.overwrites)],
        }
    if c.type == FORUM_TYPE:
        data |= {
            "available_tags": [
                {"id": tag_id, "name": name, "moderated": False, "emoji_id": None,
                 "emoji_name": None}
                for tag_id, name in c.tags
            ],
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
            "default_thread_rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
        }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def thread_member(thread_id: str, user_id: str) -> dict[str, Any]:
    """A thread member object (Discord's "Thread Member"), as `GET /channels/{thread}/
    thread-members/{user}` answers it."""
    return {"id": thread_id, "user_id": user_id,
            "join_timestamp": "2026-01-03T00:00:00+00:00", "flags": 0}


def resolved_channel(c: Channel, permissions: int) -> dict[str, Any]:
    """A channel named by an option, as the interaction's `resolved` data carries it: a
    partial channel (id, name, type, and the member's permissions there; a thread adds
    its metadata and parent)."""
    full = channel_object(c, permissions=permissions)
    keep = {"id", "name", "type", "permissions"}
    if c.is_thread:
        keep |= {"thread_metadata", "parent_id"}
    return {k: v for k, v in full.items() if k in keep}


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def rest_user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user as REST answers carry it (a message's author, a member's user: Discord's
    `UserResponse`), not as the gateway or `/users/@me` do."""
    return {**user(user_id, name, bot=bot), "flags": 0, "primary_guild": None}


def bot_user() -> dict[str, Any]:
    return {**user(APP_ID, "newsbot", bot=True), "verified": True, "mfa_enabled": False, "flags": 0}


def role(role_id: str, name: str, permissions: int, position: int, managed: bool = False) -> dict:
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "icon": None,
        "unicode_emoji": None,
    }


def pings(body: dict[str, Any]) -> set[str]:
    """Who Discord would notify for this message body: "everyone", user ids, "&role" ids.

    Only `content` can ping (never embeds); `allowed_mentions` filters it, and when
    absent every kind of mention in the content pings.
    """
    content = body.get("content") or ""
    allowed = body.get("allowed_mentions")
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    users = set((allowed or {}).get("users") or [])
    roles = set((allowed or {}).get("roles") or [])
    out: set[str] = set()
    for match in _MENTION.finditer(content):
        everyone, user_id, role_id = match.groups()
        if everyone and "everyone" in parse:
            out.add("everyone")
        elif user_id and ("users" in parse or user_id in users):
            out.add(user_id)
        elif role_id and ("roles" in parse or role_id in roles):
            out.add("&" + role_id)
    return out


def application() -> dict[str, Any]:
    """`GET /oauth2/applications/@me`."""
    return {
        "id": APP_ID,
        "name": "newsbot",
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": bot_user(),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": user(OWNER_ID, "owner"),
        "team": None,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
    }


def message(
    message_id: str, channel_id: str, body: dict[str, Any], interaction: bool = False,
    author: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The message object Discord answers with, mentions resolved as Discord would; by
    the bot unless `author` (a user object) says otherwise."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "author": author or rest_user(APP_ID, "newsbot", bot=True),
        "content": body.get("content") or "",
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts")),
        "mention_everyone": "everyone" in pings(body),
        "mentions": [rest_user(u, "someone") for u in sorted(pings(body)) if u.isdigit()],
        "mention_roles": [r[1:] for r in sorted(pings(body)) if r.startswith("&")],
        "attachments": [],
        "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
        "pinned": False,
        "type": 20 if interaction else 0,
        "flags": body.get("flags") or 0,
        "components": [],
    }


def ready(gateway_url: str, guilds: Sequence[str] = (GUILD_ID,),
          shard: Sequence[int] | None = None) -> dict[str, Any]:
    """The READY dispatch: the session's guilds, still unavailable until their GUILD_CREATE;
    with `shard` ([id, count], as the IDENTIFY asked) that shard's guilds only."""
    return {
        "v": 10,
        "user": bot_user(),
        "guilds": [{"id": guild_id, "unavailable": True} for guild_id in guilds],
        **({"shard": list(shard)} if shard is not None else {}),
        "session_id": "fake-session",
        "resume_gateway_url": gateway_url,
        "application": {"id": APP_ID, "flags": 0},
        "private_channels": [],
        "relationships": [],
        "user_settings": {},
        "presences": [],
        "_trace": ["fake-discord"],
    }


def guild_object(guild_id: str = GUILD_ID) -> dict[str, Any]:
    """`GET /guilds/{id}` (without counts): the server, its roles and its owner."""
    return {
        "id": guild_id,
        "name": "Newsroom" if guild_id == GUILD_ID else f"Newsroom {guild_id[-4:]}",
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "owner_id": OWNER_ID,
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "widget_enabled": False,
        "widget_channel_id": None,
        "features": [],
        "roles": [
            role(guild_id, "@everyone", MEMBER, 0),
            role(MODERATORS_ROLE, "Moderators", MODERATOR, 1),
            role(BOT_ROLE, "newsbot", BOT_CAN_POST, 2, managed=True),
            role(ADMINS_ROLE, "Admins", ADMINISTRATOR, 3),
        ],
        "emojis": [],
        "stickers": [],
        "preferred_locale": "en-GB",
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "system_channel_flags": 0,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw": False,
        "nsfw_level": 0,
        "incidents_data": None,
    }


def guild(channels: list[Channel], guild_id: str = GUILD_ID) -> dict[str, Any]:
    """GUILD_CREATE: the server as `GET /guilds/{id}` answers it, with its channels (the
    bot's overwrites among theirs), the active threads the bot can see and the bot's
    member."""
    listed: list[dict[str, Any]] = []
    threads: list[dict[str, Any]] = []
    for c in channels:
        data = channel_object(c)
        if c.is_thread:
            if not c.archived and c.bot_sees:  # Discord syncs active threads only
                if "member" in data:  # here without the ids (Discord's "Thread Member")
                    data["member"] = {k: v for k, v in data["member"].items()
                                      if k not in ("id", "user_id")}
                threads.append(data)
        else:
            listed.append({**data, "position": len(listed)})
    return {
        **guild_object(guild_id),
        "unavailable": False,
        "member_count": 3,
        "large": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "channels": listed,
        "threads": threads,
        "members": [
            {
                "user": bot_user(),
                "roles": [BOT_ROLE],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        ],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def interaction(
    interaction_id: str,
    token: str,
    command: dict[str, Any],
    options: list[dict[str, Any]],
    *,
    autocomplete: bool,
    channel: str,
    target: Channel,
    permissions: int,
    resolved: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """INTERACTION_CREATE for a synced `command`, used by a member in a guild channel;
    `resolved` are the channels its options name (see `resolved_channel`)."""
    return {
        "id": interaction_id,
        "application_id": APP_ID,
        "type": 4 if autocomplete else 2,
        "data": {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
            **({"resolved": {"channels": {c["id"]: c for c in resolved}}} if resolved else {}),
            **({"guild_id": command["guild_id"]} if "guild_id" in command else {}),
        },
        "guild_id": target.guild_id,
        "guild": {"id": target.guild_id, "locale": "en-GB", "features": []},
        "channel_id": channel,
        "channel": channel_object(target, permissions=permissions),
        "member": {
            "user": user(MEMBER_ID, "reader"),
            "roles": [],
            "joined_at": "2026-01-02T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(permissions),
        },
        "token": token,
        "version": 1,
        "app_permissions": str(target.bot_permissions),
        "locale": "en-GB",
        "guild_locale": "en-GB",
        "entitlements": [],
        "authorizing_integration_owners": {"0": target.guild_id},
        "context": 0,
        "attachment_size_limit": 10485760,
    }
