"""The commands anyone may use: /help, /latest, /tag and /tags, answered from the
read side (`Queries`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsbot.chat import wording
from newsbot.chat.commands import parse_count, parse_tag_args
from newsbot.chat.requests import Reply, Request

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk, Handler


async def help_(desk: CommandDesk, request: Request) -> Reply:
    commands = [(spec.name, spec.args, spec.summary, spec.moderator_only) for spec in desk.specs]
    return Reply(text=wording.help_text(commands, request.terms, request.private), private=True)


async def latest(desk: CommandDesk, request: Request) -> Reply:
    count = parse_count(request.args[0] if request.args else None)
    stories = await desk.queries.latest(count)
    if not stories:
        return Reply(text=wording.NOTHING_PUBLISHED)
    return Reply(heading=wording.LATEST, stories=tuple(stories))


async def tag(desk: CommandDesk, request: Request) -> Reply:
    name, count = parse_tag_args(request.args)
    result = await desk.queries.by_tag(name, count)
    if not result.known or not result.summaries:
        suggestions = tuple(result.suggestions)
        text = wording.no_such_tag(result.tag, suggestions)
        return Reply(text=text, suggestions=suggestions, private=True)
    return Reply(heading=wording.tagged(result.tag), stories=tuple(result.summaries))


async def tags(desk: CommandDesk, request: Request) -> Reply:
    counts = await desk.queries.tags()
    if not counts:
        return Reply(text=wording.NO_TAGS)
    items = tuple(wording.tag_count(item.tag, item.count) for item in counts)
    return Reply(heading=wording.TAGS, items=items)


HANDLERS: dict[str, Handler] = {"help": help_, "latest": latest, "tag": tag, "tags": tags}
