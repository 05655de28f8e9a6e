"""The bot's commands: a Telegram message in, a call on `Queries`, one HTML reply out.

Commands work in private chats, groups (`/latest@botname` too) and channels
(channel posts). Arguments come from strangers: the shared parsers bound them,
`UsageError` messages are shown as they are, and everything echoed is escaped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from newsbot.chat.commands import (
    ABOUT,
    COMMANDS,
    describe_filter,
    parse_count,
    parse_tag_args,
    split_command,
)
from newsbot.chat.queries import Queries, UsageError, clean_filter, hashtag_key
from newsbot.delivery.fitting import utf16_len
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat
from newsbot_telegram.permissions import Gatekeeper
from newsbot_telegram.render import escape, story_list

log = logging.getLogger(__name__)

PLATFORM = "telegram"
#: `/subscribe @channel` or `/subscribe -100123`, only understood in a private chat
TARGET = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-\d{1,20})$")
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
#: unknown tags of a /subscribe that get a "did you mean" note
_NOTES_MAX = 3

Handler = Callable[[Message, list[str]], Awaitable[str]]


def chat_title(message: Message) -> str:
    chat = message.chat
    if chat.type == ChatType.PRIVATE:
        return chat.full_name or (f"@{chat.username}" if chat.username else "")
    return chat.title or (f"@{chat.username}" if chat.username else "")


def neutral_chat(chat_id: int | str, title: str) -> Chat:
    return Chat(PLATFORM, str(chat_id), title)


def help_text(private: bool) -> str:
    lines = [escape(ABOUT), ""]
    for spec in COMMANDS:
        usage = f"/{spec.name} {spec.args}".strip()
        lines.append(f"{escape(usage)} — {escape(spec.summary)}")
    lines += ["", "In groups and channels only administrators can /subscribe and /unsubscribe."]
    if private:
        lines.append(
            "To subscribe a channel, send me /subscribe @channel [tag ...] here; "
            "you must be an administrator of the channel, and so must I."
        )
    return "\n".join(lines)


class CommandDesk:
    """Answers commands; `gate` is set once the bot knows who it is."""

    def __init__(self, queries: Queries, text_limit: int) -> None:
        self.queries = queries
        self.text_limit = text_limit
        self.gate: Gatekeeper | None = None
        self._handlers: dict[str, Handler] = {
            "start": self._help,
            "help": self._help,
            "latest": self._latest,
            "tag": self._tag,
            "tags": self._tags,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "settings": self._settings,
        }

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one PTB handler: every message or channel post that starts with a command."""
        message = update.effective_message
        if message is None or not message.text:
            return
        parsed = split_command(message.text, context.bot.username)
        if parsed is None:
            return  # addressed to another bot
        name, args = parsed
        handler = self._handlers.get(name)
        if handler is None:
            if message.chat.type != ChatType.PRIVATE:
                return  # a command for some other bot in the group
            reply = "I don't know that command. Send /help for the list."
        else:
            try:
                reply = await handler(message, args)
            except UsageError as exc:
                reply = escape(str(exc))
        try:
            await message.reply_text(
                reply,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                do_quote=message.chat.type in GROUPS,
            )
        except TelegramError as exc:
            log.warning("cannot answer /%s in chat %s: %s", name, message.chat.id, exc)

    async def _help(self, message: Message, args: list[str]) -> str:
        return help_text(message.chat.type == ChatType.PRIVATE)

    async def _latest(self, message: Message, args: list[str]) -> str:
        count = parse_count(args[0] if args else None)
        summaries = await self.queries.latest(count)
        if not summaries:
            return "Nothing has been published yet."
        return story_list("Latest stories", summaries, self.text_limit)

    async def _tag(self, message: Message, args: list[str]) -> str:
        tag, count = parse_tag_args(args)
        result = await self.queries.by_tag(tag, count)
        if not result.known or not result.summaries:
            reply = f"No story is tagged “{escape(result.tag)}”."
            if result.suggestions:
                close = ", ".join(escape(s) for s in result.suggestions)
                reply += f" Did you mean: {close}?"
            return reply
        return story_list(f"Stories tagged {result.tag}", result.summaries, self.text_limit)

    async def _tags(self, message: Message, args: list[str]) -> str:
        counts = await self.queries.tags()
        if not counts:
            return "There are no tags yet."
        lines = ["<b>Tags</b>", ""]
        used = 6
        for shown, item in enumerate(counts):
            line = f"{item.tag} ({item.count})"
            if used + utf16_len(line) + 40 > self.text_limit:  # room for "…and N more"
                lines.append(f"…and {len(counts) - shown} more")
                break
            used += utf16_len(line) + 1
            lines.append(escape(line))
        return "\n".join(lines)

    # -- configuration -----------------------------------------------------------------

    def _gate(self) -> Gatekeeper:
        if self.gate is None:
            raise UsageError("I am still starting up; try again in a moment.")
        return self.gate

    async def _target(self, message: Message, args: list[str]) -> tuple[Chat, str, list[str]]:
        """The chat a configuration command is about, its Telegram type, and the other args."""
        if args and TARGET.match(args[0]):
            if message.chat.type != ChatType.PRIVATE:
                raise UsageError("To configure another chat, send me the command in private.")
            ref: int | str = int(args[0]) if args[0].startswith("-") else args[0]
            try:
                info = await self._gate().bot.get_chat(ref)
            except TelegramError:
                raise UsageError(
                    f"I cannot find {args[0]}. Check the name, and add me to it first."
                ) from None
            if info.type == ChatType.PRIVATE:
                raise UsageError(f"{args[0]} is not a group or channel.")
            title = info.title or (f"@{info.username}" if info.username else args[0])
            return neutral_chat(info.id, title), info.type, args[1:]
        return neutral_chat(message.chat.id, chat_title(message)), message.chat.type, args

    async def _refusal(
        self, message: Message, chat: Chat, chat_type: str, *, needs_bot: bool
    ) -> str | None:
        """Why the sender may not configure `chat`, or None when they may."""
        gate = self._gate()
        if chat.id == str(message.chat.id):
            if await gate.may_configure_here(message):
                return None
            return "Only administrators of this group can change its subscription."
        user = message.from_user
        user_ok = None if user is None else await gate.is_admin(int(chat.id), user.id)
        bot_ok = await gate.bot_can_post(int(chat.id), chat_type) if needs_bot else True
        if user_ok and bot_ok:
            return None
        name = escape(chat.title)
        reasons = []
        if user_ok is None:
            reasons.append(f"I could not check that you are an administrator of {name}.")
        elif not user_ok:
            reasons.append(f"You are not an administrator of {name}.")
        if not bot_ok:
            reasons.append(
                f"I cannot post in {name}: add me as an administrator allowed to post messages."
            )
        return " ".join(reasons)

    async def _subscribe(self, message: Message, args: list[str]) -> str:
        chat, chat_type, rest = await self._target(message, args)
        refusal = await self._refusal(message, chat, chat_type, needs_bot=True)
        if refusal:
            return refusal
        tags, notes = await self._resolve_tags(rest)
        sub = await Subscriptions(self.queries.store).subscribe(chat, tags)
        where = "this chat" if chat.id == str(message.chat.id) else escape(chat.title)
        reply = f"Subscribed: {where} will receive {escape(describe_filter(sub.tags))}."
        return " ".join([reply, *notes])

    async def _unsubscribe(self, message: Message, args: list[str]) -> str:
        chat, chat_type, _ = await self._target(message, args)
        refusal = await self._refusal(message, chat, chat_type, needs_bot=False)
        if refusal:
            return refusal
        here = chat.id == str(message.chat.id)
        if not await Subscriptions(self.queries.store).unsubscribe(chat):
            subject = "This chat" if here else escape(chat.title)
            return f"{subject} was not subscribed."
        where = "here" if here else f"to {escape(chat.title)}"
        return f"Unsubscribed: no more stories will be sent {where}."

    async def _settings(self, message: Message, args: list[str]) -> str:
        chat, chat_type, _ = await self._target(message, args)
        here = chat.id == str(message.chat.id)
        if not here:
            refusal = await self._refusal(message, chat, chat_type, needs_bot=False)
            if refusal:
                return refusal
        sub = await self.queries.settings(chat)
        subject = "This chat" if here else escape(chat.title)
        if sub is None:
            return f"{subject} is not subscribed. Send /subscribe to receive new stories."
        reply = f"{subject} receives {escape(describe_filter(sub.tags))}."
        if sub.dead:
            reply += (
                f" Delivery stopped ({escape(sub.dead_reason[:200])}); "
                "send /subscribe again once I can post."
            )
        return reply

    async def _resolve_tags(self, args: list[str]) -> tuple[tuple[str, ...], list[str]]:
        """Tags as the site spells them (`#BreakingNews` → `Breaking News`), plus notes
        on the ones no story carries yet."""
        wanted = clean_filter(" ".join(args).replace(",", " ").split())
        if not wanted:
            return (), []
        known: dict[str, str] = {}
        for item in await self.queries.tags():
            for key in (item.tag.casefold(), hashtag_key(item.tag)):
                if key:
                    known.setdefault(key, item.tag)
        tags: list[str] = []
        notes: list[str] = []
        for tag in wanted:
            match = known.get(tag.casefold()) or known.get(hashtag_key(tag) or "\0")
            if match is None and len(notes) < _NOTES_MAX:
                suggestions = (await self.queries.by_tag(tag, 1)).suggestions
                note = f"No story is tagged “{escape(tag)}” yet"
                if suggestions:
                    note += " (did you mean " + ", ".join(escape(s) for s in suggestions) + "?)"
                notes.append(note + ".")
            tags.append(match or tag)
        return clean_filter(tags), notes
