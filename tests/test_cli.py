"""The `breakeven` command."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.settings import Settings, get_settings
from app.store import open_store
from app.web.observability import uvicorn_log_config
from tests.helpers import SERVE_COMMAND, free_port, wait_until_serving


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


# --- the run path (`make run` → `breakeven serve`) -------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

# Import names of the packages only the [test] extra installs (pyproject.toml). `make run` installs the
# app without them: if the run path imports one, a fresh machine crashes at start (issue 11).
TEST_ONLY_IMPORTS = ("pytest", "hypothesis", "playwright", "schemathesis", "ruff", "mypy")


RUN_PATH_PROBE = """
import sys


class RefuseTestOnlyPackages:
    # What a `make run` install lacks: importing one of these fails as it would there.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (test-only)")
        return None


sys.meta_path.insert(0, RefuseTestOnlyPackages())
import app.cli, app.main
from starlette.testclient import TestClient

with TestClient(app.main.app) as client:
    assert client.get("/healthz").status_code == 200
    assert client.get("/", headers={"accept": "text/html"}).status_code == 200
print(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED or m.startswith("app.calibration")))
"""


def test_the_run_path_needs_no_test_only_package_and_no_calibration(tmp_path: Path) -> None:
    """The app imports, starts and serves with every test-only package unimportable, and never loads the
    offline calibration (app/calibration): it only reads the committed efficiencies file."""
    probe = f"BLOCKED = {TEST_ONLY_IMPORTS!r}\n" + RUN_PATH_PROBE
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("log_format", "parse"), [("json", json.loads), ("text", None)])
def test_uvicorn_lines_use_the_app_log_format(log_format: str, parse: Any) -> None:
    config = uvicorn_log_config(Settings(log_format=log_format))  # type: ignore[arg-type]
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("uvicorn.access").info("should not appear: the app writes its own access line")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    if parse is json.loads:
        line = json.loads(lines[0])
        assert line["logger"] == "uvicorn.error" and line["msg"] == "Started server process [42]"
        assert line["level"] == "info" and line["ts"]
    else:
        assert lines[0].endswith(" INFO uvicorn.error Started server process [42]")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_exits_zero_after_a_clean_stop(tmp_path: Path, stop: signal.Signals) -> None:
    """Ctrl-C (SIGINT) or SIGTERM stops `breakeven serve` with status 0, so `make run` reports no error."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATA_DIR": str(tmp_path), "LOG_FORMAT": "json"}
    server = subprocess.Popen(
        [sys.executable, *SERVE_COMMAND],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        server.send_signal(stop)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, output
    lines = output.splitlines()
    assert lines and all(json.loads(line)["ts"] for line in lines), output
    assert any("Started server process" in json.loads(line)["msg"] for line in lines)
