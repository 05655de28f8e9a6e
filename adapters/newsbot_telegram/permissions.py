"""Who may change a chat's subscription, asked of Telegram with `getChatMember`.

Private chat: its user. Group: its administrators and creator, including an
anonymous administrator (a message sent as the group itself); a forum topic is
the group's to configure, so the same people. Channel: anyone who can post in
it (only administrators can), or, from a private chat, a user who is an
administrator of the channel when the bot can also post there.

Answers are kept for a short while, as the core's `Remembered` says.
"""

from __future__ import annotations

import logging

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberRestricted, Message
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from newsbot.chat.requests import Access, Found
from newsbot.chat.rights import KEEP_SECONDS, Remembered
from newsbot.types import Chat
from newsbot_telegram.topics import Destination, destination

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


class Gatekeeper:
    def __init__(self, bot: Bot, ttl: float = KEEP_SECONDS) -> None:
        self.bot = bot
        self.members: Remembered[tuple[int | str, int], ChatMember] = Remembered(ttl)

    async def member(
        self, chat_id: int | str, user_id: int, *, fresh: bool = False
    ) -> ChatMember | None:
        """The user's membership in the chat, or None when Telegram would not tell us;
        `fresh` asks Telegram even when a recent answer is kept."""
        return await self.members.get(
            (chat_id, user_id), lambda: self._ask(chat_id, user_id), fresh=fresh)

    async def _ask(self, chat_id: int | str, user_id: int) -> ChatMember | None:
        try:
            return await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("getChatMember %s/%s failed: %s", chat_id, user_id, exc)
            return None

    async def is_admin(
        self, chat_id: int | str, user_id: int, *, fresh: bool = False
    ) -> bool | None:
        """True for an administrator or the creator; None when it cannot be checked."""
        member = await self.member(chat_id, user_id, fresh=fresh)
        return None if member is None else member.status in ADMIN_STATUSES

    async def may_configure_here(self, message: Message) -> bool:
        """May the sender of `message` change the subscription of the chat it was sent in?"""
        chat = message.chat
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return True  # one's own chat; a channel post comes from one of its admins
        if message.sender_chat is not None:
            # sent as the group itself: an anonymous administrator; sent as a
            # channel (linked or personal): not a member we can vouch for
            return message.sender_chat.id == chat.id
        if message.from_user is None:
            return False
        return bool(await self.is_admin(chat.id, message.from_user.id))

    async def bot_can_post(self, chat_id: int | str, chat_type: str) -> bool:
        """Can the bot itself send messages to this group or channel?"""
        member = await self.member(chat_id, self.bot.id)
        if member is None:
            return False
        if chat_type == ChatType.CHANNEL:
            return isinstance(member, ChatMemberAdministrator) and bool(
                member.can_post_messages
            )
        if isinstance(member, ChatMemberRestricted):
            return member.is_member and member.can_send_messages
        return member.status in (*ADMIN_STATUSES, ChatMemberStatus.MEMBER)


class MessageAccess(Access):
    """The core's questions about rights, answered for the sender of one message.

    The chat the message was typed in is checked with `may_configure_here`; another
    chat (named as `@channel` in a private chat) needs its sender to be an
    administrator there, and the bot to be able to post there.
    """

    def __init__(self, gate: Gatekeeper | None, message: Message) -> None:
        self.gate = gate
        self.message = message
        self._types: dict[str, str] = {}  # chat id → Telegram chat type, from find_chat

    def _here(self, chat: Chat) -> bool:
        """Is `chat` where the message was typed (its forum topic, if it was in one)?"""
        return chat.id == str(destination(self.message))

    async def may_moderate(self, chat: Chat) -> bool | None:
        if self.gate is None:
            return None
        if self._here(chat):
            return await self.gate.may_configure_here(self.message)
        user = self.message.from_user
        base = Destination.parse(chat.id).chat  # a topic's rights are its group's
        return None if user is None else await self.gate.is_admin(base, user.id)

    async def bot_missing(self, chat: Chat) -> tuple[str, ...]:
        if self.gate is None or self._here(chat):
            return ()  # where a command was typed, sending is found out by sending
        chat_type = self._types.get(chat.id, ChatType.CHANNEL)
        if await self.gate.bot_can_post(Destination.parse(chat.id).chat, chat_type):
            return ()
        # Telegram's own names for the rights, as an admin sees them in the chat settings
        return ("Post Messages",) if chat_type == ChatType.CHANNEL else ("Send Messages",)

    async def find_chat(self, reference: str) -> Found | None:
        if self.gate is None:
            return None
        ref: int | str = int(reference) if reference.startswith("-") else reference
        try:
            info = await self.gate.bot.get_chat(ref)
        except TelegramError:
            return None
        self._types[str(info.id)] = info.type
        title = info.title or (f"@{info.username}" if info.username else reference)
        chat = Chat("telegram", str(info.id), title)
        return Found(chat, configurable=info.type != ChatType.PRIVATE)
