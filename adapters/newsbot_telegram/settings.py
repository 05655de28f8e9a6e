"""The `[telegram]` section of newsbot.toml (`NEWSBOT_TELEGRAM_<KEY>` in the environment)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationInfo, field_validator

from newsbot.sections import Section, http_url, listen_address

#: Telegram's own Bot API: it delivers webhooks over https only (a self-hosted Bot API
#: server, `telegram-bot-api --local`, also posts to http URLs and any port)
OFFICIAL_API_HOST = "api.telegram.org"
#: what setWebhook's `secret_token` may hold (the Bot API's words: 1-256 characters,
#: A-Z, a-z, 0-9, _ and -)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramSettings(Section):
    #: the token @BotFather gave; empty leaves Telegram off
    token: SecretStr = SecretStr("")
    #: the Bot API base URL (a self-hosted Bot API server, or the tests' fake)
    api_url: str = "https://api.telegram.org/bot"
    #: where Telegram POSTs updates (webhooks instead of polling); "" = poll with getUpdates
    webhook_url: str = ""
    #: host:port every worker serves `webhook_url` on (what the load balancer forwards to)
    listen: str = ""
    #: setWebhook's secret_token; empty: derived from the bot token (the same on every worker)
    webhook_secret: SecretStr = SecretStr("")
    #: send stories with allow_paid_broadcast: up to 1,000 messages a second, paid in Stars
    paid_broadcast: bool = False

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str, info: ValidationInfo) -> str:
        if value == "":
            return value
        http_url(value)
        api = urlsplit(str(info.data.get("api_url") or ""))
        if urlsplit(value).scheme != "https" and api.hostname == OFFICIAL_API_HOST:
            raise ValueError("must be an https URL: Telegram delivers updates over https "
                             "only (http works with a self-hosted Bot API server)")
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str, info: ValidationInfo) -> str:
        listen_address(value)
        hooked = bool(info.data.get("webhook_url"))
        if hooked and not value:
            raise ValueError("needed with telegram.webhook_url: the host:port this worker "
                             "serves it on, such as 127.0.0.1:8443")
        if value and not hooked and "webhook_url" in info.data:
            raise ValueError("only used with telegram.webhook_url, which is not set")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not SECRET_TOKEN.fullmatch(secret):
            raise ValueError("must be 1 to 256 of the characters A-Z, a-z, 0-9, _ and -")
        return value
