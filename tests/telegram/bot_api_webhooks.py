"""The fake Bot API's webhook side, and what it answers a getUpdates that conflicts.

`setWebhook` keeps the URL and the secret token, `deleteWebhook` drops them,
`getWebhookInfo` tells them (Bot API: "If the bot is using getUpdates, will
return an object with the url field empty"). While a webhook is set, updates are
POSTed to it with the secret token in `X-Telegram-Bot-Api-Secret-Token`, as
Telegram does, and `getUpdates` is refused with 409.

The fake behaves as a self-hosted Bot API server (`telegram-bot-api --local`),
which also posts to http URLs on any port: tests listen on 127.0.0.1.

Telegram serves one getUpdates per bot at a time: a second one ends the first
with 409 "terminated by other getUpdates request".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.telegram.bot_api_answers import ApiError

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

TERMINATED = ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                           "that only one bot instance is running")
WEBHOOK_ACTIVE = ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                               "active; use deleteWebhook to delete the webhook first")


@dataclass(frozen=True)
class Hook:
    """A webhook as setWebhook left it."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None


@dataclass(frozen=True)
class Posted:
    """One update the fake POSTed to the webhook, and the answer it got."""

    update_id: int
    status: int
    secret: str | None


def set_webhook(params: dict[str, Any]) -> Hook | ApiError | None:
    """The webhook a setWebhook call asks for (None: removed, as with an empty url)."""
    url = str(params.get("url") or "")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ApiError(400, "Bad Request: bad webhook: invalid URL specified")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(str(secret)):
        return ApiError(400, "Bad Request: secret token contains unallowed characters")
    allowed = params.get("allowed_updates")
    return Hook(url, None if secret is None else str(secret),
                list(allowed) if isinstance(allowed, list) else None)


def webhook_info(hook: Hook | None, pending: int) -> dict[str, Any]:
    info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                            "pending_update_count": pending}
    if hook is not None and hook.allowed_updates is not None:
        info["allowed_updates"] = hook.allowed_updates
    return info


async def post_update(session: aiohttp.ClientSession, hook: Hook, update: dict[str, Any],
                      secret: str | None) -> int:
    """POST `update` to the webhook as Telegram does; the HTTP status it answered
    (0: nobody answered)."""
    headers = {} if secret is None else {SECRET_HEADER: secret}
    try:
        async with session.post(hook.url, json=update, headers=headers) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return 0
