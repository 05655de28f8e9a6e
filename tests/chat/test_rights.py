"""Answers about rights are kept for a while, asked again after, and never when unknown."""

from __future__ import annotations

from newsbot.chat.rights import Remembered


class Platform:
    """Answers `is_admin` questions as the test sets them, counting every ask."""

    def __init__(self) -> None:
        self.admins: dict[str, bool | None] = {"ann": True, "bob": False}
        self.asked: list[str] = []

    async def is_admin(self, user: str) -> bool | None:
        self.asked.append(user)
        return self.admins.get(user)


async def test_an_answer_is_kept_for_its_time_and_then_asked_again() -> None:
    now = [0.0]
    kept: Remembered[str, bool] = Remembered(ttl=60, clock=lambda: now[0])
    platform = Platform()
    assert await kept.get("ann", lambda: platform.is_admin("ann")) is True
    platform.admins["ann"] = False  # demoted
    now[0] = 59.0
    assert await kept.get("ann", lambda: platform.is_admin("ann")) is True
    assert await kept.get("ann", lambda: platform.is_admin("ann"), fresh=True) is False
    now[0] = 200.0
    platform.admins["ann"] = True
    assert await kept.get("ann", lambda: platform.is_admin("ann")) is True
    assert platform.asked == ["ann", "ann", "ann"]


async def test_no_answer_is_not_kept() -> None:
    kept: Remembered[str, bool] = Remembered()
    platform = Platform()
    assert await kept.get("eve", lambda: platform.is_admin("eve")) is None
    platform.admins["eve"] = True
    assert await kept.get("eve", lambda: platform.is_admin("eve")) is True
    assert platform.asked == ["eve", "eve"]


async def test_past_the_most_the_expired_answers_go_and_the_rest_stay() -> None:
    now = [0.0]
    kept: Remembered[str, bool] = Remembered(ttl=10, most=2, clock=lambda: now[0])
    platform = Platform()
    await kept.get("ann", lambda: platform.is_admin("ann"))
    now[0] = 5.0
    await kept.get("bob", lambda: platform.is_admin("bob"))
    now[0] = 12.0  # ann's answer expired, bob's not
    platform.admins["carl"] = True
    await kept.get("carl", lambda: platform.is_admin("carl"))
    assert await kept.get("bob", lambda: platform.is_admin("bob")) is False
    assert platform.asked == ["ann", "bob", "carl"]
