"""The fake Bot API is only useful if it is strict: its checks, checked."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Chat

from tests.telegram.bot_api_answers import ApiError
from tests.telegram.bot_api_checks import SpecChecker, telegram_html
from tests.telegram.bot_api_topics import Topic, forum, thread_answer
from tests.telegram.fake_bot_api import command, group, person, update_json


@pytest.mark.parametrize(
    ("markup", "visible"),
    [
        ("<b>bold</b> &amp; &lt;tag&gt; &quot;q&quot; &#128512;", 'bold & <tag> "q" 😀'),
        ('<b><a href="https://x.org/?a=1&amp;b=2">link</a></b>\n<i>date</i>', "link\ndate"),
    ],
)
def test_html_parser_accepts_telegram_html(markup: str, visible: str) -> None:
    assert telegram_html(markup) == visible


@pytest.mark.parametrize(
    "markup",
    ["a < b", "fish & chips", "x > y", "<b>open", "<b>x</i>", "<script>x</script>",
     "<a>no href</a>", "&nbsp;"],
)
def test_html_parser_refuses_what_telegram_refuses(markup: str) -> None:
    with pytest.raises(ValueError, match="can't parse entities"):
        telegram_html(markup)


@pytest.fixture
def checker(spec: SpecChecker | None) -> SpecChecker:
    if spec is None:
        pytest.skip("NEWSBOT_API_SPECS is not set: no official Bot API spec to check against")
    return spec


@pytest.mark.parametrize(
    ("method", "params", "problem"),
    [
        ("sendMesage", {"chat_id": "1", "text": "x"}, "unknown method sendMesage"),
        ("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}, "unknown field 'colour'"),
        ("sendMessage", {"chat_id": "1"}, "missing required field 'text'"),
        ("getChatMember", {"chat_id": "1", "user_id": "ann"}, "user_id: 'ann' is not Integer"),
        ("sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "1"},
         "disable_notification: 1 is not Boolean"),
        ("sendMessage", {"chat_id": "1", "text": "x", "link_preview_options": '{"off": true}'},
         "unknown field 'off'"),
        ("setMyCommands", {"commands": '[{"command": "latest"}]'},
         "missing required field 'description'"),
    ],
    ids=["method", "field", "required", "type", "bool", "nested-field", "nested-required"],
)
def test_spec_checker_catches(checker: SpecChecker, method: str, params: dict[str, str],
                              problem: str) -> None:
    problems = checker.check(method, params)
    assert any(problem in p for p in problems), problems


def test_spec_checker_passes_what_ptb_sends(checker: SpecChecker) -> None:
    params = {
        "chat_id": "-100123", "text": "<b>x</b>", "parse_mode": "HTML",
        "link_preview_options": '{"is_disabled": true}',
        "reply_parameters": '{"message_id": 5, "allow_sending_without_reply": true}',
    }
    assert checker.check("sendMessage", params) == []
    assert checker.check("getUpdates", {"offset": "3", "timeout": "10",
                                        "allowed_updates": '["message"]'}) == []
    assert checker.check("getMe", {}) == []


def test_topic_updates_are_what_the_spec_describes(checker: SpecChecker) -> None:
    """A command in a forum topic, serialised as the fake sends it, is a valid Update."""
    readers = forum(-100555)
    topic = Topic(readers, "Sport", person(7))
    data = update_json(1, command(readers, "/settings", sender=person(8), topic=topic))
    assert checker._value("update", data, ["Update"]) == []
    message = data["message"]
    assert message["is_topic_message"] is True
    assert message["message_thread_id"] == topic.thread_id
    assert message["chat"]["is_forum"] is True
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "Sport"
    general = update_json(2, command(readers, "/settings", sender=person(8)))["message"]
    assert "message_thread_id" not in general and "is_topic_message" not in general


@pytest.mark.parametrize(
    ("chat", "thread", "answer"),
    [
        (forum(-100556), 1, "Bad Request: message thread not found"),  # General
        (forum(-100556), 999, "Bad Request: message thread not found"),
        (forum(-100556), "open", {"message_thread_id": True, "is_topic_message": True}),
        (forum(-100556), "closed", "Bad Request: TOPIC_CLOSED"),
        (forum(-100556), "deleted", "Bad Request: message thread not found"),
        (group(-100557), 5, {}),  # not a forum: the server sends to the chat
        (group(-100557), None, {}),
    ],
    ids=["general", "unknown", "open", "closed", "deleted", "not-a-forum", "none"],
)
def test_thread_ids_are_answered_as_the_bot_api_does(
    chat: Chat, thread: Any, answer: Any
) -> None:
    topic = Topic(chat, "Sport", person(7), closed=thread == "closed", deleted=thread == "deleted")
    known = {(chat.id, topic.thread_id): topic}
    got = thread_answer(chat, topic.thread_id if isinstance(thread, str) else thread, known,
                        replying=False)
    if isinstance(answer, str):
        assert isinstance(got, ApiError) and (got.status, got.description) == (400, answer)
    elif answer:
        assert isinstance(got, dict) and got["message_thread_id"] == topic.thread_id
        assert got["reply_to_message"].forum_topic_created.name == "Sport"
    else:
        assert got == {}
