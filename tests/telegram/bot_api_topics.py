"""Forum supergroups and their topics, as the fake Bot API keeps and answers them.

A topic is created by a person (the service message with `forum_topic_created`
is the topic's first message, and its id is the topic's `message_thread_id`),
may be closed or deleted, and every later message in it carries
`is_topic_message` and `message_thread_id`, plus that service message as its
implicit `reply_to_message` when it answers nothing else. The General topic is
no topic to the Bot API: its messages carry neither field.

`thread_answer` says what the Bot API server does with a `message_thread_id` on a
send, following `check_message_topic` in tdlib/telegram-bot-api's Client.cpp: in a
forum, thread 1 (General) and a topic it cannot find are refused with "message
thread not found"; in a supergroup or channel that is not a forum the id is
ignored. A closed topic is refused by Telegram itself with `TOPIC_CLOSED`, which
the server passes on as "Bad Request: TOPIC_CLOSED" (the fake bot is never an
administrator who may manage topics, the one kind of member who may still post).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram import Chat, ForumTopicCreated, Message, User

from tests.telegram.bot_api_answers import ApiError

GENERAL_TOPIC = 1
#: one of the six colours Telegram gives topic icons
ICON_COLOR = 0x6FB9F0

_ids = itertools.count(5000)


def forum(chat_id: int, title: str = "Readers") -> Chat:
    """A supergroup with topics turned on."""
    return Chat(chat_id, Chat.SUPERGROUP, title=title, is_forum=True)


@dataclass
class Topic:
    """One topic of a forum: its thread id is the id of the message that created it."""

    chat: Chat
    name: str
    creator: User
    thread_id: int = field(default_factory=lambda: next(_ids))
    closed: bool = False
    deleted: bool = False

    @property
    def created(self) -> Message:
        """The service message that opened the topic, as Telegram shows it."""
        return Message(self.thread_id, datetime.now(UTC), self.chat, from_user=self.creator,
                       forum_topic_created=ForumTopicCreated(self.name, ICON_COLOR),
                       message_thread_id=self.thread_id, is_topic_message=True)

    def placed(self, reply_to: Message | None = None) -> dict[str, Any]:
        """The fields a message in this topic carries (as `Message` keyword arguments)."""
        return {"message_thread_id": self.thread_id, "is_topic_message": True,
                "reply_to_message": reply_to or self.created}


def thread_answer(chat: Chat, thread_id: Any, topics: dict[tuple[int, int], Topic],
                  *, replying: bool) -> ApiError | dict[str, Any]:
    """A send's `message_thread_id` checked: the error, or the fields of the sent message."""
    if not isinstance(thread_id, int) or isinstance(thread_id, bool) or thread_id <= 0:
        return {}  # absent, or what the server reads as 0 (the spec check reports a non-integer)
    if chat.type == Chat.PRIVATE or chat.is_forum:
        topic = topics.get((chat.id, thread_id))
        if thread_id == GENERAL_TOPIC or topic is None or topic.deleted:
            return ApiError(400, "Bad Request: message thread not found")
        if topic.closed:
            return ApiError(400, "Bad Request: TOPIC_CLOSED")
        return topic.placed() if not replying else {
            "message_thread_id": thread_id, "is_topic_message": True}
    return {}  # not a forum: the server sends to the chat itself
