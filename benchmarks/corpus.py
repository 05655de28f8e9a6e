"""Generated Jekyll sites for the benchmarks: many posts shaped like a real news site's.

Each post looks like `../shared/samples/seed-post.md` (a YAML front matter
block with title, date, author, categories, tags, excerpt and image, then a
few paragraphs of Markdown) but varies the way real sites do: titles with
accents, quotes and doubled spaces; dates as ISO times, Jekyll's
`2013-05-06 02:12:52 +0200`, plain days or only in the file name; tags from a
vocabulary where a few are everywhere and most are rare; images as paths,
mappings or absolute URLs, or none; some posts in TOML between `+++`, some
with `<!--more-->`. Everything comes from one seeded generator, so a size
always produces the same files.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

_SUBJECTS = (
    "Ministers", "The council", "Harbour workers", "Local leaders", "The Treasury",
    "Scientists", "Nurses", "Farmers", "The mayor", "Campaigners", "Teachers",
    "The central bank", "Rail operators", "Fishermen", "The committee", "Residents",
    "Zürich's board", "São Paulo officials", "Café owners", "The café's staff",
)
_VERBS = (
    "approve", "reject", "delay", "fund", "question", "welcome", "criticise",
    "announce", "review", "back", "block", "celebrate", "debate", "postpone",
)
_OBJECTS = (
    "harbour bridge", "new tram line", "school budget", "flood defences",
    "hospital wing", "pay deal", "housing plan", "energy tariff", "fishing quota",
    "museum extension", "cycle lanes", "port expansion", "tax reform", "water bill",
)
_EVENTS = (
    "Plymouth talks", "a long night of talks", "the summer recess", "a public inquiry",
    "record turnout", "the storm", "weeks of protest", "a surprise vote",
    "Tokyo talks", "the election", "a court ruling", "the spring budget",
)
_TEMPLATES = (
    "{s} {v} {o} after {e}",
    "{s} {v} {o}",
    "New: {s} {v} {o} after  {e}",
    "“{o}”: {s} {v} it after {e}",
    "{s} {v} {o} — and what it means",
    "{s} &amp; unions {v} {o}",
    "Live: {s} {v} {o} as {e} ends",
)
_ZONES = (UTC, *(timezone(timedelta(hours=h)) for h in (-5, 1, 2, 9)))
_CATEGORIES = ("News", "World", "Business", "Sport", "Culture", "Science", "Opinion", "Local")
_AUTHORS = ("badely", "jsmith", "Ana Lúcia", "r.okafor", "Mei Chen", "desk")
_COMMON_TAGS = ("politics", "uk", "economy", "europe", "climate", "health", "transport")
_WORDS = (
    "the council said the plan would be reviewed before the end of the year while "
    "residents asked for more time and ministers promised funding for the first phase "
    "of work on the harbour the bridge and the roads around the station local leaders "
    "agreed that costs had risen since the last estimate but argued the project would "
    "bring jobs to the region critics pointed to delays elsewhere and called for an "
    "independent review of the figures published this week"
).split()


@dataclass(slots=True)
class Corpus:
    """A generated posts folder and what is in it (for choosing query arguments)."""

    root: Path
    count: int
    tag_counts: Counter[str] = field(default_factory=Counter)

    def common_tags(self, n: int = 5) -> list[str]:
        return [tag for tag, _ in self.tag_counts.most_common(n)]

    def rare_tags(self, n: int = 5) -> list[str]:
        """Tags used by a handful of posts (each at least once)."""
        rare = sorted((count, tag) for tag, count in self.tag_counts.items() if count >= 2)
        return [tag for _, tag in rare[:n]]


class PostWriter:
    """Writes posts numbered 0, 1, 2 … into a folder; the same number gives the same post."""

    def __init__(self, seed: int = 5) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.sentences = [self._sentence(rng) for _ in range(400)]
        self.rare_tags = [f"topic-{n}" for n in range(2000)]
        self.start = datetime(2016, 1, 1, tzinfo=UTC)

    @staticmethod
    def _sentence(rng: random.Random) -> str:
        words = rng.choices(_WORDS, k=rng.randint(8, 24))
        text = " ".join(words)
        if rng.random() < 0.15:
            text += " according to the [minutes](https://example.org/minutes)"
        if rng.random() < 0.1:
            text = f"**{text}**"
        return text[0].upper() + text[1:] + "."

    def post(self, number: int, *, fresh: bool = False) -> tuple[str, str, list[str]]:
        """(relative path, file text, labels) of post `number`; `fresh` dates it now."""
        rng = random.Random(self.seed * 1_000_003 + number)
        when = (datetime.now(UTC) - timedelta(minutes=1) if fresh
                else self.start + timedelta(seconds=rng.randrange(10 * 365 * 86400)))
        title = rng.choice(_TEMPLATES).format(
            s=rng.choice(_SUBJECTS), v=rng.choice(_VERBS), o=rng.choice(_OBJECTS),
            e=rng.choice(_EVENTS),
        )
        title = f"{title} ({number})"
        tags = self._tags(rng)
        category = rng.choice(_CATEGORIES)
        slug = "-".join(title.lower().replace("&amp;", "and").split()[:6])
        slug = "".join(c for c in slug if c.isascii() and (c.isalnum() or c == "-"))
        name = f"{when:%Y}/{when:%Y-%m-%d}-{slug.strip('-') or 'post'}-{number}.md"
        body = self._body(rng)
        if rng.random() < 0.05:
            text = self._toml(rng, title, when, category, tags, body)
        else:
            text = self._yaml(rng, title, when, category, tags, body)
        return name, text, [*tags, category]

    def _tags(self, rng: random.Random) -> list[str]:
        tags: list[str] = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.5:
                tags.append(rng.choice(_COMMON_TAGS))
            else:  # skewed towards low numbers: a long tail of rarer tags
                tags.append(self.rare_tags[int(len(self.rare_tags) * rng.random() ** 3)])
        return list(dict.fromkeys(tags))

    def _body(self, rng: random.Random) -> str:
        paragraphs = [
            " ".join(rng.choices(self.sentences, k=rng.randint(1, 4)))
            for _ in range(rng.randint(3, 12))
        ]
        if rng.random() < 0.2:
            paragraphs.insert(1, "<!--more-->")
        if rng.random() < 0.2:
            paragraphs.insert(2, "## What happens next")
        if rng.random() < 0.1:
            paragraphs.append("- first point\n- second point\n- third point")
        return "\n\n".join(paragraphs) + "\n"

    def _image(self, rng: random.Random) -> str | None:
        roll = rng.random()
        digest = f"{rng.getrandbits(128):032x}"
        if roll < 0.6:
            return f"image: assets/images/{digest}.jpg"
        if roll < 0.7:
            return f"image:\n  path: /assets/images/{digest}.png\n  teaser: /assets/t/{digest}.png"
        if roll < 0.8:
            return f"image: https://cdn.example.net/{digest}.webp"
        return None

    def _yaml(self, rng: random.Random, title: str, when: datetime, category: str,
              tags: list[str], body: str) -> str:
        roll = rng.random()
        if roll < 0.5:
            date = f"date: {when:%Y-%m-%dT%H:%M:%S}"
        elif roll < 0.8:
            date = f"date: {when.astimezone(rng.choice(_ZONES)):%Y-%m-%d %H:%M:%S %z}"
        elif roll < 0.9:
            date = f"date: {when:%Y-%m-%d}"
        else:
            date = ""  # from the file name
        lines = ["---", "layout: post", f'title: "{_yaml_quote(title)}"']
        lines += [date] if date else []
        lines.append(f'author: "{rng.choice(_AUTHORS)}"')
        if rng.random() < 0.3:
            lines.append(f"categories: {category} {rng.choice(_CATEGORIES)}")
        else:
            lines.append(f"categories: [{category}]")
        lines.append(f"tags: [{', '.join(tags)}]")
        if rng.random() < 0.5:
            first = " ".join(rng.choices(self.sentences, k=2))
            lines.append(f'excerpt: "{_yaml_quote(first)}"')
        image = self._image(rng)
        lines += [image] if image else []
        lines.append("---")
        return "\n".join(lines) + "\n\n" + body

    def _toml(self, rng: random.Random, title: str, when: datetime, category: str,
              tags: list[str], body: str) -> str:
        quoted = ", ".join(f'"{tag}"' for tag in tags)
        lines = [
            "+++",
            f'title = "{_yaml_quote(title)}"',
            f"date = {when:%Y-%m-%dT%H:%M:%SZ}",
            f'categories = ["{category}"]',
            f"tags = [{quoted}]",
            f'author = "{rng.choice(_AUTHORS)}"',
            "+++",
        ]
        return "\n".join(lines) + "\n\n" + body


def _yaml_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def write_corpus(root: Path, count: int, seed: int = 5) -> Corpus:
    """Write posts 0 … count-1 under `root` (created); returns what was written."""
    writer = PostWriter(seed)
    corpus = Corpus(root, count)
    folders: set[Path] = set()
    for number in range(count):
        name, text, labels = writer.post(number)
        path = root / name
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_text(text, encoding="utf-8")
        corpus.tag_counts.update(label.casefold() for label in labels)
    return corpus


def fresh_post(title: str, tags: list[str], image: str | None = None) -> str:
    """A post dated a minute ago (so it is due, not held), shaped like the others."""
    when = datetime.now(UTC) - timedelta(minutes=1)
    lines = [
        "---",
        "layout: post",
        f'title: "{_yaml_quote(title)}"',
        f"date: {when:%Y-%m-%d %H:%M:%S} +0000",
        'author: "desk"',
        "categories: [News]",
        f"tags: [{', '.join(tags)}]",
    ]
    if image:
        lines.append(f"image: {image}")
    lines += ["---", "", "A story written while the bot was watching.", ""]
    return "\n".join(lines)
