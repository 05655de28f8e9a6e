"""The commands people type, described once for every platform, and their arguments.

Adapters build their menus (`setMyCommands`, slash command sync) from the
desk's specs, and the parsers here make `/latest 3` mean the same everywhere.
Arguments come from strangers: everything is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.chat import wording
from newsbot.chat.queries import MAX_COUNT
from newsbot.chat.requests import UsageError
from newsbot.chat.tags import TAG_MAX_LEN


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    args: str
    summary: str
    #: only moderators (group/channel admins, Manage Channels) may use it
    moderator_only: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("latest", "[n]", f"the newest stories (default 5, at most {MAX_COUNT})"),
    CommandSpec("tag", "<tag> [n]", "the newest stories with a tag or category"),
    CommandSpec("tags", "", "every tag with its number of stories"),
    CommandSpec("subscribe", "[tag ... -tag ...] [last:n]",
                "push new stories to this chat (only those tags, none of the -tags)", True),
    CommandSpec("unsubscribe", "", "stop pushing stories to this chat", True),
    CommandSpec("filter", '<word "a phrase" -word /pattern/ | off>',
                "push only stories whose title or excerpt mention these words", True),
    CommandSpec("format",
                "<full | compact | headline> [silent | loud] [publish | local] [edits | noedits]",
                ("how stories look here, whether they notify, are published on, are edited when "
                 "corrected"),
                True),
    CommandSpec("settings", "", "what this chat is subscribed to"),
    CommandSpec("help", "", "what the bot does and its commands"),
)
#: offered only when the moderators' web page is on (`web.listen`)
MANAGE = CommandSpec("manage", "", "a private link to a web page with every chat you moderate")
#: other names people type for a command (Telegram sends /start when a chat opens)
ALIASES = {"start": "help"}


def parse_count(arg: str | None) -> int | None:
    """`/latest 3`: a positive whole number, or None for the default."""
    if arg is None or arg == "":
        return None
    if not arg.isascii() or not arg.isdigit() or len(arg) > 6:
        raise UsageError(wording.count_range(MAX_COUNT))
    return int(arg)


def parse_tag_args(args: tuple[str, ...]) -> tuple[str, int | None]:
    """`/tag <tag> [n]`: the tag may contain spaces; a trailing number is the count."""
    if not args:
        raise UsageError(wording.ASK_WHICH_TAG)
    count: int | None = None
    if len(args) > 1 and args[-1].isascii() and args[-1].isdigit():
        count = parse_count(args[-1])
        args = args[:-1]
    tag = " ".join(args).strip()
    if not tag:
        raise UsageError(wording.ASK_WHICH_TAG)
    if len(tag) > TAG_MAX_LEN:
        raise UsageError(wording.tag_too_long(TAG_MAX_LEN))
    return tag, count


def split_command(text: str, bot_username: str | None = None) -> tuple[str, list[str]] | None:
    """`/latest@newsbot 3` → ("latest", ["3"]); None when the line is not a command
    for this bot (no slash, or addressed to another bot)."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name, _, target = head[1:].partition("@")
    if target and (bot_username is None or target.casefold() != bot_username.casefold()):
        return None
    return name.casefold(), args
