"""The shape of the core, checked: folders follow a post's path and import only what the
stage needs (ingest and delivery never the read side, the store nothing above it), and no
platform library is imported anywhere in newsbot/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).parents[1] / "newsbot"
STAGES = ("ingest", "store", "delivery", "chat")
#: what each stage may not import at run time (type-checking imports aside)
FORBIDDEN = {
    "ingest": ("newsbot.chat", "newsbot.app", "newsbot.cli", "newsbot.registry"),
    "store": ("newsbot.ingest", "newsbot.delivery", "newsbot.chat", "newsbot.app",
              "newsbot.cli", "newsbot.config", "newsbot.adapter"),
    "delivery": ("newsbot.ingest", "newsbot.chat", "newsbot.app", "newsbot.cli"),
    "chat": ("newsbot.ingest", "newsbot.delivery", "newsbot.app", "newsbot.cli"),
    # coordination of several workers sits on the store, under every stage that uses it
    "workers": ("newsbot.ingest", "newsbot.delivery", "newsbot.chat", "newsbot.app",
                "newsbot.cli", "newsbot.config", "newsbot.adapter", "newsbot.web"),
    # operations watch the stages and the workers; nothing below them watches back
    "ops": ("newsbot.ingest", "newsbot.chat", "newsbot.app", "newsbot.cli", "newsbot.web"),
}
PLATFORM_LIBRARIES = ("telegram", "discord", "newsbot_telegram", "newsbot_discord")


def runtime_imports(path: Path) -> list[str]:
    """Modules `path` imports when it runs: `if TYPE_CHECKING:` blocks are skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def modules(stage: str) -> list[Path]:
    return sorted((CORE / stage).rglob("*.py"))


def test_the_stages_are_folders_of_the_core() -> None:
    assert all((CORE / stage / "__init__.py").is_file() for stage in STAGES)
    loose = sorted(p.name for p in CORE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "adapter.py", "app.py", "cli.py",
                     "config.py", "filters.py", "logs.py", "registry.py", "sections.py",
                     "types.py"]


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_each_stage_imports_only_what_it_may(stage: str) -> None:
    wrong = [
        f"{path.relative_to(CORE)} imports {name}"
        for path in modules(stage)
        for name in runtime_imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[stage])
    ]
    assert wrong == []


def test_no_platform_library_in_the_core() -> None:
    wrong = [
        f"{path.relative_to(CORE)} imports {name}"
        for path in sorted(CORE.rglob("*.py"))
        for name in runtime_imports(path)
        if name.split(".")[0] in PLATFORM_LIBRARIES
    ]
    assert wrong == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from newsbot.chat import desk\nfrom newsbot.chat.queries import Q\n")
    assert runtime_imports(module) == ["typing", "typing.TYPE_CHECKING", "newsbot.chat.queries",
                                       "newsbot.chat.queries.Q"]
