"""The figures as a table and as JSON, and the targets the project aims at.

Targets are reported, never asserted: a benchmark that fails a build on a
busy machine teaches people to ignore it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def percentiles(
    values: Sequence[float], scale: float = 1.0, suffix: str = "", qs: Sequence[int] = (50, 95, 99)
) -> dict[str, float | None]:
    """{"p50<suffix>": …} scaled (seconds → ms with scale=1000); None when there are no values."""
    out: dict[str, float | None] = {}
    for q in qs:
        value = percentile(values, q) * scale
        out[f"p{q}{suffix}"] = None if math.isnan(value) else round(value, 3)
    out["max" + suffix] = round(max(values) * scale, 3) if values else None
    return out


def spread(
    sends: Sequence[tuple[str, float]], wanted: Sequence[str], written: float, limit: float,
    throttled: int,
) -> dict[str, Any]:
    """One story's fan-out as the fake saw it: `sends` (destination, when) of the story
    written at `written`, to the destinations `wanted`, against the platform's `limit`
    per second; the rate is over the sends' own span, the wall time from the write."""
    per_chat = Counter(chat for chat, _ in sends)
    times = sorted(at for _, at in sends)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    return {
        "destinations": len(wanted),
        "delivered": sum(1 for chat in wanted if per_chat[chat]),
        "lost": sum(1 for chat in wanted if not per_chat[chat]),
        "duplicated": sum(n - 1 for n in per_chat.values() if n > 1),
        "throttled_429": throttled,
        "wall_seconds": round(times[-1] - written, 3) if times else None,
        "first_send_ms": round((times[0] - written) * 1000, 1) if times else None,
        "rate_per_s": round(rate, 2),
        "limit_per_s": limit,
        "percent_of_limit": round(100 * rate / limit, 1),
    }


def spread_cells(f: dict[str, Any]) -> str:
    """A `spread` as a table cell: time, rate against the limit, 429s, lost, duplicated."""
    return (f"{f['wall_seconds']} s · {f['rate_per_s']}/s = {f['percent_of_limit']}% of "
            f"{f['limit_per_s']:,g}/s · {f['throttled_429']} × 429 · {f['lost']} lost · "
            f"{f['duplicated']} duplicated")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    wanted: str
    value: Callable[[dict[str, Any]], Any]
    met: Callable[[dict[str, Any]], bool]
    unit: str = ""


def _get(figures: dict[str, Any], *keys: str) -> Any:
    value: Any = figures
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _bound(name: str, wanted: str, keys: tuple[str, ...], *, most: float | None = None,
           least: float | None = None, unit: str = "") -> Target:
    def value(figures: dict[str, Any]) -> Any:
        return _get(figures, *keys)

    def met(figures: dict[str, Any]) -> bool:
        found = value(figures)
        if found is None:
            return False
        return (most is None or found <= most) and (least is None or found >= least)

    return Target(name, wanted, value, met, unit)


def _fan_out(platform: str) -> Target:
    def value(figures: dict[str, Any]) -> Any:
        fan = _get(figures, "fan_out", platform)
        if fan is None:
            return None
        return (f"{fan['percent_of_limit']}%, {fan['throttled_429']} × 429, "
                f"{fan['lost']} lost, {fan['duplicated']} dup")

    def met(figures: dict[str, Any]) -> bool:
        fan = _get(figures, "fan_out", platform)
        return bool(fan) and fan["percent_of_limit"] >= 95 and fan["throttled_429"] == 0 \
            and fan["lost"] == 0 and fan["duplicated"] == 0

    return Target(f"fan-out, {platform.title()}", "≥ 95%, 0 × 429, 0 lost, 0 dup", value, met)


def _correction(platform: str) -> Target:
    fan = _fan_out(platform)

    def moved(figures: dict[str, Any]) -> dict[str, Any]:
        return {"fan_out": figures.get("correction_fan_out") or {}}

    return Target(f"correction fan-out, {platform.title()}", fan.wanted,
                  lambda f: fan.value(moved(f)), lambda f: fan.met(moved(f)))


def _shared_fan_out() -> Target:
    def row(figures: dict[str, Any]) -> dict[str, Any] | None:
        found = _get(figures, "workers")
        if not found:
            return None
        return next((r for r in found.get("fan_out", []) if r["workers"] == 3), None)

    def value(figures: dict[str, Any]) -> Any:
        found = _get(figures, "workers")
        if found and "skipped" in found:
            return f"not run: {found['skipped']}"
        r = row(figures)
        if r is None:
            return None
        return (f"{r['percent_of_limit']}%, {r['throttled_429']} × 429, {r['lost']} lost, "
                f"{r['duplicated']} dup")

    def met(figures: dict[str, Any]) -> bool:
        r = row(figures)
        return r is not None and r["percent_of_limit"] >= 95 and r["throttled_429"] == 0 \
            and r["lost"] == 0 and r["duplicated"] == 0

    return Target("fan-out, Telegram, 3 workers on PostgreSQL",
                  "≥ 95%, 0 × 429, 0 lost, 0 dup", value, met)


def _failover() -> Target:
    bound = _bound("indexer failover p50 (SIGKILL → next story delivered)", "≤ 20 s",
                   ("workers", "failover", "p50_s"), most=20.0, unit="s")

    def value(figures: dict[str, Any]) -> Any:
        found = _get(figures, "workers")
        if found and "skipped" in found:
            return f"not run: {found['skipped']}"
        return bound.value(figures)

    return Target(bound.name, bound.wanted, value, bound.met, bound.unit)


TARGETS = [
    *(
        _bound(f"detect→deliver {q}, {platform.title()}", f"≤ {limit} ms",
               ("detect_to_deliver", platform, f"{q}_ms"), most=limit, unit="ms")
        for platform in ("telegram", "discord")
        for q, limit in (("p50", 300), ("p99", 1000))
    ),
    _fan_out("telegram"),
    _fan_out("discord"),
    _bound("save→first edit p50", "≤ 300 ms", ("save_to_first_edit", "p50_ms"), most=300,
           unit="ms"),
    _correction("telegram"),
    _correction("discord"),
    _bound("cold index", "≥ 5,000 posts/s", ("index", "cold_posts_per_s"), least=5000,
           unit="posts/s"),
    _bound("cold index ÷ plain frontmatter.load", "≥ 1.0", ("index", "cold_vs_baseline"),
           least=1.0),
    _bound("restart over 100,000 unchanged posts", "≤ 3 s", ("memory", "restart_seconds"),
           most=3.0, unit="s"),
    _bound("latest p99", "≤ 5 ms", ("queries", "latest", "p99_ms"), most=5.0, unit="ms"),
    _bound("by_tag p99", "≤ 5 ms", ("queries", "by_tag", "p99_ms"), most=5.0, unit="ms"),
    _bound("peak memory, 100,000 posts", "≤ 200 MB", ("memory", "cold_peak_rss_mb"),
           most=200, unit="MB"),
    _bound("matching a story, 10,000 destinations, p50", "≤ 50 ms",
           ("matching", "p50_ms"), most=50.0, unit="ms"),
    _shared_fan_out(),
    _failover(),
]


def judge(figures: dict[str, Any], *, full_size: bool = True) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met (None: the run was too
    small for the target to apply, as in `--smoke`)."""
    return [
        {"target": t.name, "wanted": t.wanted, "value": t.value(figures), "unit": t.unit,
         "met": t.met(figures) if full_size else None}
        for t in TARGETS
    ]


def table(figures: dict[str, Any]) -> str:
    """The figures as a Markdown table (what the README shows), then the targets."""
    rows: list[tuple[str, str]] = []
    index = figures.get("index")
    if index:
        n = f"{index['posts']:,}"
        rows += [
            (f"cold index, {n} posts", f"{index['cold_posts_per_s']:,} posts/s "
                                      f"({index['cold_seconds']} s)"),
            (f"plain `frontmatter.load`, {n} posts",
             f"{index['baseline_posts_per_s']:,} posts/s (bot ÷ plain = "
             f"{index['cold_vs_baseline']})"),
            (f"restart over {n} unchanged posts", f"{index['warm_seconds']} s"),
        ]
    detect = figures.get("detect_to_deliver")
    if detect:
        for platform in ("telegram", "discord"):
            d = detect[platform]
            rows.append((
                f"detect→deliver, {platform.title()} ({detect['samples']} samples)",
                f"p50 {d['p50_ms']:.0f} ms · p95 {d['p95_ms']:.0f} ms · p99 {d['p99_ms']:.0f} ms"
                + (f" · {d['missed']} missed" if d["missed"] else ""),
            ) if d["p50_ms"] is not None else (platform, "no sample arrived"))
    fan = figures.get("fan_out")
    if fan:
        for platform in ("telegram", "discord"):
            f = fan[platform]
            rows.append((f"fan-out, {platform.title()}, {f['destinations']:,} destinations",
                         spread_cells(f)))
    first_edit = figures.get("save_to_first_edit")
    if first_edit and first_edit["p50_ms"] is not None:
        rows.append((
            f"save→first edit request ({first_edit['samples']} corrections)",
            f"p50 {first_edit['p50_ms']:.0f} ms · p95 {first_edit['p95_ms']:.0f} ms · "
            f"p99 {first_edit['p99_ms']:.0f} ms"
            + (f" · {first_edit['missed']} missed" if first_edit["missed"] else ""),
        ))
    fixes = figures.get("correction_fan_out")
    if fixes:
        for platform in ("telegram", "discord"):
            f = fixes[platform]
            rows.append((f"correction fan-out, {platform.title()}, {f['destinations']:,} "
                         "messages edited", spread_cells(f)))
    match = figures.get("matching")
    if match:
        rows.append((
            f"matching one story, {match['destinations']:,} destinations "
            f"({match['with_patterns']:,} with patterns)",
            f"p50 {match['p50_ms']:.1f} ms · p99 {match['p99_ms']:.1f} ms · first (reads and "
            f"prepares them) {match['first_ms']} ms · {match['matched_mean']:,} matched, their "
            f"outbox rows written in {match['writing_p50_ms']:.0f} ms (p50)",
        ))
    queries = figures.get("queries")
    if queries:
        for name, label in (("latest", "`latest`"), ("by_tag", "`by_tag`"),
                            ("by_tag_misspelt", "`by_tag`, misspelt tag (suggestions)")):
            q = queries[name]
            rows.append((f"{label}, {queries['posts']:,} posts in the store",
                         f"p50 {q['p50_ms']:.2f} ms · p99 {q['p99_ms']:.2f} ms"))
        rows.append((f"`tags`, first call, {queries['posts']:,} posts",
                     f"{queries['tags_first_call_ms']} ms (then kept until posts change)"))
    memory = figures.get("memory")
    if memory:
        n = f"{memory['posts']:,}"
        rows += [
            (f"first start over {n} posts, all adapters",
             f"{memory['cold_posts_per_s']:,} posts/s ({memory['cold_seconds']} s)"),
            (f"peak RSS, first start over {n} posts", f"{memory['cold_peak_rss_mb']} MB"
             + _workers(memory, "cold")),
            (f"peak RSS, restart over {n} posts", f"{memory['restart_peak_rss_mb']} MB"),
            (f"restart over {n} unchanged posts, all adapters",
             f"{memory['restart_seconds']} s to delivering · {memory['restart_all_seconds']} s "
             "until every gateway is up"),
        ]
    paid = figures.get("paid_broadcast")
    if paid:
        from benchmarks.paid_broadcast import rows as paid_rows

        rows += paid_rows(paid)
    several = figures.get("workers")
    if several:
        from benchmarks.workers import rows as workers_rows

        rows += workers_rows(several)
    lines = ["| measurement | result |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", "| target | wanted | measured | met |", "|---|---|---|---|"]
    for verdict in figures.get("targets", []):
        value = verdict["value"]
        met = {True: "yes", False: "NO", None: "— (smoke)"}[verdict["met"]]
        lines.append(f"| {verdict['target']} | {verdict['wanted']} | "
                     f"{_shown(value, verdict.get('unit', ''))} | {met} |")
    return "\n".join(lines)


def _shown(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and unit in ("ms", "MB"):
        value = f"{value:.0f}" if value >= 10 else f"{value:.2f}"
    elif isinstance(value, int) and value >= 1000:
        value = f"{value:,}"
    return f"{value} {unit}".strip()


def _workers(memory: dict[str, Any], phase: str) -> str:
    workers = memory.get(f"{phase}_worker_peak_rss_mb")
    return f" (+ reader processes, {workers} MB each at most)" if workers else ""


def write_json(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
