"""What the chat where /manage was typed sees once the link (`Reply.direct`) is dealt with."""

from __future__ import annotations

import pytest

from newsbot.chat import wording
from newsbot.chat.manage import shown_where_asked
from newsbot.chat.requests import Reply

SECRET = "https://x/sign-in/secret"
LINK = Reply(text=wording.MANAGE_SENT, direct=SECRET, private=True)


@pytest.mark.parametrize(
    ("reply", "sender_only", "can_write", "shown", "written"),
    [
        pytest.param(Reply(text="hi"), False, True, Reply(text="hi"), [], id="nothing direct"),
        pytest.param(LINK, True, True, Reply(text=SECRET, private=True), [],
                     id="only the sender sees it: the link is the answer"),
        pytest.param(LINK, False, True, Reply(text=wording.MANAGE_SENT, private=True),
                     [SECRET], id="in a group: sent privately, the group is told"),
        pytest.param(LINK, False, False, Reply(text=wording.MANAGE_START_FIRST, private=True),
                     [SECRET], id="cannot write privately: how to make it possible"),
    ],
)
async def test_the_link_reaches_the_sender_alone(
    reply: Reply, sender_only: bool, can_write: bool, shown: Reply, written: list[str]
) -> None:
    sent: list[str] = []

    async def send_privately(text: str) -> bool:
        sent.append(text)
        return can_write

    answer = await shown_where_asked(reply, sender_only=sender_only,
                                     send_privately=send_privately)
    assert (answer, sent) == (shown, written)
    assert SECRET not in answer.text or sender_only
