"""Taking Telegram's updates by webhook: Telegram POSTs each one to `telegram.webhook_url`.

A load balancer (or one reverse proxy) forwards that URL to every worker's
`telegram.listen`, so any worker takes any update: no lease, no poller. At start
each worker calls `setWebhook` with the same URL and secret token, which changes
nothing when another worker did it already (a rolling restart loses no update),
then serves its address through the core's `WebhookReceiver`, which refuses (403)
any request whose `X-Telegram-Bot-Api-Secret-Token` is not the secret. An update
that passes goes to PTB's update queue, exactly where polling puts the ones it
fetches, so commands are answered the same way.

The secret is `telegram.webhook_secret`, or else derived from the bot token (an
HMAC of it), so every worker has the same one without configuring it and nobody
without the token can guess it. It is registered with the log redaction and never
logged. Going back to polling needs nothing here: the poller's start deletes the
webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram import error as tg
from telegram.ext import Application

from newsbot.config import ConfigError
from newsbot.logs import register_secret
from newsbot.sections import split_listen
from newsbot.web.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

#: the header Telegram sends the secret token in (Bot API, setWebhook)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def derived_secret(token: str) -> str:
    """The secret token every worker derives from the bot token: 64 hex characters."""
    return hmac.new(token.encode(), b"newsbot telegram webhook", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts (`url`) and where this worker listens (`host`, `port`)."""

    url: str
    host: str
    port: int
    secret: str = field(repr=False)

    @classmethod
    def from_settings(cls, url: str, listen: str, secret: str, token: str) -> Webhook | None:
        if not url:
            return None
        host, port = split_listen(listen)
        secret = secret or derived_secret(token)
        register_secret(secret)
        return cls(url, host, port, secret)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


class WebhookIntake:
    """This worker's side of the webhook: the receiver, and `setWebhook` at start."""

    def __init__(self, webhook: Webhook, app: Application, allowed_updates: Sequence[str]
                 ) -> None:
        self.webhook = webhook
        self.app = app
        self.allowed_updates = list(allowed_updates)
        self.receiver = WebhookReceiver(
            host=webhook.host, port=webhook.port, path=webhook.path, header=SECRET_HEADER,
            secret=webhook.secret, take=self._take, name="telegram webhook",
        )

    async def start(self) -> None:
        """Listen first, then tell Telegram: its first POST finds someone."""
        try:
            await self.receiver.start()
        except OSError as exc:
            raise ConfigError(f"telegram.listen: cannot listen on {self.webhook.host}:"
                              f"{self.webhook.port} ({exc.strerror or exc})") from None
        try:
            await self.app.bot.set_webhook(
                url=self.webhook.url, secret_token=self.webhook.secret,
                allowed_updates=self.allowed_updates,
            )
        except tg.BadRequest as exc:  # a URL Telegram will not post to (port, scheme, host)
            await self.receiver.stop()
            raise ConfigError(f"telegram.webhook_url: Telegram refused it ({exc.message})"
                              ) from None
        except BaseException:
            await self.receiver.stop()
            raise
        log.info("telegram: updates come by webhook to %s", self.webhook.url)

    async def stop(self) -> None:
        """Stop listening; the webhook stays set for the other workers."""
        await self.receiver.stop()

    async def _take(self, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.app.bot)
        await self.app.update_queue.put(update)
