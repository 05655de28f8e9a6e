"""How a send failed, in the core's terms: each adapter maps its platform's errors here.

The dispatcher reads the class to decide what happens next (`newsbot.delivery.retry`
holds the waiting rules): wait as told, retry with back-off, give the chat up,
drop the story, or follow the chat to its new id.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A send did not happen. Subclasses say what the dispatcher should do next."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait `seconds` before trying again.

    `whole_platform` is set when the limit applies to every chat (Discord's
    global rate limit, Telegram's flood wait on the bot), not just this one.
    """

    def __init__(self, seconds: float, *, whole_platform: bool = False) -> None:
        super().__init__(f"retry after {seconds:g}s")
        self.seconds = max(0.0, float(seconds))
        self.whole_platform = whole_platform


class TransientError(DeliveryError):
    """Network trouble, a 5xx, a timeout: try again later with back-off."""


class PermanentError(DeliveryError):
    """The destination is gone or closed to us (bot removed, chat deleted, no rights).

    The chat is marked dead and stops costing work until someone subscribes it again.
    """


class Undeliverable(DeliveryError):
    """The platform refuses this story itself (a payload it will never accept).

    The delivery is dropped, with the reason kept in the outbox, so one bad
    story cannot hold the chat's later stories back for ever.
    """


class ChatMigrated(DeliveryError):
    """The chat moved to a new id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = str(new_chat_id)


class MessageGone(DeliveryError):
    """An edit found no message to change (deleted by someone, or its chat gone): the
    edit job is marked gone and never retried."""
