"""A real PostgreSQL for the tests that need one: a throwaway database per test.

Where the server comes from, first match wins:
1. `NEWSBOT_TEST_POSTGRES`: the URL of a server to create databases on
   (`postgresql://postgres@127.0.0.1:5432/postgres`, say);
2. PostgreSQL's own programs (`initdb`, `pg_ctl`, found through `pg_config` or the
   usual install folders): a private server in a temporary folder, on a free port
   of 127.0.0.1, for this test run only (not as root, which `initdb` refuses);
3. a server answering on 127.0.0.1:5432 that lets the `postgres` user in.

With none of those the tests that need PostgreSQL are skipped and say what would
run them, except under CI (`CI` set), where that is an error: there they must run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

LOCAL_SERVICE = "postgresql://postgres@127.0.0.1:5432/postgres"
NEEDED = ("PostgreSQL is needed: install its server programs (initdb, pg_ctl), or run one on "
          "127.0.0.1:5432, or set NEWSBOT_TEST_POSTGRES to a server's URL")


def _bindir() -> Path | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             check=True).stdout.strip()
        if (Path(out) / "initdb").is_file():
            return Path(out)
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").is_file():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@contextlib.contextmanager
def _private_server(bindir: Path) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    port = _free_port()
    try:
        subprocess.run([str(bindir / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
                        "-A", "trust", "--no-sync"], check=True, capture_output=True)
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-w", "-l",
                        str(folder / "log"), "-o",
                        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start"], check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    if url := os.environ.get("NEWSBOT_TEST_POSTGRES"):
        yield url
        return
    bindir = _bindir()
    if bindir is not None and hasattr(os, "geteuid") and os.geteuid() != 0:
        with _private_server(bindir) as url:
            yield url
        return
    if _answers(LOCAL_SERVICE):
        yield LOCAL_SERVICE
        return
    if os.environ.get("CI"):
        pytest.fail(NEEDED)
    pytest.skip(NEEDED)


def database_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test (dropped after it): its plain URL,
    as a user writes it in `store.url`."""
    name = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield database_url(postgres_server, name)
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
