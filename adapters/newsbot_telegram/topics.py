"""Forum topics as destinations of their own: the id `"<chat id>#<message_thread_id>"`.

A forum supergroup's topics are separate conversations, so `/subscribe` typed in
one subscribes that topic alone, with its own tags, filters and format. The core
treats destination ids as opaque; this module is the one place that writes and
reads the topic form. The General topic is not a topic to the Bot API (its
messages carry no `message_thread_id`, and sending with thread id 1 is refused),
so a command there is about the group itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message
from telegram.constants import ChatType

SEPARATOR = "#"
#: between the group's title and the topic's name, as in "Readers › Sport"
TITLE_JOIN = " › "


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a story goes: a chat as the Bot API names it, and maybe a topic in it."""

    chat: int | str  # an integer id, or an `@channel` name
    thread: int | None = None

    @classmethod
    def parse(cls, destination_id: str) -> Destination:
        base, sep, thread = destination_id.partition(SEPARATOR)
        if sep and not (thread.isascii() and thread.isdigit()):
            return cls(destination_id)  # not ours: Telegram will say the chat is unknown
        ref: int | str
        try:
            ref = int(base)
        except ValueError:
            ref = base
        return cls(ref, int(thread) if sep else None)

    def __str__(self) -> str:
        return str(self.chat) if self.thread is None else f"{self.chat}{SEPARATOR}{self.thread}"


def topic_id(message: Message) -> int | None:
    """The forum topic a message was sent in, or None (not a forum, or its General topic).

    `message_thread_id` alone is not enough: in an ordinary supergroup it also marks
    a chain of replies, which is no place to send stories to.
    """
    if message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None


def destination(message: Message) -> Destination:
    """The destination a command in `message` is about: its topic, else its chat."""
    return Destination(message.chat.id, topic_id(message))


def group_title(message: Message) -> str:
    chat = message.chat
    if chat.type == ChatType.PRIVATE:
        return chat.full_name or (f"@{chat.username}" if chat.username else "")
    return chat.title or (f"@{chat.username}" if chat.username else "")


def title(message: Message) -> str:
    """The destination's title: the chat's, and in a topic "Group › Topic name".

    Telegram names a topic only in the service message that created it, which a
    message in the topic carries as its implicit `reply_to_message` unless it
    answers another message; without it the topic goes by its number ("Group › #5"),
    which needs no words in any language.
    """
    base = group_title(message)
    thread = topic_id(message)
    if thread is None:
        return base
    created = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    name = created.name if created is not None else f"#{thread}"
    return f"{base}{TITLE_JOIN}{name}" if base else name
