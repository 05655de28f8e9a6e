"""The Discord adapter: one embed per story, slash commands, errors in the core's terms.

A story goes to a channel or a thread as a message, to a forum as a new post (once
per story, `forum_posts.py`), and from an announcement channel on to following
servers when asked (see `places.py`).
A correction edits the message (`PATCH` of it, with the new embed), and a forum
post's title too; a withdrawn story's message (or forum post) is deleted when the
configuration asks for it.

discord.py does the platform work: REST with its per-route buckets (it waits out
a 429's `retry_after` itself, up to `max_ratelimit_timeout`), and the gateway
with heartbeats and reconnects. This class builds a REST client on `start`, syncs
the slash commands, and maps the library's exceptions onto the core's
`DeliveryError`s (`errors.py`), so retry policy stays in the core
(`newsbot.delivery.retry`).
The gateway (commands in) runs in shards spread over the workers (`shards.py`).

Only the default intents are used (no privileged Message Content intent):
people talk to the bot through slash commands.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

import aiohttp
import discord

from newsbot.adapter import PLAIN, Adapter
from newsbot.chat.desk import CommandDesk
from newsbot.config import AppConfig, ConfigError
from newsbot.delivery.errors import (
    PermanentError,
    TransientError,
    Undeliverable,
)
from newsbot.sections import secret
from newsbot.types import Style, Summary
from newsbot.workers.roles import Role, Share
from newsbot_discord import permissions
from newsbot_discord.commands import NewsTree, build_tree
from newsbot_discord.errors import MESSAGE_GONE, translated
from newsbot_discord.forum_posts import post_in_forum
from newsbot_discord.places import Places, delete_story, edit_forum_post, edit_story, publish
from newsbot_discord.render import (
    NO_MENTIONS,
    EmbedLimits,
    delivery_nonce,
    message_payload,
    story_embed,
)
from newsbot_discord.routing import DEFAULT_API_URL, DEFAULT_GATEWAY_URL, route_client
from newsbot_discord.settings import DiscordSettings
from newsbot_discord.shards import GatewayFailed, Shards
from newsbot_discord.web_preview import discord_embed

log = logging.getLogger(__name__)


class DiscordStartError(ConfigError):
    """Discord cannot be used with these settings (token refused, API unreachable).

    A `ConfigError`, so `newsbot run` prints its one sentence, naming the setting.
    """


class DiscordAdapter(Adapter):
    """Stories as embeds in Discord channels; slash commands answered by the core's desk."""

    platform: ClassVar[str] = "discord"
    enable_hint: ClassVar[str] = "set discord.token (or NEWSBOT_DISCORD_TOKEN) to a bot token"
    settings: ClassVar[type[DiscordSettings]] = DiscordSettings
    #: Discord's embed limits (title 256, description 4096, footer 2048, 6000 in all)
    limits: ClassVar[type[EmbedLimits]] = EmbedLimits
    #: discord.py queues requests per route bucket; more would only wait there
    max_in_flight: ClassVar[int] = 8
    #: a 429 asking for longer than this (seconds) goes back to the outbox as RetryAfter
    #: instead of being slept through inside `send` (discord.py's minimum is 30)
    max_ratelimit_wait: ClassVar[float] = 30.0
    #: how long discord.py waits after the last GUILD_CREATE before READY (its default)
    guild_ready_timeout: ClassVar[float] = 2.0
    #: how long starting shards waits for the gateway before carrying on without it
    ready_timeout: ClassVar[float] = 60.0
    #: Discord's spacing of IDENTIFYs (one per 5 s for a bot whose max_concurrency is 1)
    identify_seconds: ClassVar[float] = 5.0

    def __init__(
        self,
        token: str,
        desk: CommandDesk,
        *,
        api_url: str = DEFAULT_API_URL,
        gateway_url: str = DEFAULT_GATEWAY_URL,
        guild_id: int | None = None,
        source: str = "settings",
        shard_count: int | None = None,
    ) -> None:
        self._token = token
        self.source = source  # where the settings came from, for error messages
        self.desk = desk
        self.api_url = api_url
        self.gateway_url = gateway_url
        self.guild_id = guild_id
        self._client: discord.Client | None = None
        self._tree: NewsTree | None = None
        self._places: Places | None = None
        self.shards = Shards(
            token, desk, api_url=api_url, gateway_url=gateway_url, count=shard_count,
            options=self._client_options(), ready_timeout=self.ready_timeout,
            identify_seconds=self.identify_seconds, on_dead=self._gateway_gone,
        )
        self._share = Share(self.shards.names, self._shards_changed)

    @classmethod
    def from_config(cls, config: AppConfig, desk: CommandDesk) -> DiscordAdapter | None:
        settings = config.section(cls.platform, DiscordSettings)
        token = secret(settings.token)
        if token is None:
            return None
        return cls(
            token,
            desk,
            api_url=settings.api_url,
            gateway_url=settings.gateway_url,
            guild_id=settings.guild_id,
            source=config.source,
            shard_count=settings.shard_count,
        )

    @classmethod
    def preview(cls, summary: Summary, style: Style = PLAIN, chat_id: str | None = None) -> str:
        """The message body as JSON; with `chat_id`, byte for byte what `send` posts there
        (the body for a channel adds that channel's `nonce` and `enforce_nonce`). In a
        forum the body without a channel, less `tts`, is the new post's first message."""
        payload = message_payload(summary, chat_id, style)
        return json.dumps(payload, indent=2, ensure_ascii=False)

    @classmethod
    def preview_html(cls, summary: Summary, style: Style = PLAIN) -> str:
        return discord_embed(message_payload(summary, None, style))

    async def may_moderate(self, user_id: str, chat_id: str) -> bool | None:
        """Manage Channels (or Administrator) in that channel, as Discord resolves the
        member's roles and the channel's overwrites now (`permissions.py`)."""
        if self._client is None or not user_id.isdigit() or not chat_id.isdigit():
            return None
        return await permissions.may_moderate(self._client.http, self.shards.get_channel,
                                              int(user_id), int(chat_id))

    # -- lifecycle --------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        return {"intents": discord.Intents.default(), "allowed_mentions": NO_MENTIONS,
                "max_ratelimit_timeout": self.max_ratelimit_wait,
                "guild_ready_timeout": self.guild_ready_timeout}

    def worker_roles(self) -> list[Role | Share]:
        """The gateway's shards, spread over the workers (`shards.py`)."""
        return [self._share]

    async def start(self) -> None:
        """Log in for REST (sending works from here on), sync the commands, and learn the
        shard count; the shards themselves start when this worker is given them."""
        if self._client is not None:
            return
        client = discord.Client(**self._client_options())
        route_client(client, self.api_url, self.gateway_url, self.overall_pace)
        tree = build_tree(client, self.desk)
        self._client, self._tree, self._places = client, tree, Places(client, self.shards)
        try:
            await self._connect(client, tree)
        except BaseException:
            await self.stop()
            raise
        log.info("discord: logged in as %s (%s)", client.user, client.user and client.user.id)

    async def _shards_changed(self, held: frozenset[str]) -> None:
        try:
            await self.shards.changed(held)
        except GatewayFailed as exc:
            error = exc.error
            if isinstance(error, discord.ConnectionClosed) and error.code == 4004:
                raise self._token_refused() from None
            raise DiscordStartError(
                f"{self.source}: discord.gateway_url: the Discord gateway at "
                f"{self.gateway_url} closed ({error})"
            ) from None

    def _gateway_gone(self) -> None:
        """The gateway gave up for good (a revoked token): sending stops too."""
        if self._client is not None and not self._client.is_closed():
            self._closing = asyncio.ensure_future(self._client.close())

    async def _connect(self, client: discord.Client, tree: NewsTree) -> None:
        try:
            await client.login(self._token)
        except discord.LoginFailure:
            raise self._token_refused() from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise DiscordStartError(
                f"{self.source}: discord.api_url: cannot reach Discord at {self.api_url} ({exc})"
            ) from None
        await self._sync_commands(client, tree)
        try:
            await self.shards.prepare(client, self.overall_pace)
        except discord.GatewayNotFound:
            raise DiscordStartError(
                f"{self.source}: discord.shard_count: Discord did not say how many shards "
                f"to run (GET /gateway/bot at {self.api_url}); set it"
            ) from None

    def _token_refused(self) -> DiscordStartError:
        return DiscordStartError(
            f"{self.source}: discord.token (or NEWSBOT_DISCORD_TOKEN): Discord refused "
            "the bot token; copy it again from the Developer Portal's Bot page"
        )

    async def _sync_commands(self, client: discord.Client, tree: NewsTree) -> None:
        """Overwrite the slash commands: in one guild when `guild_id` is set, else globally."""
        guild = discord.Object(self.guild_id) if self.guild_id else None
        if guild is not None:
            tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as exc:
            # Delivery works without commands; say how to fix it and carry on.
            log.error(
                "discord: could not sync slash commands%s (%s); was the bot invited with "
                "the applications.commands scope?",
                f" to guild {self.guild_id}" if guild else "",
                exc,
            )
            return
        where = f"guild {self.guild_id}" if guild else "all servers (global)"
        log.info("discord: synced %d slash commands to %s", len(synced), where)

    async def stop(self) -> None:
        client = self._client
        self._client = self._tree = self._places = None
        await self.shards.close()
        if client is not None:
            await client.close()

    # -- delivery ---------------------------------------------------------------

    def _ready(self) -> tuple[discord.Client, Places]:
        client, places = self._client, self._places
        if client is None or places is None or client.is_closed():
            raise TransientError("the Discord adapter is not running")
        return client, places

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        client, places = self._ready()
        try:
            channel_id = int(chat_id)
        except ValueError:
            raise PermanentError(f"{chat_id!r} is not a Discord channel id") from None
        with translated():
            place = await places.find(channel_id)
            if place.is_forum:
                return await post_in_forum(client, channel_id, place, summary, style)
            message = await client.get_partial_messageable(channel_id).send(
                embed=story_embed(summary, style),
                allowed_mentions=NO_MENTIONS,
                nonce=delivery_nonce(chat_id, summary.post_id),
                silent=style.silent,
            )
        if style.publish and place.can_publish:
            await publish(message, summary.post_id)
        return str(message.id)

    async def edit(
        self, chat_id: str, message_id: str, summary: Summary, style: Style = PLAIN
    ) -> None:
        await self._change(chat_id, message_id, summary, style)

    async def delete(self, chat_id: str, message_id: str) -> None:
        await self._change(chat_id, message_id, None, PLAIN)

    async def _change(
        self, chat_id: str, message_id: str, summary: Summary | None, style: Style
    ) -> None:
        """Edit the story's message to show `summary`, or delete it when None."""
        client, places = self._ready()
        try:
            channel_id, message = int(chat_id), int(message_id)
        except ValueError:
            raise Undeliverable(f"{chat_id!r}/{message_id!r} is not a Discord message") from None
        with translated(gone=MESSAGE_GONE):
            place = await places.find(channel_id)
            if summary is None:
                await delete_story(client, channel_id, message, forum=place.is_forum)
            elif place.is_forum:  # the post is a thread whose first message has its id
                await edit_forum_post(client, message, summary, style)
            else:
                await edit_story(client, channel_id, message, summary, style)

