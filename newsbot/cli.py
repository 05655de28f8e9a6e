"""The `newsbot` command: run the bot, check a site, preview a post, see the workers.

Exit codes: 0 fine; 1 the configuration (or store) is unusable; 2 nothing to
run (no adapter turned on) or bad usage; 3 `check` found posts with problems.
Problems a person can act on are one line naming the file and key, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from newsbot import logs, registry
from newsbot.app import Newsroom, NoAdapters
from newsbot.config import AppConfig, ConfigError, load_config
from newsbot.ingest.posts import MAX_POST_BYTES, PostError, parse_post, read_post, too_large
from newsbot.ingest.site_posts import post_files
from newsbot.ops import status
from newsbot.ops.corrections import describe_corrections
from newsbot.registry import build_adapters, enable_hints
from newsbot.store import StoreError
from newsbot.types import FORMATS, Style, Summary

log = logging.getLogger(__name__)
EXIT_CONFIG, EXIT_NOTHING_TO_RUN, EXIT_POST_PROBLEMS = 1, 2, 3


def _config(path: str | None, *, console: bool = False) -> AppConfig:
    """The configuration, with the adapters' sections; `--console` turns the console on."""
    return load_config(path, overrides={"console": {"enabled": True}} if console else None)


def _fail(message: str, code: int) -> int:
    # redacted like a log line: an error from a library may quote a URL with a token in it
    print(f"newsbot: {logs.redact(message)}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args.config, console=args.console)
    logs.configure(config.log.level)
    try:
        asyncio.run(Newsroom(config).run_until_stopped())
    except NoAdapters as exc:
        return _fail(str(exc), EXIT_NOTHING_TO_RUN)
    except KeyboardInterrupt:
        pass
    return 0


def check_posts(
    config: AppConfig, out: TextIO, progress: TextIO | None = None
) -> list[tuple[str, int | None, str]]:
    """Parse every post; print a table of problems; return them."""
    problems: list[tuple[str, int | None, str]] = []
    count = 0
    for record in post_records(config, progress):
        if record["status"] == "problem":
            problems.append((record["path"], record.get("line"), record["problem"]))
        count += "line" in record or "id" in record  # a post file, not an entry passed over
    if problems:
        width = max(len(p[0]) for p in problems)
        print(f"{'file':<{width}}  {'line':>4}  problem", file=out)
        for rel, line, reason in problems:
            print(f"{rel:<{width}}  {line or '':>4}  {reason}", file=out)
    print(f"{count} posts checked, {len(problems)} with problems.", file=out)
    return problems


def post_records(config: AppConfig, progress: TextIO | None = None) -> Iterator[dict[str, Any]]:
    """What newsbot reads from every post file, in path order (`newsbot check --json`).

    Files passed over (a symlink leading out, an unreadable folder, a name Jekyll
    would not read) come first, as problems without an `id`.
    """
    site = config.site
    root = site.root
    passed_over: list[tuple[str, str]] = []
    found = post_files(site, skipped=lambda rel, why: passed_over.append((rel, why)))
    for rel, why in passed_over:
        yield {"path": rel, "status": "problem", "problem": why}
    files = sorted(found)
    if len(files) <= 200:
        progress = None  # a bar for a handful of files is noise
    step = max(1, len(files) // 100)
    now = datetime.now(UTC)
    for done, rel in enumerate(files, 1):
        record: dict[str, Any] = {"path": rel}
        try:
            if found[rel].st_size > MAX_POST_BYTES:
                raise too_large(found[rel].st_size)  # not even read
            post, published = read_post((root / rel).read_bytes(), rel, site, unpublished=True)
        except PostError as exc:
            record.update(status="problem", problem=str(exc), line=exc.line)
        except OSError as exc:
            record.update(status="problem", problem=f"cannot read: {exc.strerror or exc}",
                          line=None)
        else:
            assert post is not None
            held = post.date > now and not site.future
            status = "live" if published and not held else "held" if published else "unpublished"
            record.update(
                id=post.id, title=post.title, date=post.date.isoformat(), url=post.url,
                excerpt=post.excerpt, image=post.image_url, author=post.author,
                tags=list(post.tags), categories=list(post.categories), status=status,
            )
        if progress is not None and (done % step == 0 or done == len(files)):
            bar = "#" * (30 * done // len(files))
            progress.write(f"\rchecking posts [{bar:<30}] {done}/{len(files)}")
            progress.flush()
        yield record
    if progress is not None and files:
        progress.write("\n")


def describe_site(config: AppConfig) -> list[str]:
    """Where posts are read from, and what was taken from the site's `_config.yml`."""
    site = config.site
    if not site.jekyll:
        return [f"posts: every post file under {site.posts_dir} (site.posts_dir)"]
    lines = [f"posts: every _posts folder under {site.root} (site.source)"]
    if site.jekyll_file is None:
        lines.append(f"no _config.yml in {site.source}: Jekyll's defaults apply")
    else:
        taken = site.jekyll_taken
        values = ", ".join(f"{key}={value!r}" for key, value in taken.items()) or "nothing"
        lines.append(f"Jekyll configuration: {site.jekyll_file}: took {values}")
    return lines


def print_list(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    """The records as a table; returns how many had a problem."""
    rows = [(r["status"], r.get("date", "")[:16], r["path"], r.get("title", ""),
             r.get("url") or r.get("problem", "")) for r in records]
    headers = ("status", "date", "file", "title", "url or problem")
    widths = [max([len(h)] + [_shown(row[i]) for row in rows]) for i, h in enumerate(headers[:4])]
    for row in (headers, *rows):
        cells = [cell + " " * (width - _shown(cell))
                 for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]), file=out)
    return sum(1 for row in rows if row[0] == "problem")


def _shown(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK, full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args.config)
    root = config.site.root
    if not root.is_dir():
        key = "site.source" if config.site.jekyll else "site.posts_dir"
        raise ConfigError(f"{config.source}: {key}: folder not found: {root}")
    # With --json the output is the records alone: what is said of the setup goes to stderr.
    say = sys.stderr if args.json or args.list else sys.stdout
    print(f"configuration: {config.source} is valid", file=say)
    for line in describe_site(config):
        print(line, file=say)
    on = sorted(build_adapters_quietly(config))
    if on:
        print(f"adapters on: {', '.join(on)}", file=say)
    else:
        print("no adapter is turned on; set one of: " + "; ".join(enable_hints()), file=say)
    for line in describe_corrections(config.store.url):
        print(line, file=say)
    progress = sys.stderr if sys.stderr.isatty() and not (args.json or args.list) else None
    if args.json:
        problems = 0
        for record in post_records(config):
            problems += record["status"] == "problem"
            print(json.dumps({k: v for k, v in record.items() if k != "line"},
                             ensure_ascii=False))
        return EXIT_POST_PROBLEMS if problems else 0
    if args.list:
        return EXIT_POST_PROBLEMS if print_list(post_records(config), sys.stdout) else 0
    problems_found = check_posts(config, sys.stdout, progress)
    return EXIT_POST_PROBLEMS if problems_found else 0


def build_adapters_quietly(config: AppConfig) -> list[str]:
    """Names of the adapters the configuration turns on (built, never started)."""
    return list(build_adapters(config, desk=None))  # type: ignore[arg-type]


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args.config)
    # in a thread of its own, as `check` reads the store: a caller's loop may be running
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(status.read_report, config.store.url).result()
    print(json.dumps(status.as_json(report)) if args.json else status.as_text(report))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    config = _config(args.config)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror or exc})", EXIT_CONFIG)
    root = config.site.root.resolve()
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    try:
        post = parse_post(data, rel, config.site)
    except PostError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        return _fail(f"{where}: {exc}", EXIT_POST_PROBLEMS)
    if post is None:
        return _fail(f"{path}: not published (published: false or draft: true)", EXIT_POST_PROBLEMS)
    adapter = registry.load(args.platform)
    print(adapter.preview(Summary.of(post), Style(args.format, args.silent)))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="newsbot", description="Turn a folder of Jekyll-style posts into chat messages."
    )
    sub = top.add_subparsers(dest="command", required=True)
    config_help = "configuration file (default: $NEWSBOT_CONFIG or ./newsbot.toml)"
    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--config", help=config_help)
    run.add_argument("--console", action="store_true", help="use the bot in this terminal")
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check", help="validate the configuration and every post")
    check.add_argument("--config", help=config_help)
    shown = check.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true",
                       help="one JSON object per line for every post file")
    shown.add_argument("--list", action="store_true", help="every post file in a table")
    check.set_defaults(func=cmd_check)
    preview = sub.add_parser("preview", help="print exactly what would be sent for a post")
    preview.add_argument("file")
    preview.add_argument("--platform", default="console", choices=sorted(registry.available()))
    preview.add_argument("--format", default="full", choices=FORMATS,
                         help="how the story looks: a full card, a compact line, the headline")
    preview.add_argument("--silent", action="store_true", help="as sent without a notification")
    preview.add_argument("--config", help=config_help)
    preview.set_defaults(func=cmd_preview)
    state = sub.add_parser("status", help="the workers, what each holds, what waits to be sent")
    state.add_argument("--config", help=config_help)
    state.add_argument("--json", action="store_true", help="the report as one JSON object")
    state.set_defaults(func=cmd_status)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except StoreError as exc:
        return _fail(f"store: {exc}", EXIT_CONFIG)
    except BrokenPipeError:
        # the reader went away (`newsbot check --json | head`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
