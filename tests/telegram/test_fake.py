"""The fake Bot API is only useful if it is strict: its checks, checked."""

from __future__ import annotations

import pytest

from tests.telegram.bot_api_checks import SpecChecker, telegram_html


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
