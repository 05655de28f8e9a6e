"""The `[telegram]` section of newsbot.toml (`NEWSBOT_TELEGRAM_<KEY>` in the environment)."""

from __future__ import annotations

from pydantic import SecretStr, field_validator

from newsbot.sections import Section, http_url


class TelegramSettings(Section):
    #: the token @BotFather gave; empty leaves Telegram off
    token: SecretStr = SecretStr("")
    #: the Bot API base URL (a self-hosted Bot API server, or the tests' fake)
    api_url: str = "https://api.telegram.org/bot"

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)
