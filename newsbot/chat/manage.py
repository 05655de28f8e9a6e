"""/manage: a one-time link to the moderators' web page (`newsbot.web`), for the sender.

Offered only when the page is on: the newsroom adds it to the desk with the link
maker of its sign-in (`handler(sign_in.link)`). The link goes in `Reply.direct`,
which adapters show to the sender alone and never log; `shown_where_asked` decides
what the chat where /manage was typed sees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from newsbot.chat import wording
from newsbot.chat.requests import Reply, Request

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk, Handler

#: (platform, user id) → a sign-in link
LinkMaker = Callable[[str, str], Awaitable[str]]


def handler(make_link: LinkMaker, minutes: int) -> Handler:
    async def manage(desk: CommandDesk, request: Request) -> Reply:
        if not request.sender:
            return Reply(text=wording.MANAGE_WHO, private=True)
        link = await make_link(request.chat.platform, request.sender)
        return Reply(text=wording.MANAGE_SENT, direct=wording.manage_link(link, minutes),
                     private=True)

    return manage


async def shown_where_asked(
    reply: Reply, *, sender_only: bool,
    send_privately: Callable[[str], Awaitable[bool]] | None = None,
) -> Reply:
    """The reply to show where the command was typed, once its `direct` text is dealt
    with. Where only the sender sees the answer (`sender_only`: a private chat, an
    ephemeral reply) the direct text is the answer; elsewhere `send_privately` gives it
    to the sender alone (False when the platform could not), and the chat is told so,
    or how to make it possible."""
    if not reply.direct:
        return reply
    if sender_only or send_privately is None:
        return Reply(text=reply.direct, private=True)
    if await send_privately(reply.direct):
        return replace(reply, direct="")
    return Reply(text=wording.MANAGE_START_FIRST, private=True)
