"""/manage: a one-time link to the moderators' web page (`newsbot.web`), for the sender.

Offered only when the page is on: the newsroom adds it to the desk with the link
maker of its sign-in (`handler(sign_in.link)`). The link goes in `Reply.direct`,
which adapters show to the sender alone and never log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
