"""The `newsbot` command as a person uses it: run, check, preview, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.cli import check_posts, main
from tests.helpers import make_config, write_post


def newsbot(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60, env=full_env,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    make_config(tmp_path)
    posts = tmp_path / "_posts"
    write_post(posts, "2026-01-30-budget.md", "Budget  day", tags=["economy"])
    write_post(posts, "2026-01-31-vote.md", "The vote", tags=["politics"])
    return tmp_path


def test_run_console_answers_typed_commands_and_exits_at_end_of_input(site):
    result = newsbot("run", "--console", cwd=site, stdin="/latest 1\n/tag economy\n")
    assert result.returncode == 0, result.stderr
    assert "1. The vote (31 Jan 2026 10:00)" in result.stdout
    assert "Stories tagged economy:\n1. Budget day" in result.stdout
    assert (site / "newsbot.sqlite3").exists()


def test_run_without_any_adapter_says_how_to_turn_one_on(site):
    result = newsbot("run", cwd=site)
    assert result.returncode == 2
    assert "no adapter is turned on" in result.stderr
    assert "NEWSBOT_TELEGRAM_TOKEN" in result.stderr and "--console" in result.stderr


def test_bad_configuration_is_one_line_not_a_traceback(site):
    (site / "newsbot.toml").write_text('[site]\nurl = "not a url"\n', encoding="utf-8")
    result = newsbot("run", "--console", cwd=site)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "newsbot: newsbot.toml: site.url: must be an http(s) URL such as https://example.com"
    )


def test_missing_posts_folder_is_named(site, capsys):
    assert main(["check", "--config", str(site / "newsbot.toml")]) == 0
    (site / "_posts" / "2026-01-30-budget.md").unlink()
    (site / "_posts" / "2026-01-31-vote.md").unlink()
    (site / "_posts").rmdir()
    assert main(["check", "--config", str(site / "newsbot.toml")]) == 1
    assert "site.posts_dir: folder not found" in capsys.readouterr().err


def test_check_prints_a_table_of_problems(site, capsys):
    posts = site / "_posts"
    (posts / "2026-02-01-broken.md").write_text("---\ntitle: [1, 2]\n---\nx\n", encoding="utf-8")
    (posts / "2026-02-02-open.md").write_text("---\ntitle: Never closed\n", encoding="utf-8")
    code = main(["check", "--config", str(site / "newsbot.toml")])
    out = capsys.readouterr().out
    assert code == 3
    assert "configuration:" in out and "is valid" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("file"))
    table = lines[header + 1 : header + 3]
    assert table[0].startswith("2026-02-01-broken.md") and "title" in table[0]
    assert table[1].startswith("2026-02-02-open.md")
    assert "4 posts checked, 2 with problems." in out


def test_check_shows_progress_for_large_folders(tmp_path):
    config = make_config(tmp_path)
    for i in range(205):
        write_post(config.site.posts_dir, f"2026-01-01-p{i}.md", f"P {i}")
    import io

    out, bar = io.StringIO(), io.StringIO()
    assert check_posts(config, out, bar) == []
    assert "checking posts [" in bar.getvalue() and "205/205" in bar.getvalue()
    assert "205 posts checked, 0 with problems." in out.getvalue()


def test_preview_console_prints_the_story(site, capsys):
    post = site / "_posts" / "2026-01-30-budget.md"
    assert main(["preview", str(post), "--config", str(site / "newsbot.toml")]) == 0
    out = capsys.readouterr().out
    assert "Budget day\n" in out
    assert "https://news.example.org/news/2026/01/30/budget.html" in out


@pytest.mark.parametrize("platform", ["telegram", "discord"])
def test_preview_platform_prints_a_json_payload(site, capsys, platform):
    post = site / "_posts" / "2026-01-30-budget.md"
    code = main(["preview", str(post), "--platform", platform,
                 "--config", str(site / "newsbot.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Budget day" in out
    start = out.index("{")
    json.loads(out[start:])  # whatever its shape, it is the exact JSON that would be sent


MULTILINGUAL = Path(__file__).parent / "fixtures" / "sites" / "multilingual"


@pytest.fixture
def jekyll_config(tmp_path: Path) -> str:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[site]\nsource = "{MULTILINGUAL.as_posix()}"\n', encoding="utf-8")
    return str(config)


def test_check_json_is_one_object_per_post_file(jekyll_config, capsys):
    code = main(["check", "--json", "--config", jekyll_config])
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 3  # the undated file in de/news/_posts
    assert records[0] == {"path": "de/news/_posts/not-a-dated-post.md", "status": "problem",
                          "problem": "not a post for Jekyll: a file in _posts must be named "
                                     "YYYY-MM-DD-title.EXT"}
    ja = next(r for r in records if r["path"].startswith("ja/news/_posts/2024"))
    assert ja == {
        "path": "ja/news/_posts/2024-12-25-ruby-3-4-0-released.md",
        "id": "ja/news/_posts/2024-12-25-ruby-3-4-0-released.md",
        "title": "Ruby 3.4.0 リリース", "date": "2024-12-25T00:00:00+00:00",
        "url": "https://www.example-lang.org/ja/news/2024/12/25/ruby-3-4-0-released/",
        "excerpt": "Ruby 3.4.0が公開されました。（全角：ＡＢＣ１２３）", "image": None,
        "author": "naruse", "tags": [], "categories": ["ja", "news"], "status": "live",
    }
    assert len({r["url"] for r in records if "url" in r}) == 6
    # what was read and taken goes to stderr, so stdout stays JSON lines
    assert f"Jekyll configuration: {MULTILINGUAL / '_config.yml'}: took " in captured.err
    assert "permalink='pretty'" in captured.err and "timezone='UTC'" in captured.err


def test_check_list_shows_status_held_and_unpublished(tmp_path, capsys):
    site = tmp_path / "site"
    posts = site / "_posts"
    posts.mkdir(parents=True)
    (site / "_config.yml").write_text("url: https://example.org\n", encoding="utf-8")
    (posts / "2020-01-01-old.md").write_text("---\ntitle: Old\n---\nx\n", encoding="utf-8")
    (posts / "2999-01-01-later.md").write_text("---\ntitle: Later\n---\nx\n", encoding="utf-8")
    (posts / "2020-01-02-off.md").write_text("---\ntitle: Hidden\npublished: false\n---\nx\n",
                                             encoding="utf-8")
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[site]\nsource = "{site.as_posix()}"\n', encoding="utf-8")
    assert main(["check", "--list", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["status", "date", "file", "title", "url", "or", "problem"]
    rows = {line.split()[2]: line.split() for line in lines[1:]}
    assert rows["_posts/2020-01-01-old.md"][0] == "live"
    assert rows["_posts/2999-01-01-later.md"][0] == "held"
    assert rows["_posts/2020-01-02-off.md"][0] == "unpublished"
    assert rows["_posts/2020-01-01-old.md"][-1] == "https://example.org/2020/01/01/old.html"


def test_check_json_into_a_closed_pipe_stops_quietly(tmp_path):
    config = make_config(tmp_path)
    body = "A paragraph long enough to fill the pipe. " * 12 + "\n"
    for number in range(400):  # far more than a pipe's buffer holds
        write_post(config.site.posts_dir, f"2026-02-01-p{number}.md", f"Post {number}",
                   body=body)
    shell = (f"{sys.executable} -m newsbot check --json --config {tmp_path / 'newsbot.toml'}"
             " | head -n 1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.count("\n") == 1 and '"path"' in done.stdout
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def _store_with_jobs(url: str) -> None:
    """A store holding one pending edit, one deletion Telegram refused and one edit its
    destination no longer wanted."""
    import asyncio

    from sqlalchemy import insert

    from newsbot.store import Store, schema, utcnow

    async def fill() -> None:
        store = await Store.open(url)
        now = utcnow()
        common = {"platform": "telegram", "chat_id": "-1001", "post_id": "a.md",
                  "revision": 1, "attempts": 0, "next_attempt_at": now, "created_at": now,
                  "updated_at": now, "last_error": None}
        try:
            async with store.engine.begin() as conn:
                await conn.execute(insert(schema.edits), [
                    {**common, "outbox_id": 1, "message_id": "7", "status": "pending",
                     "action": "edit"},
                    {**common, "outbox_id": 2, "message_id": "8", "status": "failed",
                     "action": "delete", "last_error": "message can't be deleted"},
                    {**common, "outbox_id": 3, "message_id": "9", "status": "skipped",
                     "action": "edit", "last_error": "the destination takes no corrections"},
                ])
        finally:
            await store.close()

    asyncio.run(fill())


def test_check_shows_pending_and_failed_corrections(site, capsys):
    config = site / "newsbot.toml"
    assert main(["check", "--config", str(config)]) == 0
    assert "corrections:" not in capsys.readouterr().out  # no store yet: none created
    assert not (site / "newsbot.sqlite3").exists()
    _store_with_jobs(f"sqlite:///{site / 'newsbot.sqlite3'}")
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "corrections: 1 pending, 1 failed, 0 gone, 0 done, 1 skipped\n" in out
    assert ("  delete failed: telegram:-1001 message 8 (a.md): message can't be deleted"
            in out)
