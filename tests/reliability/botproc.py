"""The real `newsbot run` as a subprocess, for fault tests: start it, read its output,
measure its memory, limit its file sizes, stop it gently or kill it.

Output is read through pipes by two threads (pipes, not files: a test that limits
the bot's file sizes must not cut its logs). The site is a folder in the test's
tmp_path with a `newsbot.toml`; platforms are reached through environment
variables, as a person would configure them.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from tests.helpers import SITE_URL

#: nothing the bot does here should take longer; a hang fails instead of waiting for ever
DEFAULT_WAIT = 30.0


def write_site(root: Path, *, rescan_seconds: float = 60.0) -> Path:
    """`root/newsbot.toml` over `root/_posts` and `root/newsbot.sqlite3`; returns the file."""
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    config = root / "newsbot.toml"
    config.write_text(
        "\n".join([
            "[site]", f'url = "{SITE_URL}"', 'posts_dir = "_posts"',
            f"rescan_seconds = {rescan_seconds}",
            "[store]", 'url = "sqlite:///newsbot.sqlite3"',
        ]) + "\n",
        encoding="utf-8",
    )
    return config


class BotProcess:
    """One `newsbot run --config FILE` at a time; `start()` again after it ended."""

    def __init__(self, config: Path, env: Mapping[str, str]) -> None:
        self.config = config
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        self.env.update(env)
        self.env["PYTHONUNBUFFERED"] = "1"
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs: list[list[str]] = []  # the output lines of each run, stdout and stderr
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------

    def start(self, *args: str) -> None:
        assert self.proc is None or self.proc.poll() is not None, "the bot is still running"
        self._join_readers()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsbot", *(args or ("run",)), "--config", str(self.config)],
            cwd=self.config.parent, env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        lines: list[str] = []
        self.runs.append(lines)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream in (self.proc.stdout, self.proc.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[bytes], lines: list[str]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                with self._lock:
                    lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(timeout=10)
        self._readers = []

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def wait_exit(self, within: float = DEFAULT_WAIT) -> int:
        """The exit code, once the process has ended (fails after `within` seconds)."""
        assert self.proc is not None
        deadline = time.monotonic() + within
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not exit within {within:g}s:\n{self.tail()}")
            await asyncio.sleep(0.05)
        self._join_readers()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, the store is left as it was."""
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._join_readers()

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def close(self) -> None:
        """Kill whatever still runs and reap it (every test ends with this)."""
        self.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)

    # -- looking at it -----------------------------------------------------------

    def lines(self, run: int | None = None) -> list[str]:
        with self._lock:
            if run is not None:
                return list(self.runs[run])
            return [line for lines in self.runs for line in lines]

    def output(self) -> str:
        return "\n".join(self.lines())

    def tail(self, count: int = 40) -> str:
        return "\n".join(self.lines()[-count:])

    async def wait_for(self, check: Callable[[], object], what: str,
                       within: float = DEFAULT_WAIT) -> None:
        """Poll `check()` until true; fail with the bot's last output if it never is."""
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {within:g}s; the bot said:\n"
                                     f"{self.tail()}")
            if not self.running and not check():
                raise AssertionError(f"{what}: the bot exited ({self.proc and self.proc.poll()})"
                                     f":\n{self.tail()}")
            await asyncio.sleep(0.05)

    async def wait_for_line(self, text: str, within: float = DEFAULT_WAIT) -> None:
        run = len(self.runs) - 1
        await self.wait_for(lambda: any(text in line for line in self.lines(run)),
                            f"a line with {text!r}", within)

    def rss_kb(self) -> int:
        """Resident memory of the process now, from /proc/<pid>/status."""
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")

    def limit_file_size(self, size: int) -> None:
        """From now on the process cannot make any file bigger than `size` bytes: its
        writes past that fail as on a full disk (Python ignores SIGXFSZ). Pipes are not
        files, so its output still gets through."""
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (size, size))
