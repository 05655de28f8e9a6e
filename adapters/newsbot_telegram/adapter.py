"""The Telegram adapter: stories out with `sendPhoto`/`sendMessage` (corrected later with the
edit methods, see `edits.py`), commands in by long polling (`polling.py`, a role one worker
holds) or by webhook (`webhook.py`, every worker).

Built on python-telegram-bot's `Application`, pointed at `telegram.api_url` (the
library's `base_url`), which is how a self-hosted Bot API server, or the tests'
fake one, is reached; its requests go over aiohttp (`transport.py`). `send` paces
itself to Telegram's limits and reports failures as the core's `DeliveryError`s;
retrying is the core's (`newsbot.delivery.retry`).
A forum topic's destination id (`"<chat>#<thread>"`, see `topics.py`) is sent as
the chat's id with `message_thread_id`; pacing counts the chat, as Telegram does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from telegram import Bot, BotCommand, LinkPreviewOptions, Message, Update
from telegram import error as tg
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from newsbot.adapter import PLAIN, Adapter
from newsbot.config import ConfigError
from newsbot.delivery.errors import TransientError, Undeliverable
from newsbot.logs import redact
from newsbot.sections import secret
from newsbot.types import Style, Summary
from newsbot_telegram import errors
from newsbot_telegram.commands import UpdateHandler
from newsbot_telegram.edits import delete_story, edit_story
from newsbot_telegram.flood_limits import PAID_PER_SECOND, Pacer
from newsbot_telegram.permissions import Gatekeeper
from newsbot_telegram.polling import Poller
from newsbot_telegram.render import Payload, plain_story, quiet, story_payload, text_payload
from newsbot_telegram.settings import TelegramSettings
from newsbot_telegram.topics import Destination
from newsbot_telegram.transport import AiohttpRequest
from newsbot_telegram.web_preview import telegram_bubble
from newsbot_telegram.webhook import Webhook, WebhookIntake

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk
    from newsbot.config import AppConfig
    from newsbot.workers.roles import Role, Share

log = logging.getLogger(__name__)

#: updates the bot asks for: commands typed in chats and posted in channels
ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST]
#: stories (summary and style) whose payload is kept made: a fan-out sends one to every chat
PAYLOADS_KEPT = 16
COMMAND_FILTER = filters.COMMAND & (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST)

class TelegramAdapter(Adapter):
    platform: ClassVar[str] = "telegram"
    enable_hint: ClassVar[str] = (
        "set telegram.token (or NEWSBOT_TELEGRAM_TOKEN) to the token @BotFather gave you"
    )
    settings: ClassVar[type[TelegramSettings]] = TelegramSettings
    max_in_flight: ClassVar[int] = 16
    #: Telegram's limits, in UTF-16 code units of the text after entity parsing
    caption_limit: ClassVar[int] = 1024
    text_limit: ClassVar[int] = 4096
    #: pacing: Telegram's published flood limits
    overall_per_second: ClassVar[float] = 30
    chat_interval: ClassVar[float] = 1.0
    group_per_minute: ClassVar[float] = 20
    #: seconds a getUpdates long poll may wait for an update (whole seconds: an Integer)
    poll_timeout: ClassVar[int] = 10
    #: how long an admin check is trusted
    admin_cache_seconds: ClassVar[float] = 60.0

    def __init__(self, token: str, api_url: str, desk: CommandDesk, *,
                 webhook: Webhook | None = None, paid_broadcast: bool = False) -> None:
        self._token = token
        self.api_url = api_url
        self.desk = desk
        self.updates = UpdateHandler(desk, self.text_limit)
        self._app: Application | None = None
        self.webhook = webhook
        self._intake: WebhookIntake | None = None
        self.poller = Poller(lambda: self._app, timeout=self.poll_timeout,
                             allowed_updates=ALLOWED_UPDATES)
        #: stories go with allow_paid_broadcast (and the pace allows 1,000 a second)
        self.paid_broadcast = paid_broadcast
        self._paid: dict[str, Any] = {"allow_paid_broadcast": True} if paid_broadcast else {}
        #: `payload` of the stories sent lately, by (summary, style): both are immutable
        self._payloads: dict[tuple[Summary, Style], Payload] = {}

    @classmethod
    def from_config(cls, config: AppConfig, desk: CommandDesk) -> TelegramAdapter | None:
        settings = config.section(cls.platform, TelegramSettings)
        token = secret(settings.token)
        if token is None:
            return None
        webhook = Webhook.from_settings(settings.webhook_url, settings.listen,
                                        settings.webhook_secret.get_secret_value(), token)
        return cls(token, settings.api_url, desk, webhook=webhook,
                   paid_broadcast=settings.paid_broadcast)

    @classmethod
    def payload(cls, summary: Summary, style: Style = PLAIN) -> Payload:
        """What `send` posts first for this summary (the method and its parameters)."""
        return story_payload(summary, style, caption_limit=cls.caption_limit,
                             text_limit=cls.text_limit)

    @classmethod
    def preview(cls, summary: Summary, style: Style = PLAIN) -> str:
        """The payload as JSON: `{"method": ..., "params": {...}}`; `chat_id` is added per chat."""
        return cls.payload(summary, style).to_json()

    @classmethod
    def preview_html(cls, summary: Summary, style: Style = PLAIN) -> str:
        return telegram_bubble(cls.payload(summary, style))

    async def may_moderate(self, user_id: str, chat_id: str) -> bool | None:
        gate = self.updates.gate
        if gate is None or not user_id.isdigit():
            return None
        if chat_id == user_id:
            return True  # their own private chat with the bot
        # a forum topic is its group's to configure; the page asks Telegram every time,
        # so rights taken away count at once
        return await gate.is_admin(Destination.parse(chat_id).chat, int(user_id), fresh=True)

    # -- lifecycle ---------------------------------------------------------------------

    def worker_roles(self) -> list[Role | Share]:
        """Polling is one worker's at a time; with a webhook every worker takes updates."""
        return [] if self.webhook is not None else [self.poller.role]

    def _build(self) -> Application:
        pacer = Pacer(self.overall_per_second, self.chat_interval, self.group_per_minute,
                      paid_per_second=PAID_PER_SECOND if self.paid_broadcast else None,
                      overall=self.overall_pace)
        app = (
            ApplicationBuilder()
            .token(self._token)
            .base_url(self.api_url)
            .request(AiohttpRequest())  # much less CPU per request than httpx's
            .get_updates_request(self.poller.request())  # fenced by the poller's lease
            .rate_limiter(pacer)
            .concurrent_updates(8)
            .build()
        )
        app.add_handler(MessageHandler(COMMAND_FILTER, self.updates.on_update))
        app.add_error_handler(self._on_error)
        return app

    async def start(self) -> None:
        if self._app is not None:
            return
        app = self._app = self._build()
        try:
            await app.initialize()  # getMe: fails here on a bad token or URL
            self.updates.gate = Gatekeeper(app.bot, self.admin_cache_seconds)
            await self._register_commands()
            await app.start()  # answers what the poller or the webhook puts in its queue
            if self.webhook is not None:
                self._intake = WebhookIntake(self.webhook, app, ALLOWED_UPDATES)
                await self._intake.start()
        except tg.InvalidToken:
            await self.stop()
            raise ConfigError(
                "telegram.token: the Bot API refused this token (check it with @BotFather, "
                "and telegram.api_url)"
            ) from None
        except tg.NetworkError as exc:  # refused, timed out, 5xx, not a Bot API at all
            await self.stop()
            raise ConfigError(
                f"telegram.api_url: cannot reach the Bot API at {self.api_url} "
                f"({redact(str(exc))})"
            ) from None
        except BaseException:
            await self.stop()
            raise
        log.info("telegram: running as @%s", app.bot.username)

    async def _register_commands(self) -> None:
        """Show the commands in Telegram's menu; a failure here costs only the menu."""
        assert self._app is not None
        commands = [BotCommand(spec.name, spec.summary) for spec in self.desk.specs]
        try:
            await self._app.bot.set_my_commands(commands)
        except tg.TelegramError as exc:
            log.warning("telegram: cannot register the command menu: %s", exc)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        self.updates.gate = None
        intake, self._intake = self._intake, None
        if intake is not None:
            await intake.stop()
        await self.poller.halted()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        # a start that failed in getMe leaves the bot's HTTP clients open, unknown to `app`
        await app.bot.shutdown()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: a command failed", exc_info=context.error)

    # -- delivery ----------------------------------------------------------------------

    def _bot(self) -> Bot:
        if self._app is None:
            raise TransientError("telegram adapter is not running")
        return self._app.bot

    async def send(self, chat_id: str, summary: Summary, style: Style = PLAIN) -> str:
        bot = self._bot()
        where = Destination.parse(chat_id)
        payload = self._payloads.get((summary, style))
        if payload is None:  # made once per story, not once per chat
            if len(self._payloads) >= PAYLOADS_KEPT:
                self._payloads.clear()
            payload = self._payloads[summary, style] = self.payload(summary, style)
        try:
            if payload.method == "sendPhoto":
                message = await self._send_photo(bot, where, summary, style, payload)
            else:
                message = await self._send_text(bot, where, summary, style, payload)
        except tg.TelegramError as exc:
            raise errors.delivery_error(exc) from exc
        return str(message.message_id)

    async def edit(
        self, chat_id: str, message_id: str, summary: Summary, style: Style = PLAIN
    ) -> None:
        """Correct a story sent before (see `edits.py` for which method when)."""
        await edit_story(
            self._bot(), Destination.parse(chat_id), int(message_id), summary, style,
            self.payload(summary, style),
            caption_limit=self.caption_limit, text_limit=self.text_limit,
        )

    async def delete(self, chat_id: str, message_id: str) -> None:
        """Delete a withdrawn story's message (see `edits.py` for what Telegram refuses)."""
        await delete_story(self._bot(), Destination.parse(chat_id), int(message_id))

    async def _send_photo(
        self, bot: Bot, where: Destination, summary: Summary, style: Style, payload: Payload
    ) -> Message:
        try:
            return await bot.send_photo(
                chat_id=where.chat, message_thread_id=where.thread, **payload.params,
                **self._paid,
            )
        except tg.BadRequest as exc:
            if not errors.photo_refused(exc):
                raise
            level = logging.INFO if errors.known_photo_problem(exc) else logging.WARNING
            log.log(level, "telegram: picture of %s refused in %s (%s); sending text",
                    summary.post_id, where, exc.message)
        text = text_payload(summary, self.text_limit, style)
        return await self._send_text(bot, where, summary, style, text)

    async def _send_text(
        self, bot: Bot, where: Destination, summary: Summary, style: Style, payload: Payload
    ) -> Message:
        params = dict(payload.params)
        if "link_preview_options" in params:  # JSON in the payload, an object for PTB
            params["link_preview_options"] = LinkPreviewOptions(**params["link_preview_options"])
        try:
            return await bot.send_message(
                chat_id=where.chat, message_thread_id=where.thread, **params, **self._paid
            )
        except tg.BadRequest as exc:
            if errors.chat_closed(exc):
                raise
            # Our HTML was refused (a bug, not the story's fault): send it bare.
            log.warning("telegram: %s refused in %s (%s); sending plain text",
                        summary.post_id, where, exc.message)
        try:
            return await bot.send_message(
                chat_id=where.chat, message_thread_id=where.thread,
                **quiet(style, {"text": plain_story(summary, self.text_limit, style)}),
                **self._paid,
            )
        except tg.BadRequest as exc:
            if errors.chat_closed(exc):
                raise
            raise Undeliverable(f"even plain text was refused: {exc.message}") from exc
