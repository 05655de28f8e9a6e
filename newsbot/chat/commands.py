"""The commands people type, described once for every platform, and their arguments.

Adapters build their menus (`setMyCommands`, slash command sync) from the
desk's specs, and the parsers here make `/latest 3` mean the same everywhere.
A platform with typed options (Discord's slash commands) builds them from each
spec's `Option`s, and `typed_args` turns the values picked back into the
arguments the parsers read. Arguments come from strangers: everything is bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from newsbot.chat import wording
from newsbot.chat.configure import FIRST_BATCH_MAX
from newsbot.chat.queries import MAX_COUNT
from newsbot.chat.requests import UsageError
from newsbot.chat.tags import TAG_MAX_LEN

#: how long a typed option's text may be (a subscription's tags, a filter's words)
TEXT_MAX = 1000

OptionKind = Literal["count", "tag", "tags", "first_batch", "text", "destination"]
#: the range of each kind's value: a number's, or a text's length
BOUNDS: dict[OptionKind, tuple[int, int]] = {
    "count": (1, MAX_COUNT), "first_batch": (1, FIRST_BATCH_MAX),
    "tag": (1, TAG_MAX_LEN), "tags": (1, TEXT_MAX), "text": (1, TEXT_MAX),
}


@dataclass(frozen=True, slots=True)
class Option:
    """One typed argument: a number of stories (`count`, `first_batch`), a tag, a list
    of tags ("politics, -sport"), free words, or another destination the platform lets
    the sender pick (which becomes the request's `target`, not an argument)."""

    name: str
    kind: OptionKind
    help: str = ""
    required: bool = False

    @property
    def is_number(self) -> bool:
        return self.kind in ("count", "first_batch")

    @property
    def completes_tags(self) -> bool:
        return self.kind in ("tag", "tags")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    args: str
    summary: str
    #: only moderators (group/channel admins, Manage Channels) may use it
    moderator_only: bool = False
    #: typed options; None derives them from `args` and `moderator_only` (`options_of`)
    options: tuple[Option, ...] | None = None


#: another destination, for the commands about one
DESTINATION = Option("destination", "destination")


def options_of(spec: CommandSpec) -> tuple[Option, ...]:
    """A spec's typed options: its own, else one optional `text` holding the arguments
    as typed (when it takes any), and for a moderators' command another destination."""
    if spec.options is not None:
        return spec.options
    text = (Option("text", "text", spec.args),) if spec.args else ()
    return text + ((DESTINATION,) if spec.moderator_only else ())


def typed_args(options: tuple[Option, ...], values: Mapping[str, str | int | None]) -> tuple[
        str, ...]:
    """The arguments a command's parser reads, from its typed options' values (in the
    options' order; a missing value adds nothing)."""
    args: list[str] = []
    for option in options:
        value = values.get(option.name)
        if value is None or option.kind == "destination":
            continue
        if option.kind == "first_batch":
            args.append(f"last:{value}")
        elif option.kind == "text":
            args += str(value).split()
        else:
            args.append(str(value))
    return tuple(args)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("latest", "[n]", f"the newest stories (default 5, at most {MAX_COUNT})",
                options=(Option("count", "count",
                                f"how many stories (1 to {MAX_COUNT}, default 5)"),)),
    CommandSpec("tag", "<tag> [n]", "the newest stories with a tag or category",
                options=(Option("tag", "tag", "a tag or category", required=True),
                         Option("count", "count", f"how many stories (1 to {MAX_COUNT})"))),
    CommandSpec("tags", "", "every tag with its number of stories"),
    CommandSpec("subscribe", "[tag ... -tag ...] [last:n]",
                "push new stories to this chat (only those tags, none of the -tags)", True,
                options=(
                    Option("tags", "tags", "only stories with these tags, separated by "
                           "commas, and none with a -tag"),
                    Option("last", "first_batch",
                           f"send the newest matching stories now (1 to {FIRST_BATCH_MAX})"),
                    DESTINATION)),
    CommandSpec("unsubscribe", "", "stop pushing stories to this chat", True),
    CommandSpec("filter", '<word "a phrase" -word /pattern/ | off>',
                "push only stories whose title or excerpt mention these words", True),
    CommandSpec("format",
                "<full | compact | headline> [silent | loud] [publish | local] [edits | noedits]",
                ("how stories look here, whether they notify, are published on, are edited when "
                 "corrected"),
                True),
    CommandSpec("settings", "", "what this chat is subscribed to", options=(DESTINATION,)),
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
