"""The command specs' typed options: which each command has, and the arguments the values
picked in them make (what a platform with typed options, Discord's, sends the desk)."""

from __future__ import annotations

import pytest

from newsbot.chat.commands import (
    BOUNDS,
    COMMANDS,
    DESTINATION,
    CommandSpec,
    Option,
    options_of,
    typed_args,
)
from newsbot.chat.configure import FIRST_BATCH_MAX
from newsbot.chat.queries import MAX_COUNT
from newsbot.chat.tags import TAG_MAX_LEN

SPECS = {spec.name: spec for spec in COMMANDS}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("latest", [("count", "count", False)]),
        ("tag", [("tag", "tag", True), ("count", "count", False)]),
        ("tags", []),
        ("subscribe", [("tags", "tags", False), ("last", "first_batch", False),
                       ("destination", "destination", False)]),
        ("unsubscribe", [("destination", "destination", False)]),
        ("filter", [("text", "text", False), ("destination", "destination", False)]),
        ("format", [("text", "text", False), ("destination", "destination", False)]),
        ("settings", [("destination", "destination", False)]),
        ("help", []),
    ],
)
def test_each_command_has_its_typed_options(
    name: str, options: list[tuple[str, str, bool]]
) -> None:
    got = options_of(SPECS[name])
    assert [(o.name, o.kind, o.required) for o in got] == options
    assert all(o.help for o in got if o.kind != "destination")


def test_a_command_added_later_takes_its_arguments_as_text() -> None:
    toy = CommandSpec("shout", "<words>", "say it louder")
    assert options_of(toy) == (Option("text", "text", "<words>"),)
    assert options_of(CommandSpec("ping", "", "pong")) == ()
    assert options_of(CommandSpec("wipe", "", "clear", moderator_only=True)) == (DESTINATION,)


def test_bounds_are_the_parsers_bounds() -> None:
    assert BOUNDS["count"] == (1, MAX_COUNT)
    assert BOUNDS["first_batch"] == (1, FIRST_BATCH_MAX)
    assert BOUNDS["tag"] == (1, TAG_MAX_LEN)


@pytest.mark.parametrize(
    ("name", "values", "args"),
    [
        ("latest", {}, ()),
        ("latest", {"count": 3}, ("3",)),
        ("tag", {"tag": "Breaking News", "count": 2}, ("Breaking News", "2")),
        ("subscribe", {"tags": "politics, -sport", "last": 3, "destination": "#x"},
         ("politics, -sport", "last:3")),
        ("subscribe", {"last": None}, ()),
        ("filter", {"text": 'ukraine  "interest rates"'}, ("ukraine", '"interest', 'rates"')),
        ("settings", {"destination": "#x"}, ()),
    ],
)
def test_typed_values_become_the_arguments_the_parsers_read(
    name: str, values: dict[str, str | int | None], args: tuple[str, ...]
) -> None:
    assert typed_args(options_of(SPECS[name]), values) == args
