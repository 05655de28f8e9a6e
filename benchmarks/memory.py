"""Peak memory and restart time of the bot process over a big site, measured in a subprocess.

The probe (`probe.py`) runs the bot with Telegram and Discord turned on,
pointed at fakes this process serves, twice over the same folder: a first
start (the store is empty: every post is read, parsed and written) and a
restart (nothing changed: every file is only stat'ed), during which it also
measures the queries (`queries.py`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.delivery import Fakes
from benchmarks.site import token_env, write_config

ROOT = Path(__file__).resolve().parent.parent


async def measure(
    posts_dir: Path, count: int, workdir: Path, query_calls: int, tags: list[str]
) -> dict[str, Any]:
    """The memory figures, and under "queries" the query figures (when `query_calls`)."""
    fakes = await Fakes.start([])
    try:
        config = write_config(workdir, posts_dir, fakes.endpoints)
        env = {**os.environ, **token_env(fakes.endpoints)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        cold = await _probe(config, env)
        restart = await _probe(config, env, str(query_calls), ",".join(tags))
    finally:
        await fakes.close()
    return {
        "posts": count,
        "cold_seconds": cold["start_seconds"],
        "cold_posts_per_s": round(count / cold["start_seconds"]),
        "cold_peak_rss_mb": cold["peak_rss_mb"],
        "cold_worker_peak_rss_mb": cold["worker_peak_rss_mb"],
        "restart_seconds": restart["delivering_seconds"],
        "restart_all_seconds": restart["start_seconds"],
        "restart_peak_rss_mb": restart["peak_rss_mb"],
        "queries": restart.get("queries"),
    }


async def _probe(config: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.probe", str(config), *args,
        cwd=str(config.parent), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the probe failed ({process.returncode}):\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result
