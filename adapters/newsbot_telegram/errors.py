"""Telegram's errors translated, in one place, into what the outbox should do next.

python-telegram-bot already turns the Bot API's answers into typed exceptions
(`RetryAfter`, `ChatMigrated`, `Forbidden`, `BadRequest`, `NetworkError`); what
it cannot know is which 400s mean "this chat is closed to us" (give up on the
chat) and which mean "this picture is no good" (send the story without it).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from newsbot.delivery.errors import (
    ChatMigrated,
    DeliveryError,
    PermanentError,
    RetryAfter,
    TransientError,
)

#: 400 answers (lower case, as substrings) that mean the chat is closed to the bot
CHAT_CLOSED = (
    "chat not found",
    "bot was blocked",
    "bot was kicked",
    "bot is not a member",
    "user is deactivated",
    "group chat was deactivated",
    "not enough rights to send text",
    "have no rights to send a message",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "chat_admin_required",
    "peer_id_invalid",
    "bot can't initiate conversation",
    "bot can't send messages to bots",
)

#: 400 answers that mean a forum topic is closed to the bot: only sent with a
#: `message_thread_id`, so only that topic's destination is given up, not its group.
#: The Bot API server answers "message thread not found" when its check of the
#: topic fails (deleted, or never a topic); Telegram's own errors pass through as
#: "Bad Request: TOPIC_CLOSED" and the like when the server sends them.
TOPIC_GONE = (
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "topic_id_invalid",
)

#: 400 answers to sendPhoto that are the picture's fault; anything else not about
#: the chat is treated the same way, since the story must not be lost to its picture
PHOTO_REFUSED = (
    "wrong file identifier/http url specified",
    "failed to get http url content",
    "wrong type of the web page content",
    "photo_invalid_dimensions",
    "image_process_failed",
    "too big",
    "webpage_curl_failed",
    "webpage_media_empty",
    "not enough rights to send photos",
)


def says(exc: tg.TelegramError, *markers: str) -> bool:
    """True for a 400 whose description contains one of `markers` (lower case)."""
    text = exc.message.casefold()
    return isinstance(exc, tg.BadRequest) and any(marker in text for marker in markers)


def chat_closed(exc: tg.TelegramError) -> bool:
    """True when the error says the bot can no longer write to the chat (or its topic)."""
    return isinstance(exc, tg.Forbidden) or says(exc, *CHAT_CLOSED, *TOPIC_GONE)


def photo_refused(exc: tg.TelegramError) -> bool:
    """True when a `sendPhoto` failed because of the picture, not the chat or the rate."""
    return isinstance(exc, tg.BadRequest) and not chat_closed(exc)


def known_photo_problem(exc: tg.TelegramError) -> bool:
    """True for the picture problems Telegram is known to report (for the log level)."""
    return says(exc, *PHOTO_REFUSED)


def retry_seconds(exc: tg.RetryAfter) -> float:
    """The wait Telegram asked for, without PTB's int-vs-timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(exc: tg.TelegramError) -> DeliveryError:
    """The newsbot error for a failed send.

    A flood wait is taken to apply to the whole bot, as python-telegram-bot's own
    rate limiter does: Telegram does not say whether the limit was the chat's or ours.
    """
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(retry_seconds(exc), whole_platform=True)
    if isinstance(exc, tg.ChatMigrated):
        return ChatMigrated(str(exc.new_chat_id))
    if chat_closed(exc):
        return PermanentError(exc.message)
    # timeouts, 5xx, a refused token, a 400 we did not foresee: try again later
    return TransientError(f"{type(exc).__name__}: {exc.message}")
