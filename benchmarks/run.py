"""Every benchmark in one run: `python -m benchmarks` (or `python benchmarks/run.py`).

Prints a table and, with `--json PATH`, writes the same figures as JSON.
Sizes: indexing N = 10,000 generated posts (100,000 with `--large`); a store
of 100,000 posts for the queries and the memory probe; 50 detect-to-deliver
samples; fan-out to 1,000 Telegram chats and 200 Discord channels; one story matched
against 10,000 destinations' tags and filters; a paid broadcast to 10,000 Telegram
chats by `newsbot run` workers (`--paid-workers`, default 1); a fan-out to 3,000
Telegram chats by one and by three workers on PostgreSQL, and the indexer's failover
over 5 kills (`workers.py`). `--smoke`
runs everything tiny, in seconds, so the test suite can keep this code alive.
Generated sites and stores live in a temporary folder, removed afterwards
(`--workdir` keeps them). The bot's own log goes to `bench.log` there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import delivery, index, matching, memory, paid_broadcast, workers
from benchmarks.corpus import write_corpus
from benchmarks.report import judge, table, write_json
from benchmarks.site import quick_discord_ready

SECTIONS = ("index", "delivery", "matching", "memory", "queries", "paid", "workers")


@dataclass(frozen=True, slots=True)
class Sizes:
    index_posts: int = 10_000
    store_posts: int = 100_000
    samples: int = 50
    telegram_chats: int = 1_000
    discord_channels: int = 200
    query_calls: int = 500
    destinations: int = 10_000
    matching_samples: int = 30
    paid_chats: int = 10_000
    workers_chats: int = 3_000
    failover_runs: int = 5


FULL = Sizes()
SMOKE = Sizes(index_posts=300, store_posts=600, samples=4, telegram_chats=40,
              discord_channels=12, query_calls=20, destinations=200, matching_samples=3,
              paid_chats=60, workers_chats=60, failover_runs=1)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


async def run(sizes: Sizes, workdir: Path, sections: tuple[str, ...],
              paid_workers: tuple[int, ...] = paid_broadcast.WORKERS) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "sizes": asdict(sizes)}
    started = time.perf_counter()
    store_site = None
    if "memory" in sections or "queries" in sections:
        _say(f"writing {sizes.store_posts:,} posts")
        store_site = write_corpus(workdir / "big" / "_posts", sizes.store_posts)
    if "index" in sections:
        if store_site is not None and store_site.count == sizes.index_posts:
            site = store_site
        else:
            _say(f"writing {sizes.index_posts:,} posts")
            site = write_corpus(workdir / "site" / "_posts", sizes.index_posts)
        _say("indexing")
        figures["index"] = await index.measure(site.root, site.count, workdir / "index")
    if "delivery" in sections:
        _say("detect to deliver, then fan-out (limits enforced)")
        figures.update(await delivery.measure(
            workdir / "live", samples=sizes.samples, telegram_chats=sizes.telegram_chats,
            discord_channels=sizes.discord_channels,
        ))
    if "matching" in sections:
        _say(f"matching a story against {sizes.destinations:,} destinations")
        figures["matching"] = await matching.measure(
            workdir / "matching", sizes.destinations, sizes.matching_samples
        )
    if "paid" in sections:
        _say(f"paid broadcast to {sizes.paid_chats:,} chats by {paid_workers} worker(s)")
        figures["paid_broadcast"] = await paid_broadcast.measure(
            workdir / "paid", sizes.paid_chats, paid_workers)
    if "workers" in sections:
        _say(f"fan-out to {sizes.workers_chats:,} chats by 1 and 3 workers; "
             f"{sizes.failover_runs} indexer failover(s)")
        figures["workers"] = await workers.measure(
            workdir / "workers", sizes.workers_chats, sizes.failover_runs)
    if store_site is not None:
        _say(f"the bot in a subprocess over {store_site.count:,} posts, queries in it")
        calls = sizes.query_calls if "queries" in sections else 0
        tags = store_site.common_tags(5) + store_site.rare_tags(5)
        found = await memory.measure(store_site.root, store_site.count, workdir / "probe",
                                     calls, tags)
        if calls:
            figures["queries"] = found.pop("queries")
        if "memory" in sections:
            figures["memory"] = found
    figures["seconds"] = round(time.perf_counter() - started, 1)
    figures["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["targets"] = judge(figures, full_size=sizes.store_posts >= FULL.store_posts)
    return figures


def _say(what: str) -> None:
    print(f"… {what}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=summary)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_true", help="everything tiny, in seconds")
    size.add_argument("--large", action="store_true", help="index 100,000 posts, not 10,000")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures here")
    parser.add_argument("--workdir", type=Path, help="keep generated sites and stores here")
    parser.add_argument("--paid-workers", default=",".join(map(str, paid_broadcast.WORKERS)),
                        help="worker counts for the paid broadcast rows, such as 1,2,4")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (of {', '.join(SECTIONS)})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = SMOKE if args.smoke else replace(FULL, index_posts=100_000) if args.large else FULL
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        print(f"unknown section(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=workdir / "bench.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the fakes' every request
    quick_discord_ready()
    try:
        workers = tuple(int(n) for n in args.paid_workers.split(",") if n.strip())
        figures = asyncio.run(run(sizes, workdir, sections, workers))
    finally:
        logging.shutdown()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(figures))
    if args.json:
        write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
