"""The `breakeven` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.settings import Settings, get_settings
from app.store import open_store


def test_delete_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        saved = open_store(Settings(data_dir=tmp_path)).save({"a": 1}, {"b": 2})
        assert main(["delete-scenario", saved.id]) == 0
        assert "deleted" in capsys.readouterr().out
        assert main(["delete-scenario", saved.id]) == 1
        assert open_store(Settings(data_dir=tmp_path)).get(saved.id) is None
    finally:
        get_settings.cache_clear()


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        main(["delete-scenario", "x", "--force"])
