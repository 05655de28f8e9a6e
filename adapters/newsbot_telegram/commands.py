"""Telegram messages in, the core desk's replies out as one HTML message each.

Commands work in private chats, groups (`/latest@botname` too), forum topics
and channels (channel posts). A command typed in a forum topic is about that
topic, a destination of its own (see `topics.py`), and is answered there.

This module only translates: the message becomes a neutral `Request` (who may
change which chat is answered by `permissions.py`), and the `Reply` is rendered
by `render.py`. Every word of the answers is the core's.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from newsbot.chat.commands import split_command
from newsbot.chat.desk import CommandDesk
from newsbot.chat.manage import shown_where_asked
from newsbot.chat.requests import Request, Terms
from newsbot.types import Chat
from newsbot_telegram import topics
from newsbot_telegram.permissions import Gatekeeper, MessageAccess
from newsbot_telegram.render import escape, reply_html

log = logging.getLogger(__name__)

PLATFORM = "telegram"
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
TERMS = Terms(
    noun="chat",
    moderators="administrators",
    moderator="an administrator",
    # `/subscribe @channel` or `/subscribe -100123`, understood in a private chat
    chat_reference=re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-\d{1,20}"),
    reference_example="@channel",
)
#: in a forum topic the answers speak of "this topic"
TOPIC_TERMS = dataclasses.replace(TERMS, noun="topic")


def destination(message: Message) -> Chat:
    """The destination a command is about: the forum topic it was typed in, else its chat."""
    return Chat(PLATFORM, str(topics.destination(message)), topics.title(message))


def sender_id(message: Message) -> str:
    """The user who typed the command; "" when it was sent as a chat (a channel post,
    an anonymous administrator), which names nobody."""
    if message.sender_chat is not None or message.from_user is None:
        return ""
    return str(message.from_user.id)


class UpdateHandler:
    """Turns each command message into a desk request; `gate` is set once the bot
    knows who it is (at start, before any update is fetched)."""

    def __init__(self, desk: CommandDesk, text_limit: int) -> None:
        self.desk = desk
        self.text_limit = text_limit
        self.gate: Gatekeeper | None = None

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one PTB handler: every message or channel post that starts with a command."""
        message = update.effective_message
        if message is None or not message.text:
            return
        parsed = split_command(message.text, context.bot.username)
        if parsed is None:
            return  # addressed to another bot
        name, args = parsed
        private = message.chat.type == ChatType.PRIVATE
        if not private and not self.desk.knows(name):
            return  # a command for some other bot in the group
        request = Request(
            command=name,
            chat=destination(message),
            args=tuple(args),
            access=MessageAccess(self.gate, message),
            terms=TOPIC_TERMS if topics.topic_id(message) else TERMS,
            private=private,
            sender=sender_id(message),
        )
        reply = await shown_where_asked(
            await self.desk.answer(request), sender_only=private,
            send_privately=lambda text: self._write_privately(context, message, text))
        try:
            # in a forum topic PTB answers in the same topic (its `message_thread_id`)
            await message.reply_text(
                reply_html(reply, self.text_limit),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                do_quote=message.chat.type in GROUPS,
            )
        except TelegramError as exc:
            log.warning("cannot answer /%s in chat %s: %s", name, request.chat.id, exc)

    async def _write_privately(
        self, context: ContextTypes.DEFAULT_TYPE, message: Message, text: str
    ) -> bool:
        """Give `text` to the sender of `message` in their private chat with the bot."""
        assert message.from_user is not None  # the desk only fills `direct` for a sender
        try:
            await context.bot.send_message(
                message.from_user.id, escape(text), parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as exc:  # never started a chat with the bot, or blocked it
            log.info("cannot write privately to a user of chat %s: %s", message.chat.id, exc)
            return False
        return True
