"""The layout's import rules (DESIGN.md §1), checked by walking every module's imports.

Imports run one way: `app/core` is pure domain and imports nothing else of the app; `app/catalog` builds
on the core only; the offline calibration (`app/calibration`) may read the catalog but nothing at request
time imports it (only the `breakeven calibrate` command does); `app/scenario` (the question, typed in and
out) builds on core and catalog; `app/render` (every face of a result) on those and the scenario; `app/web`
(HTTP) on all of them. What is still being moved into its room (issue 13) joins this table when it is.

And no module grows past MAX_MODULE_LINES: a longer one is several ideas, each to be named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# package → the app packages its modules may import (itself included)
ALLOWED = {
    "app.core": {"app.core"},
    "app.catalog": {"app.core", "app.catalog"},
    "app.calibration": {"app.core", "app.catalog", "app.calibration"},
    "app.scenario": {"app.core", "app.catalog", "app.scenario"},
    "app.render": {"app.core", "app.catalog", "app.scenario", "app.render"},
}
# The one module outside app/calibration that may import it: the command line.
CALIBRATION_IMPORTERS = {"app.cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_imports(path: Path) -> set[str]:
    """Every `app.…` module a file imports, at any depth (function-local imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "app"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "app":
                found.add(node.module)
    return found


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


MODULES = sorted(APP.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(APP.parent)))
def test_imports_run_one_way(path: Path) -> None:
    module = module_name(path)
    imported = app_imports(path)
    allowed = ALLOWED.get(package_of(module))
    if allowed is not None:
        wrong = sorted(m for m in imported if package_of(m) not in allowed)
        assert not wrong, f"{module} may import only {sorted(allowed)}, not {wrong}"
    if package_of(module) != "app.calibration" and module not in CALIBRATION_IMPORTERS:
        assert not any(package_of(m) == "app.calibration" for m in imported), (
            f"{module} imports the offline calibration, which must never run at request time"
        )


def test_the_walk_sees_every_package() -> None:
    """A walk that found no modules would pass every rule: check it sees the packages the rules name."""
    packages = {package_of(module_name(path)) for path in MODULES}
    assert set(ALLOWED) <= packages
    assert any(app_imports(path) for path in MODULES if package_of(module_name(path)) == "app.catalog")


# A module is one idea; past this many lines it is several, and each should be named (issue 13).
MAX_MODULE_LINES = 750


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(APP.parent)))
def test_no_module_is_oversized(path: Path) -> None:
    name = str(path.relative_to(APP.parent))
    assert _lines(path) <= MAX_MODULE_LINES, (
        f"{name} has {_lines(path)} lines (over {MAX_MODULE_LINES}): split it by what its parts are"
    )
