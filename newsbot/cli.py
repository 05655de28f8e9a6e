"""The `newsbot` command: run the bot, check a site, preview a post.

Exit codes: 0 fine; 1 the configuration (or store) is unusable; 2 nothing to
run (no adapter turned on) or bad usage; 3 `check` found posts with problems.
Problems a person can act on are one line naming the file and key, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from newsbot import logs, registry
from newsbot.app import Newsroom, NoAdapters, build_adapters, enable_hints
from newsbot.config import AppConfig, ConfigError, load_config
from newsbot.ingest.discover import find_post_files
from newsbot.ingest.posts import MAX_POST_BYTES, PostError, parse_post, too_large
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
    root = config.site.posts_dir
    problems: list[tuple[str, int | None, str]] = []
    found = find_post_files(root, skipped=lambda rel, why: problems.append((rel, None, why)))
    files = sorted(found)
    if len(files) <= 200:
        progress = None  # a bar for a handful of files is noise
    step = max(1, len(files) // 100)
    for done, rel in enumerate(files, 1):
        try:
            if found[rel].st_size > MAX_POST_BYTES:
                raise too_large(found[rel].st_size)  # not even read
            parse_post((root / rel).read_bytes(), rel, config.site)
        except PostError as exc:
            problems.append((rel, exc.line, str(exc)))
        except OSError as exc:
            problems.append((rel, None, f"cannot read: {exc.strerror or exc}"))
        if progress is not None and (done % step == 0 or done == len(files)):
            bar = "#" * (30 * done // len(files))
            progress.write(f"\rchecking posts [{bar:<30}] {done}/{len(files)}")
            progress.flush()
    if progress is not None and files:
        progress.write("\n")
    if problems:
        width = max(len(p[0]) for p in problems)
        print(f"{'file':<{width}}  {'line':>4}  problem", file=out)
        for rel, line, reason in problems:
            print(f"{rel:<{width}}  {line or '':>4}  {reason}", file=out)
    print(f"{len(files)} posts checked, {len(problems)} with problems.", file=out)
    return problems


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args.config)
    root = config.site.posts_dir
    if not root.is_dir():
        raise ConfigError(f"{config.source}: site.posts_dir: folder not found: {root}")
    print(f"configuration: {config.source} is valid")
    on = sorted(build_adapters_quietly(config))
    if on:
        print(f"adapters on: {', '.join(on)}")
    else:
        print("no adapter is turned on; set one of: " + "; ".join(enable_hints()))
    progress = sys.stderr if sys.stderr.isatty() else None
    problems = check_posts(config, sys.stdout, progress)
    return EXIT_POST_PROBLEMS if problems else 0


def build_adapters_quietly(config: AppConfig) -> list[str]:
    """Names of the adapters the configuration turns on (built, never started)."""
    return list(build_adapters(config, desk=None))  # type: ignore[arg-type]


def cmd_preview(args: argparse.Namespace) -> int:
    config = _config(args.config)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror or exc})", EXIT_CONFIG)
    root = config.site.posts_dir.resolve()
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
    check.set_defaults(func=cmd_check)
    preview = sub.add_parser("preview", help="print exactly what would be sent for a post")
    preview.add_argument("file")
    preview.add_argument("--platform", default="console", choices=sorted(registry.available()))
    preview.add_argument("--format", default="full", choices=FORMATS,
                         help="how the story looks: a full card, a compact line, the headline")
    preview.add_argument("--silent", action="store_true", help="as sent without a notification")
    preview.add_argument("--config", help=config_help)
    preview.set_defaults(func=cmd_preview)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except StoreError as exc:
        return _fail(f"store: {exc}", EXIT_CONFIG)


if __name__ == "__main__":
    sys.exit(main())
