"""The docs keep up with the code: every setting documented, the README's commands are real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert Settings.model_fields[name].description, f"{name} has no description"
    assert f"`{name.upper()}`" in README, f"README does not document {name.upper()}"


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^make (\w+)", README, flags=re.MULTILINE)
    assert commands[:2] == ["run", "test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, flags=re.MULTILINE) and re.search(r"^test:", makefile, flags=re.MULTILINE)


# Every repository path docs/architecture.md names (app/…, templates/…, tests/…, scripts/…, and the
# static/, bench/ and docs/ it points to), so the newcomer's guide cannot silently rot (issue 13).
ARCHITECTURE = ROOT / "docs" / "architecture.md"
_DOC_PATH = re.compile(r"(?<![\w./-])((?:app|templates|tests|scripts|static|bench|docs)/[\w./*-]*[\w*])")


def architecture_paths() -> list[str]:
    return sorted(set(_DOC_PATH.findall(ARCHITECTURE.read_text())))


def test_the_architecture_doc_names_the_paths_it_is_about() -> None:
    """A pattern that matched nothing would pass the check below: it must see the rooms and the recipes' files."""
    paths = architecture_paths()
    assert {"app/core", "app/render/chart_figures.py", "app/catalog/gpus.toml", "templates/_results.html"} <= set(paths)
    assert {"tests/test_layout.py", "scripts/regenerate-api-examples"} <= set(paths)


@pytest.mark.parametrize("path", architecture_paths())
def test_every_path_in_the_architecture_doc_exists(path: str) -> None:
    matches = list(ROOT.glob(path)) if "*" in path else [ROOT / path] if (ROOT / path).exists() else []
    assert matches, f"docs/architecture.md names {path}, which does not exist"
