"""A whole Jekyll site read through `site.source`: its `_config.yml`, every `_posts` folder.

The fixture `tests/fixtures/sites/multilingual` has the shape of a real
multilingual site (`<lang>/news/_posts/`, `permalink: pretty`), where the same
file name exists in several languages: every post must get its own URL, the
one Jekyll builds.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from newsbot.config import AppConfig, ConfigError, load_config
from newsbot.ingest.posts import parse_post
from newsbot.ingest.site_posts import NOT_DATED, is_post, post_files
from newsbot.types import Post
from tests.helpers import console_room, make_config, write_post

SITE = Path(__file__).parent.parent / "fixtures" / "sites" / "multilingual"
BASE = "https://www.example-lang.org"

#: what `jekyll build` makes of each post (reader.rb, post_reader.rb, document.rb, url.rb)
EXPECTED = {
    "en/news/_posts/2024-12-25-ruby-3-4-0-released.md": (
        "Ruby 3.4.0 Released", "/en/news/2024/12/25/ruby-3-4-0-released/",
        "We are pleased to announce the release of Ruby 3.4.0. See the release notes in EN."),
    "en/news/_posts/2001-01-18-stable-snapshot-is-available.md": (
        "Stable Snapshot is Available", "/en/news/2001/01/18/stable-snapshot-is-available/",
        "Stable snapshot of the development tree is available."),
    "ja/news/_posts/2024-12-25-ruby-3-4-0-released.md": (
        "Ruby 3.4.0 リリース", "/ja/news/2024/12/25/ruby-3-4-0-released/",
        "Ruby 3.4.0が公開されました。（全角：ＡＢＣ１２３）"),
    "ja/news/_posts/2001-01-18-stable-snapshot-is-available.md": (
        "安定版スナップショット　ＡＢＣ", "/ja/news/2001/01/18/stable-snapshot-is-available/",
        "開発版の安定版スナップショットが利用可能です。"),
    "de/news/_posts/2024-12-25-ruby-3-4-0-released.md": (
        "Ruby 3.4.0 veröffentlicht", "/de/news/2024/12/25/ruby-3-4-0-released/",
        "Wir freuen uns, die Veröffentlichung von Ruby 3.4.0 bekannt zu geben."),
    "de/news/_posts/2017-2-5-i-dont-like-zeroes.md": (
        "I Dont Like Zeroes", "/de/news/2017/02/05/i-dont-like-zeroes/",
        "Ein Beitrag ohne Titel: Jekyll nimmt ihn aus dem Dateinamen."),
}


def config_for(folder: Path, tmp_path: Path, toml: str = "") -> AppConfig:
    file = tmp_path / "newsbot.toml"
    file.write_text(f'[site]\nsource = "{folder.as_posix()}"\n{toml}', encoding="utf-8")
    return load_config(file, env={})


def read_all(config: AppConfig) -> dict[str, Post]:
    posts = {}
    for rel in post_files(config.site):
        post = parse_post((config.site.root / rel).read_bytes(), rel, config.site)
        assert post is not None
        posts[rel] = post
    return posts


def test_config_yml_values_are_taken_and_named(tmp_path: Path) -> None:
    config = config_for(SITE, tmp_path)
    site = config.site
    assert site.jekyll_file == SITE / "_config.yml"
    assert site.jekyll_taken == {"url": BASE + "/", "permalink": "pretty", "timezone": "UTC",
                                 "exclude": ["vendor", "Gemfile"]}
    assert (site.url, site.permalink, site.separator) == (BASE, "pretty", "\n\n")


def test_newsbot_toml_and_the_environment_still_win(tmp_path: Path) -> None:
    file = tmp_path / "newsbot.toml"
    file.write_text(f'[site]\nsource = "{SITE.as_posix()}"\npermalink = "date"\n')
    config = load_config(file, env={"NEWSBOT_SITE_URL": "https://mirror.example.net/r"})
    assert (config.site.url, config.site.permalink) == ("https://mirror.example.net/r", "date")
    assert set(config.site.jekyll_taken) == {"timezone", "exclude"}


def test_every_post_of_every_posts_folder_gets_jekylls_url(tmp_path: Path) -> None:
    """reader.rb reads `_posts` in every folder; document.rb adds the folders above it as
    categories; `permalink: pretty` puts them in the URL: no two translations share one."""
    posts = read_all(config_for(SITE, tmp_path))
    got = {rel: (p.title, p.url.removeprefix(BASE), p.excerpt) for rel, p in posts.items()}
    assert got == EXPECTED
    assert len({p.url for p in posts.values()}) == len(posts)
    assert posts["ja/news/_posts/2024-12-25-ruby-3-4-0-released.md"].categories == (
        "ja", "news")


def test_only_jekylls_posts_are_read_post_reader_rb(tmp_path: Path) -> None:
    """Drafts, `node_modules`, excluded folders, pages and undated names are not posts."""
    config = config_for(SITE, tmp_path)
    skipped: list[tuple[str, str]] = []
    assert set(post_files(config.site, lambda rel, why: skipped.append((rel, why)))) == set(
        EXPECTED)
    assert skipped == [("de/news/_posts/not-a-dated-post.md", NOT_DATED)]
    for rel in EXPECTED:
        assert is_post(config.site, Path(rel))
    for rel in ("de/news/_posts/not-a-dated-post.md", "_drafts/2024-01-01-ignored.md",
                "vendor/_posts/2024-01-01-ignored.md", "about/index.md",
                "node_modules/pkg/_posts/2024-01-01-ignored.md"):
        assert not is_post(config.site, Path(rel)), rel


def test_a_site_without_config_yml_gets_jekylls_defaults(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE / "en", site / "en")
    config = config_for(site, tmp_path, 'url = "https://example.org"\n')
    assert config.site.jekyll_file is None
    post = read_all(config)["en/news/_posts/2001-01-18-stable-snapshot-is-available.md"]
    assert post.url == "https://example.org/en/news/2001/01/18/stable-snapshot-is-available.html"


def test_collections_posts_permalink_and_future_are_read(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE / "en", site / "en")
    (site / "_config.yml").write_text(
        "url: https://example.org\nbaseurl: /blog\npermalink: date\n"
        "collections:\n  posts:\n    permalink: /:year/:title/\n    future: true\n")
    config = config_for(site, tmp_path)
    assert (config.site.url, config.site.permalink, config.site.future) == (
        "https://example.org/blog", "/:year/:title/", True)
    post = read_all(config)["en/news/_posts/2001-01-18-stable-snapshot-is-available.md"]
    assert post.url == "https://example.org/blog/2001/stable-snapshot-is-available/"


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        ("url: [unclosed", "not valid YAML"),
        ("- a list", "must hold `key: value` settings"),
        ("exclude: vendor", "exclude must be a list"),
        ("timezone: Mars/Olympus", "site.timezone: unknown time zone"),
    ],
)
def test_a_bad_config_yml_is_one_line_naming_it(tmp_path: Path, yaml_text: str,
                                                words: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "_config.yml").write_text(yaml_text)
    with pytest.raises(ConfigError, match=words) as caught:
        config_for(site, tmp_path)
    assert "_config.yml" in str(caught.value)


def test_a_missing_source_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"site\.source: folder not found"):
        config_for(tmp_path / "nowhere", tmp_path)


async def test_the_bot_announces_a_new_translation_with_its_own_url(tmp_path: Path) -> None:
    """The whole path: a new post in one language's _posts folder is delivered once, with
    the URL Jekyll gives it, and the same file name in another language is another story."""
    shutil.copytree(SITE, tmp_path / "site")
    config = make_config(tmp_path, source="site", rescan_seconds=3600)
    assert config.site.url == "https://news.example.org"  # newsbot.toml wins
    room, console = console_room(config, watch=True)
    await room.start()  # the first run indexes the six posts without pushing
    try:
        name = "2025-01-01-happy-new-year.md"
        write_post(tmp_path / "site" / "ja" / "news" / "_posts", name, "新年",
                   date="2025-01-01T00:00:00+00:00", categories=())
        write_post(tmp_path / "site" / "en" / "news" / "_posts", name, "Happy new year",
                   date="2025-01-01T00:00:00+00:00", categories=())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while len(console().sent) < 2 and loop.time() < deadline:
            await asyncio.sleep(0.05)
        sent = sorted((s.title, s.url) for _, s, _ in console().sent)
        assert sent == [
            ("Happy new year", "https://news.example.org/en/news/2025/01/01/happy-new-year/"),
            ("新年", "https://news.example.org/ja/news/2025/01/01/happy-new-year/"),
        ]
        stored = await room.queries.latest(20)
        assert len(stored) == 8 and len({s.url for s in stored}) == 8
    finally:
        await room.stop()
