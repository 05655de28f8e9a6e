"""The retry policy on its own: the back-off schedule, and when a platform counts as down,
is probed, and is up again. (`tests/reliability/test_platform_down.py` runs it in a newsroom.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from newsbot.delivery import retry
from newsbot.delivery.retry import PlatformHealth, backoff
from newsbot.store import utcnow


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (10, 512.0), (11, 600.0)]
)
def test_backoff_doubles_up_to_the_cap_with_a_fifth_of_jitter(attempts: int, seconds: float):
    delays = [backoff(attempts) for _ in range(200)]
    assert all(0.8 * seconds <= delay <= 1.2 * seconds for delay in delays)
    assert len(set(delays)) > 1  # jittered, so retries of many chats do not line up


def test_the_platform_is_down_after_enough_failures_in_a_row_whatever_the_chats():
    health = PlatformHealth()
    for n in range(retry.DOWN_AFTER_FAILURES - 1):
        assert health.failed(f"c{n}") is None
    assert not health.down
    wait = health.failed("last")
    assert health.down and wait is not None and 0.8 <= wait <= 1.2
    assert health.until_probe(utcnow()) == pytest.approx(wait, abs=0.5)
    assert health.until_probe(utcnow() + timedelta(seconds=2)) is None  # the probe is due


def test_an_answer_in_between_starts_the_count_again():
    health = PlatformHealth()
    for _ in range(retry.DOWN_AFTER_FAILURES - 1):
        health.failed("c")
    assert health.answered() == 0  # it was up: no outage ended
    for _ in range(retry.DOWN_AFTER_FAILURES - 1):
        assert health.failed("c") is None
    assert not health.down


def test_while_down_only_the_probe_counts_and_its_answer_ends_the_outage():
    health = PlatformHealth()
    for _ in range(retry.DOWN_AFTER_FAILURES):
        health.failed("c")
    health.probing("probe")
    assert health.failed("late") is None  # a send from before the outage answering late
    assert health.failed_probes == 1
    wait = health.failed("probe")
    assert wait is not None and 1.6 <= wait <= 2.4  # back-off between probes
    for _ in range(20):
        health.probing("probe")
        wait = health.failed("probe")
    assert wait == retry.PROBE_CAP_SECONDS  # probes go out at most this far apart
    assert health.answered() == 22
    assert not health.down and health.failures_in_a_row == 0
