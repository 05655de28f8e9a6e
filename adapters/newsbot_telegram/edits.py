"""Corrections: a story already sent is edited in place to show its newest version.

Which Bot API method depends on what the message is and what the story needs, and
the adapter keeps no record of what it sent, so the message itself answers:

- a full card with a picture: `editMessageMedia` (the picture and its caption), which
  also turns a text message into a photo message when a picture was added;
  if Telegram refuses the picture, the text is edited instead, as `send` does;
- anything else: `editMessageText`; if the message is a photo ("there is no text in
  the message to edit": the story's picture was removed), its caption takes the
  story with `editMessageCaption`, since the Bot API cannot turn a photo message
  back into text (the old picture stays).

"message is not modified" is success: an edit applied twice is harmless.

A withdrawn story's message is deleted with `deleteMessage`; Telegram refuses to
delete a message older than 48 hours ("message can't be deleted"): those stay,
and the job ends failed instead of being retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Bot, InputMediaPhoto, LinkPreviewOptions
from telegram import error as tg

from newsbot.delivery.errors import DeliveryError, MessageGone, Undeliverable
from newsbot.types import Style, Summary
from newsbot_telegram import errors
from newsbot_telegram.render import PARSE_MODE, Payload, story_html, text_payload
from newsbot_telegram.topics import Destination

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"
GONE = ("message to edit not found", "message to delete not found", "message_id_invalid")
NO_TEXT = "there is no text in the message to edit"
#: refusals that mean this message can never take the edit
CANNOT_EDIT = ("message can't be edited", "message can't be deleted")


def edit_error(exc: tg.TelegramError) -> DeliveryError:
    """The newsbot error for a failed edit."""
    if errors.says(exc, *GONE):
        return MessageGone(exc.message)
    if errors.says(exc, *CANNOT_EDIT):
        return Undeliverable(exc.message)
    return errors.delivery_error(exc)


async def _applied(call: Awaitable[Any]) -> None:
    try:
        await call
    except tg.BadRequest as exc:
        if not errors.says(exc, NOT_MODIFIED):
            raise


async def edit_story(
    bot: Bot, where: Destination, message_id: int, summary: Summary, style: Style,
    payload: Payload, *, caption_limit: int, text_limit: int,
) -> None:
    """Make the message show `payload` (what `send` would post now); raises a
    `DeliveryError`."""
    try:
        if payload.method == "sendPhoto":
            media = InputMediaPhoto(payload.params["photo"], caption=payload.params["caption"],
                                    parse_mode=PARSE_MODE)
            try:
                await _applied(bot.edit_message_media(
                    media, chat_id=where.chat, message_id=message_id))
                return
            except tg.BadRequest as exc:
                if errors.says(exc, *GONE) or errors.chat_closed(exc):
                    raise
                log.info("telegram: picture of %s refused in %s (%s); editing the text",
                         summary.post_id, where, exc.message)
            payload = text_payload(summary, text_limit, style)
        params = payload.params
        preview = params.get("link_preview_options")
        try:
            await _applied(bot.edit_message_text(
                params["text"], chat_id=where.chat, message_id=message_id,
                parse_mode=PARSE_MODE,
                link_preview_options=None if preview is None else LinkPreviewOptions(**preview),
            ))
        except tg.BadRequest as exc:
            if not errors.says(exc, NO_TEXT):
                raise
            # a photo message whose story lost its picture: the caption tells the story
            await _applied(bot.edit_message_caption(
                chat_id=where.chat, message_id=message_id,
                caption=story_html(summary, caption_limit), parse_mode=PARSE_MODE,
            ))
    except tg.TelegramError as exc:
        raise edit_error(exc) from exc


async def delete_story(bot: Bot, where: Destination, message_id: int) -> None:
    """Delete a withdrawn story's message; raises a `DeliveryError`."""
    try:
        await bot.delete_message(chat_id=where.chat, message_id=message_id)
    except tg.TelegramError as exc:
        raise edit_error(exc) from exc
