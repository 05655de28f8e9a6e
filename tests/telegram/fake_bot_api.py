"""A fake Telegram Bot API on 127.0.0.1 that the real python-telegram-bot talks to.

It records every request (method and parameters), answers the methods newsbot
uses the way Telegram does, feeds `getUpdates` long polls from a queue the test
fills, and fails on request: flood waits, blocked bots, unknown chats, refused
pictures, migrated groups, server errors. Like Telegram it parses HTML
`parse_mode` strictly and measures the visible text against the limits.

When `NEWSBOT_API_SPECS` names a folder holding `telegram-bot-api.json` (the
official method and type list), every request is also checked against it
(see `bot_api_checks.py`). Problems are collected in `violations`; the
fixture fails the test on any.

With `limits=FloodLimits()` it also enforces Telegram's flood limits (30
messages a second overall and 20 a minute per group or channel, bursts
allowed; one a second per chat), answering 429 with `retry_after` past them;
the refusals are kept in `throttled`. Off by default: most tests are not
about pacing.

Updates are built from real python-telegram-bot objects (`person`, `group`,
`channel`, `command`; `forum` in `bot_api_topics.py`), serialised the way
Telegram sends them.

Forum supergroups have topics (`open_topic`, `close_topic`, `delete_topic`; see
`bot_api_topics.py`): a command can be typed in one, and a send with
`message_thread_id` lands there or is refused as Telegram refuses it.

Updates come by `getUpdates` (one long poll at a time: a second one ends the
first with 409 Conflict, as Telegram does; those are kept in `conflicts`, and
`held_poll` finds one waiting for an update now) or, once
`setWebhook` was called, are POSTed to the webhook with its secret token (see
`bot_api_webhooks.py`); `post_update` sends one with any secret, as a forger would.
With `limits`, messages sent with `allow_paid_broadcast` may go at 1,000 a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from telegram import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    Message,
    MessageEntity,
    PhotoSize,
    Update,
    User,
)

from tests.telegram.bot_api_answers import ApiError, FloodGate, FloodLimits
from tests.telegram.bot_api_checks import SpecChecker, telegram_html, utf16
from tests.telegram.bot_api_edits import CANNOT_DELETE, DELETE_NOT_FOUND, Sent, edit
from tests.telegram.bot_api_topics import Topic, thread_answer
from tests.telegram.bot_api_webhooks import (
    TERMINATED,
    WEBHOOK_ACTIVE,
    Hook,
    Posted,
    post_update,
    set_webhook,
    webhook_info,
)

TOKEN = "123456789:AAFakeTokenForNewsbotTests_abcdefghij"
BOT_ID = 123456789
BOT_USERNAME = "newsroom_test_bot"
BOT = User(BOT_ID, "Newsroom", is_bot=True, username=BOT_USERNAME, can_join_groups=True,
           can_read_all_group_messages=False, supports_inline_queries=False)
CAPTION_LIMIT, TEXT_LIMIT = 1024, 4096
SENDING = ("sendMessage", "sendPhoto")
EDITING = ("editMessageText", "editMessageCaption", "editMessageMedia")
#: parameters that are strings even when they look like JSON ("123" as a text stays text)
_TEXT_PARAMS = frozenset({"text", "caption", "photo", "parse_mode", "description", "title"})
_TRUE_ONLY_FLAGS = ("delete_chat_photo", "group_chat_created", "supergroup_chat_created",
                    "channel_chat_created")


# -- updates, built from real PTB objects ----------------------------------------------

_ids = itertools.count(1000)


def person(user_id: int, first_name: str = "Ann", username: str | None = None) -> User:
    return User(user_id, first_name, is_bot=False, username=username)


def private(user: User) -> Chat:
    return Chat(user.id, Chat.PRIVATE, first_name=user.first_name, username=user.username)


def group(chat_id: int, title: str = "Readers", kind: str = Chat.SUPERGROUP) -> Chat:
    return Chat(chat_id, kind, title=title)


def channel(chat_id: int, title: str = "News channel", username: str | None = None) -> Chat:
    return Chat(chat_id, Chat.CHANNEL, title=title, username=username)


def command(chat: Chat, text: str, *, sender: User | None = None,
            sender_chat: Chat | None = None, topic: Topic | None = None,
            reply_to: Message | None = None) -> Message:
    """A message starting with a command, as Telegram delivers it (entity included).

    In a channel the sender is the channel; `sender_chat=chat` in a group is an
    anonymous administrator. With `topic` it is typed in that forum topic (as an
    answer to `reply_to`, else to nothing, which Telegram shows as a reply to the
    topic's first message); without, in a forum's General topic.
    """
    if chat.type == Chat.CHANNEL:
        sender, sender_chat = None, chat
    elif chat.type == Chat.PRIVATE and sender is None:
        sender = person(chat.id, chat.first_name or "Ann", chat.username)
    head = text.split()[0]
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, len(head.encode("utf-16-le")) // 2)
    placed: dict[str, Any] = {}
    if topic is not None:
        assert topic.chat.id == chat.id, "a topic of another chat"
        placed = topic.placed(reply_to)
    elif reply_to is not None:
        placed = {"reply_to_message": reply_to}
        if chat.type == Chat.SUPERGROUP:  # a chain of replies: its first message's id
            placed["message_thread_id"] = reply_to.message_thread_id or reply_to.message_id
    return Message(next(_ids), datetime.now(UTC), chat, from_user=sender,
                   sender_chat=sender_chat, text=text, entities=[entity], **placed)


def update_json(update_id: int, message: Message) -> dict[str, Any]:
    key = "channel_post" if message.chat.type == Chat.CHANNEL else "message"
    data = Update(update_id, **{key: message}).to_dict()  # type: ignore[arg-type]
    _drop_false_flags(data[key])
    return data


def _drop_false_flags(message: dict[str, Any]) -> None:
    """Telegram leaves out True-only flags that are false, also in the replied message."""
    for flag in _TRUE_ONLY_FLAGS:
        if message.get(flag) is False:
            del message[flag]
    if isinstance(message.get("reply_to_message"), dict):
        _drop_false_flags(message["reply_to_message"])


@dataclass
class _Rule:
    method: str | None
    chat_id: str | None
    error: ApiError
    remaining: int | None  # None: for ever

    def applies(self, method: str, chat_id: Any) -> bool:
        return (self.method in (None, method)) and (
            self.chat_id is None or self.chat_id == str(chat_id)
        )


@dataclass
class Call:
    """One request as the fake saw it, and what it answered."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    visible: str | None = None  # text or caption as Telegram would show it
    description: str = ""  # the error Telegram answered with
    at: float = field(default_factory=time.perf_counter)  # when it arrived

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


# -- the server ----------------------------------------------------------------------------


@dataclass
class _Member:
    status: str
    can_post_messages: bool = False


@dataclass
class FakeBotAPI:
    token: str = TOKEN
    spec: SpecChecker | None = None
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    chats: dict[int, Chat] = field(default_factory=dict)
    members: dict[tuple[int, int], _Member] = field(default_factory=dict)
    #: enforce Telegram's flood limits (None: accept any pace)
    limits: FloodLimits | None = None
    #: messages refused with 429 because they broke `limits`
    throttled: list[Call] = field(default_factory=list)
    #: forum topics by (chat id, message_thread_id)
    topics: dict[tuple[int, int], Topic] = field(default_factory=dict)
    #: every message sent, by (chat id, message id), as edits left it (`bot_api_edits.py`)
    messages: dict[tuple[int, int], Sent] = field(default_factory=dict)
    #: the webhook setWebhook set (None: updates wait for getUpdates)
    webhook: Hook | None = None
    #: updates POSTed to the webhook, and what it answered
    posted: list[Posted] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._flood = None if self.limits is None else FloodGate(self.limits)
        self._rules: list[_Rule] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._polls = 0  # getUpdates calls so far: a newer one ends an older one
        self._held: list[Call] = []  # getUpdates waiting for an update now
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        """What `telegram.api_url` is set to: the token is appended by the library."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what the test sets up -------------------------------------------------------

    def add_chat(self, chat: Chat) -> None:
        self.chats[chat.id] = chat

    def open_topic(self, chat: Chat, name: str, creator: User) -> Topic:
        """A person creates a topic in a forum the bot is in."""
        assert chat.is_forum, "topics need a forum supergroup: forum(...)"
        self.add_chat(chat)
        topic = Topic(chat, name, creator)
        self.topics[(chat.id, topic.thread_id)] = topic
        return topic

    def close_topic(self, topic: Topic) -> None:
        topic.closed = True

    def delete_topic(self, topic: Topic) -> None:
        topic.deleted = True

    def set_member(self, chat_id: int, user_id: int, status: str, *,
                   can_post_messages: bool = False) -> None:
        self.members[(chat_id, user_id)] = _Member(status, can_post_messages)

    def fail(self, error: ApiError, *, method: str | None = None,
             chat_id: int | str | None = None, times: int | None = 1) -> None:
        """Answer matching requests with `error`, `times` times (None: for ever)."""
        key = None if chat_id is None else str(chat_id)
        self._rules.append(_Rule(method, key, error, times))

    def heal(self) -> None:
        """Forget every failure asked for with `fail`."""
        self._rules.clear()

    async def push(self, message: Message) -> None:
        """A new update: POSTed to the webhook when one is set, else kept for getUpdates."""
        if self.webhook is not None:
            await self.post_update(message, self.webhook.secret_token)
            return
        async with self._changed:
            self._updates.append(update_json(self._next_update, message))
            self._next_update += 1
            self._changed.notify_all()

    async def post_update(self, message: Message, secret: str | None) -> int:
        """POST an update to the webhook with `secret` in its header (Telegram sends the
        one setWebhook gave; anyone else can send anything); the HTTP status answered."""
        assert self.webhook is not None, "no webhook is set"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        update = update_json(self._next_update, message)
        self._next_update += 1
        status = await post_update(self._session, self.webhook, update, secret)
        self.posted.append(Posted(update["update_id"], status, secret))
        return status

    @property
    def conflicts(self) -> list[Call]:
        """getUpdates calls answered 409: two pollers at once, or polling with a webhook."""
        return [c for c in self.calls if c.method == "getUpdates" and c.status == 409]

    async def wait_for(self, predicate: Callable[[Call], bool], *, since: int = 0,
                       within: float = 5.0) -> Call:
        def found() -> Call | None:
            return next((c for c in self.calls[since:] if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        call = found()
        assert call is not None
        return call

    async def held_poll(self, predicate: Callable[[Call], bool] = lambda c: True, *,
                        within: float = 5.0) -> Call:
        """A getUpdates (matching `predicate`) that waits here for an update now."""
        def found() -> Call | None:
            return next((c for c in self._held if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        call = found()
        assert call is not None
        return call

    async def ask(self, message: Message, within: float = 5.0) -> Call:
        """Send a command as an update and return the bot's answer in that chat."""
        since = len(self.calls)
        await self.push(message)
        chat_id = message.chat.id
        return await self.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == chat_id,
                                   since=since, within=within)

    # -- what the test looks at ------------------------------------------------------

    def delivered(self, chat_id: int | str | None = None) -> list[Call]:
        """Messages Telegram accepted (stories and replies), oldest first."""
        return [c for c in self.calls if c.ok and c.method in SENDING
                and (chat_id is None or c.chat_id == chat_id)]

    def edits(self, chat_id: int | str | None = None) -> list[Call]:
        """Successful edits, in the order they arrived."""
        return [c for c in self.calls if c.method in EDITING and c.ok
                and (chat_id is None or c.chat_id == chat_id)]

    def age(self, chat_id: int, message_id: int) -> None:
        """That message is now older than 48 hours: it cannot be deleted any more."""
        self.messages[(chat_id, message_id)].old = True

    def forget(self, chat_id: int, message_id: int) -> None:
        """Someone deleted that message: edits of it find nothing any more."""
        self.messages.pop((chat_id, message_id), None)

    def requests(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method
                and (chat_id is None or c.chat_id == chat_id)]

    # -- the HTTP side ---------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()  # before the body is read: when Telegram would count it
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        raw = await self._params(request)
        if self.spec is not None:
            self.violations += self.spec.check(method, raw)
        call = Call(method, {k: _decode(k, v) for k, v in raw.items()}, at=arrived)
        answer = getattr(self, "_api_" + method, None)
        rule = next((r for r in self._rules if r.applies(method, call.chat_id)), None)
        if rule is not None:
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
            outcome: ApiError | Any = rule.error
        elif answer is None:
            self.violations.append(f"the fake does not implement {method}")
            outcome = ApiError(404, "Not Found: method not found")
        elif (refusal := self._flooded(call, arrived)) is not None:
            outcome = refusal
            self.throttled.append(call)
        else:
            outcome = await answer(call)
        async with self._changed:
            if isinstance(outcome, ApiError):
                call.status, body = outcome.status, outcome.body()
                call.description = outcome.description
            else:
                call.result, body = outcome, {"ok": True, "result": outcome}
            self.calls.append(call)
            self._changed.notify_all()
        return web.json_response(body, status=call.status)

    def _flooded(self, call: Call, arrived: float) -> ApiError | None:
        if self._flood is None or call.method not in (*SENDING, *EDITING):
            return None
        paid = call.params.get("allow_paid_broadcast") is True
        return self._flood.check(call.chat_id, arrived, paid=paid)

    @property
    def billed(self) -> int:
        """Paid-broadcast messages past the free rate (0.1 Star each on Telegram)."""
        return 0 if self._flood is None else self._flood.billed

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _chat(self, ref: Any) -> Chat | ApiError:
        if isinstance(ref, str) and ref.startswith("@"):
            found = [c for c in self.chats.values() if c.username == ref[1:]]
            return found[0] if found else ApiError.chat_not_found()
        if not isinstance(ref, int):
            return ApiError(400, "Bad Request: chat_id is empty")
        if ref in self.chats:
            return self.chats[ref]
        kind = Chat.PRIVATE if ref > 0 else Chat.SUPERGROUP if ref < -10**12 else Chat.GROUP
        return Chat(ref, kind)

    async def _api_getMe(self, call: Call) -> Any:
        return BOT.to_dict()

    async def _api_deleteWebhook(self, call: Call) -> Any:
        self.webhook = None
        return True

    async def _api_setWebhook(self, call: Call) -> Any:
        hook = set_webhook(call.params)
        if isinstance(hook, ApiError):
            return hook
        self.webhook = hook
        return True

    async def _api_getWebhookInfo(self, call: Call) -> Any:
        return webhook_info(self.webhook, len(self._updates))

    async def _api_setMyCommands(self, call: Call) -> Any:
        return True

    async def _api_getUpdates(self, call: Call) -> Any:
        if self.webhook is not None:
            return WEBHOOK_ACTIVE
        offset = int(call.params.get("offset") or 0)
        wait = min(float(call.params.get("timeout") or 0), 5.0)
        async with self._changed:
            self._polls += 1
            mine = self._polls
            self._changed.notify_all()  # an older poll still waiting ends now
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if wait and not self._updates and not self._closing:
                self._held.append(call)
                self._changed.notify_all()
                try:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait_for(
                            lambda: bool(self._updates) or self._closing
                            or self._polls != mine), wait)
                finally:
                    self._held.remove(call)
            if self._polls == mine:
                return self._updates[: int(call.params.get("limit") or 100)]
        # A client that gave this request up (a poller stopping) has closed it by now and
        # never sees the answer: only a poll that is still wanted meets the conflict.
        await asyncio.sleep(0.05)
        return TERMINATED

    async def _api_getChat(self, call: Call) -> Any:
        chat = self._chat(call.chat_id)
        if isinstance(chat, ApiError) or chat.id not in self.chats:
            return ApiError.chat_not_found()  # the bot only knows chats it was added to
        gifts = AcceptedGiftTypes(False, False, False, False, False)
        return ChatFullInfo(chat.id, chat.type, accent_color_id=0, max_reaction_count=11,
                            accepted_gift_types=gifts, title=chat.title,
                            username=chat.username).to_dict()

    async def _api_getChatMember(self, call: Call) -> Any:
        chat = self._chat(call.chat_id)
        if isinstance(chat, ApiError):
            return chat
        user_id = int(call.params["user_id"])
        user = BOT if user_id == BOT_ID else person(user_id)
        member = self.members.get((chat.id, user_id), _Member(ChatMember.LEFT))
        made: ChatMember
        if member.status == ChatMember.OWNER:
            made = ChatMemberOwner(user, is_anonymous=False)
        elif member.status == ChatMember.ADMINISTRATOR:
            is_channel = chat.type == Chat.CHANNEL
            made = ChatMemberAdministrator(
                user, False, False, True, True, True, True, False, True, True, True, True,
                True, can_post_messages=member.can_post_messages if is_channel else None,
            )
        elif member.status == ChatMember.MEMBER:
            made = ChatMemberMember(user)
        else:
            made = ChatMemberLeft(user)
        return made.to_dict()

    async def _api_sendMessage(self, call: Call) -> Any:
        return self._message(call, "text", TEXT_LIMIT)

    async def _api_sendPhoto(self, call: Call) -> Any:
        return self._message(call, "caption", CAPTION_LIMIT)

    def _message(self, call: Call, key: str, limit: int) -> Any:
        chat = self._chat(call.chat_id)
        if isinstance(chat, ApiError):
            return chat
        text = str(call.params.get(key, ""))
        if call.params.get("parse_mode") == "HTML":
            try:
                text = telegram_html(text)
            except ValueError as exc:
                return ApiError(400, f"Bad Request: {exc}")
        call.visible = text
        if key == "text" and not text:
            return ApiError(400, "Bad Request: message text is empty")
        if utf16(text) > limit:
            what = "message caption" if key == "caption" else "message"
            return ApiError(400, f"Bad Request: {what} is too long")
        placed = thread_answer(chat, call.params.get("message_thread_id"), self.topics,
                               replying="reply_parameters" in call.params)
        if isinstance(placed, ApiError):
            return placed
        extra: dict[str, Any] = {key: text, **placed}
        if key == "caption":
            extra["photo"] = [PhotoSize("AgAD-fake", "fake-unique", 800, 600)]
        sender = None if chat.type == Chat.CHANNEL else BOT
        shown = Chat(chat.id, chat.type, is_forum=chat.is_forum or None)
        message_id = next(self._message_ids)
        message = Message(message_id, datetime.now(UTC), shown,
                          from_user=sender, **extra).to_dict()
        _drop_false_flags(message)
        kind = "photo" if key == "caption" else "text"
        self.messages[(chat.id, message_id)] = Sent(
            kind, str(call.params.get(key, "")), call.params.get("photo"), text)
        return message

    async def _api_deleteMessage(self, call: Call) -> Any:
        chat = self._chat(call.chat_id)
        if isinstance(chat, ApiError):
            return chat
        key = (chat.id, int(call.params.get("message_id") or 0))
        sent = self.messages.get(key)
        if sent is None:
            return DELETE_NOT_FOUND
        if sent.old:
            return CANNOT_DELETE
        del self.messages[key]
        return True

    async def _api_editMessageText(self, call: Call) -> Any:
        return self._edit(call)

    async def _api_editMessageCaption(self, call: Call) -> Any:
        return self._edit(call)

    async def _api_editMessageMedia(self, call: Call) -> Any:
        return self._edit(call)

    def _edit(self, call: Call) -> Any:
        chat = self._chat(call.chat_id)
        if isinstance(chat, ApiError):
            return chat
        key = (chat.id, int(call.params.get("message_id") or 0))
        sent = self.messages.get(key)
        outcome = edit(sent, call.method, call.params)
        if isinstance(outcome, ApiError):
            return outcome
        assert sent is not None
        kind, markup = outcome
        text = markup
        parse_mode = (call.params.get("media") or {}).get("parse_mode") \
            if call.method == "editMessageMedia" else call.params.get("parse_mode")
        if parse_mode == "HTML":
            try:
                text = telegram_html(markup)
            except ValueError as exc:
                return ApiError(400, f"Bad Request: {exc}")
        limit = TEXT_LIMIT if kind == "text" else CAPTION_LIMIT
        if utf16(text) > limit:
            return ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        call.visible = text
        if call.method == "editMessageMedia":
            sent.kind, sent.photo = "photo", call.params["media"]["media"]
        sent.markup, sent.visible = markup, text
        extra: dict[str, Any] = {kind: text}
        if sent.kind == "photo":
            extra = {"caption": text, "photo": [PhotoSize("AgAD-fake", "fake-unique", 800, 600)]}
        shown = Chat(chat.id, chat.type, is_forum=chat.is_forum or None)
        sender = None if chat.type == Chat.CHANNEL else BOT
        message = Message(key[1], datetime.now(UTC), shown, from_user=sender,
                          edit_date=datetime.now(UTC), **extra).to_dict()
        _drop_false_flags(message)
        return message


def _decode(name: str, value: Any) -> Any:
    """A form field as the value PTB meant: JSON for everything but plain strings."""
    if not isinstance(value, str) or name in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
