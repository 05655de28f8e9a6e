"""The `[discord]` section of newsbot.toml (`NEWSBOT_DISCORD_<KEY>` in the environment)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from newsbot.sections import Section, http_url
from newsbot_discord.routing import DEFAULT_API_URL, DEFAULT_GATEWAY_URL


class DiscordSettings(Section):
    #: the bot token; empty leaves Discord off
    token: SecretStr = SecretStr("")
    #: REST base URL (e.g. a shared rate-limit proxy)
    api_url: str = DEFAULT_API_URL
    gateway_url: str = DEFAULT_GATEWAY_URL
    #: sync slash commands to this one server only (instant, for testing)
    guild_id: int | None = None
    #: shards the gateway is split into (spread over the workers); unset: Discord's
    #: recommendation (GET /gateway/bot)
    shard_count: int | None = Field(default=None, ge=1)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    @field_validator("gateway_url")
    @classmethod
    def _gateway(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError("must be a ws(s) URL such as wss://gateway.discord.gg")
        return value.rstrip("/")
