"""The benchmarks in smoke mode, so their code never rots: every figure present and sane.

Nothing here looks at a timing: the smoke sizes are tiny and CI machines are
busy. It checks that each measurement ran against the fakes with their limits
on, that nothing was lost or duplicated, and that counts add up.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report import TARGETS
from benchmarks.run import SMOKE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)],
        # a hang guard, not a timing: the smoke run takes about a minute on 2 cores, a
        # third of it the indexer failover, which has to wait out a lease
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| measurement | result |" in done.stdout  # the table was printed
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_indexing_figures(figures: dict[str, Any]) -> None:
    index = figures["index"]
    assert index["posts"] == SMOKE.index_posts
    assert index["cold_posts_per_s"] > 0 and index["baseline_posts_per_s"] > 0
    assert index["cold_vs_baseline"] > 0 and index["warm_seconds"] > 0


def test_every_sample_was_delivered_on_both_platforms(figures: dict[str, Any]) -> None:
    detect = figures["detect_to_deliver"]
    assert detect["samples"] == SMOKE.samples
    for platform in ("telegram", "discord"):
        assert detect[platform]["missed"] == 0
        p50, p99 = detect[platform]["p50_ms"], detect[platform]["p99_ms"]
        assert 0 < p50 <= p99


@pytest.mark.parametrize(
    ("platform", "destinations"),
    [("telegram", SMOKE.telegram_chats), ("discord", SMOKE.discord_channels)],
)
def test_fan_out_reaches_everyone_once(
    figures: dict[str, Any], platform: str, destinations: int
) -> None:
    fan = figures["fan_out"][platform]
    assert fan["destinations"] == fan["delivered"] == destinations
    assert fan["lost"] == 0 and fan["duplicated"] == 0
    assert fan["throttled_429"] >= 0 and fan["rate_per_s"] > 0 and fan["wall_seconds"] > 0
    assert fan["limit_per_s"] == {"telegram": 30, "discord": 50}[platform]


def test_every_correction_was_edited_once_everywhere(figures: dict[str, Any]) -> None:
    first = figures["save_to_first_edit"]
    assert first["samples"] == SMOKE.samples and first["missed"] == 0
    assert 0 < first["p50_ms"] <= first["p99_ms"]
    for platform, destinations in (("telegram", SMOKE.telegram_chats),
                                   ("discord", SMOKE.discord_channels)):
        fixes = figures["correction_fan_out"][platform]
        assert fixes["destinations"] == fixes["delivered"] == destinations
        assert fixes["lost"] == 0 and fixes["duplicated"] == 0
        assert fixes["rate_per_s"] > 0


def test_a_paid_broadcast_reaches_every_chat_once(figures: dict[str, Any]) -> None:
    paid = figures["paid_broadcast"]
    assert paid["chats"] == SMOKE.paid_chats and paid["limit_per_s"] == 1000
    [row] = paid["rows"]  # one worker by default
    assert row["workers"] == 1
    assert row["destinations"] == row["delivered"] == SMOKE.paid_chats
    assert row["lost"] == 0 and row["duplicated"] == 0 and row["conflicts_409"] == 0
    assert row["protocol_problems"] == []
    assert row["throttled_429"] >= 0 and row["rate_per_s"] > 0 and row["workers_cpu"] > 0


def test_several_workers_share_a_fan_out_and_replace_a_dead_indexer(
    figures: dict[str, Any],
) -> None:
    several = figures["workers"]  # PostgreSQL: the tests need it anyway (tests/postgres.py)
    assert several["chats"] == SMOKE.workers_chats and several["limit_per_s"] == 30
    assert [row["workers"] for row in several["fan_out"]] == [1, 3]
    for row in several["fan_out"]:
        assert row["destinations"] == row["delivered"] == SMOKE.workers_chats
        assert row["lost"] == 0 and row["duplicated"] == 0 and row["protocol_problems"] == []
        assert row["throttled_429"] >= 0 and row["rate_per_s"] > 0 and row["workers_cpu"] > 0
    failover = several["failover"]
    assert failover["runs"] == failover["delivered"] == SMOKE.failover_runs
    assert failover["p50_s"] > 0 and len(failover["samples_s"]) == SMOKE.failover_runs


def test_requests_were_ones_the_platforms_accept(figures: dict[str, Any]) -> None:
    assert figures["protocol_problems"] == []


def test_queries_and_memory_cover_the_whole_store(figures: dict[str, Any]) -> None:
    assert figures["queries"]["posts"] == figures["memory"]["posts"] == SMOKE.store_posts
    assert figures["queries"]["by_tag_answered"] == figures["queries"]["calls"]
    for name in ("latest", "by_tag"):
        assert 0 < figures["queries"][name]["p50_ms"] <= figures["queries"][name]["p99_ms"]
    memory = figures["memory"]
    assert memory["cold_peak_rss_mb"] > 10 and memory["restart_peak_rss_mb"] > 10
    assert 0 < memory["restart_seconds"] <= memory["restart_all_seconds"]


def test_every_target_is_reported(figures: dict[str, Any]) -> None:
    assert [t["target"] for t in figures["targets"]] == [t.name for t in TARGETS]
    assert all(t["value"] is not None for t in figures["targets"])
