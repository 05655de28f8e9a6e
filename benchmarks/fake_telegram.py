"""The fake Bot API in a process of its own, for measurements where it must not share the
bot's event loop (`paid_broadcast.py`): `python -m benchmarks.fake_telegram`.

It enforces Telegram's flood limits (`FloodLimits`: 30 messages a second, 1,000 with
`allow_paid_broadcast`), prints one JSON line with its `api_url` and the URL of its
`stats`, and runs until SIGTERM. `GET <stats>?title=...` answers the accepted sends
whose visible text contains the title, as `[chat_id, arrival]` pairs (arrival on
`time.perf_counter()`, the system-wide monotonic clock on Linux, so comparable with the
caller's), with the 429s it answered, the paid messages it would bill, the getMe calls
(one per worker that started) and its own CPU seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.fake_bot_api import SENDING, FakeBotAPI, FloodLimits


async def main() -> None:
    fake = FakeBotAPI(spec=SpecChecker.from_env(), limits=FloodLimits())
    await fake.start()

    async def stats(request: web.Request) -> web.Response:
        title = request.query.get("title", "")
        sends = [[c.chat_id, c.at] for c in fake.calls
                 if c.ok and c.method in SENDING and title in (c.visible or "")]
        times = os.times()
        return web.json_response({
            "sends": sends, "throttled": len(fake.throttled), "billed": fake.billed,
            "started": len(fake.requests("getMe")), "conflicts": len(fake.conflicts),
            "violations": fake.violations[:20], "cpu_seconds": times.user + times.system,
        })

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    print(json.dumps({"api_url": fake.api_url, "stats": f"http://127.0.0.1:{port}/stats"}),
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
