"""The scenario store, against SQLite and (when TEST_DATABASE_URL is set, as in CI) real PostgreSQL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import ScenarioStore, SqliteStore, open_store

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="set TEST_DATABASE_URL (scripts/start-test-postgres) to test PostgreSQL"
        ),
    ),
]


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as db:
        db.execute("DROP TABLE IF EXISTS scenarios, schema_migrations")
        db.execute("DROP FUNCTION IF EXISTS scenarios_refuse_update()")


@pytest.fixture(params=BACKENDS)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "postgres":
        assert POSTGRES_URL
        _reset_postgres(POSTGRES_URL)
        yield Settings(data_dir=tmp_path, database_url=POSTGRES_URL)
    else:
        yield Settings(data_dir=tmp_path / "data")


@pytest.fixture
def store(store_settings: Settings) -> ScenarioStore:
    return open_store(store_settings)


SCENARIO = {"workload": {"requests_per_month": 1000, "input_tokens": 1, "output_tokens": 1}, "options": []}
SNAPSHOT = {"version": 1, "gpus": {"h100-sxm": {"memory_gib": 80.0}}, "note": "<script>é</script>"}


def test_save_and_read_back(store: ScenarioStore) -> None:
    saved = store.save(SCENARIO, SNAPSHOT)
    assert len(saved.id) == 12 and saved.id.replace("-", "").replace("_", "").isalnum()
    again = store.get(saved.id)
    assert again == saved
    assert store.get("nope") is None


def test_ids_are_unique(store: ScenarioStore) -> None:
    assert len({store.save(SCENARIO, SNAPSHOT).id for _ in range(50)}) == 50


def test_rows_are_immutable(store_settings: Settings, store: ScenarioStore) -> None:
    saved = store.save(SCENARIO, SNAPSHOT)
    if store_settings.database_url:
        import psycopg

        with pytest.raises(psycopg.errors.RaiseException), psycopg.connect(store_settings.database_url) as db:
            db.execute("UPDATE scenarios SET scenario_json = '{}' WHERE id = %s", (saved.id,))
    else:
        assert isinstance(store, SqliteStore)
        with pytest.raises(sqlite3.IntegrityError, match="immutable"), sqlite3.connect(store.path) as db:
            db.execute("UPDATE scenarios SET scenario_json = '{}' WHERE id = ?", (saved.id,))
    assert store.get(saved.id) == saved


def test_delete_is_explicit(store: ScenarioStore) -> None:
    saved = store.save(SCENARIO, SNAPSHOT)
    assert store.delete(saved.id) is True
    assert store.get(saved.id) is None
    assert store.delete(saved.id) is False


def test_migrations_are_versioned_and_applied_once(store_settings: Settings, store: ScenarioStore) -> None:
    saved = store.save(SCENARIO, SNAPSHOT)
    reopened = open_store(store_settings)  # an app restart
    assert reopened.schema_version() == 1
    assert reopened.get(saved.id) == saved


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path / "new-dir"))
    assert isinstance(store, SqliteStore) and store.path.exists()
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = """
import sys
from app.settings import Settings
from app.store import open_store
store = open_store(Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None))
while True:
    saved = store.save({"n": 1}, {"v": 1})
    print(saved.id, flush=True)  # acknowledged: save() has returned
"""


@pytest.mark.parametrize("writers", [3])
def test_acknowledged_saves_survive_sigkill(store_settings: Settings, writers: int) -> None:
    open_store(store_settings)  # migrate first, so writers only save
    args = [str(store_settings.data_dir), store_settings.database_url or ""]
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, cwd=ROOT, text=True)
        for _ in range(writers)
    ]
    # Wait for each writer's first acknowledged save (starting Python takes seconds on a loaded
    # machine), then let them write a while and kill them mid-save.
    acknowledged = [proc.stdout.readline().strip() for proc in procs if proc.stdout is not None]
    time.sleep(1.5)
    for proc in procs:
        os.kill(proc.pid, signal.SIGKILL)
    for proc in procs:
        out, _ = proc.communicate(timeout=10)
        acknowledged += [line for line in out.splitlines() if len(line) == 12]
    assert len(acknowledged) > 10
    store = open_store(store_settings)
    missing = [i for i in acknowledged if store.get(i) is None]
    assert not missing, f"{len(missing)} acknowledged saves lost"


SERVER_CLIENTS = 4


def test_acknowledged_saves_survive_killing_the_server(store_settings: Settings) -> None:
    """SIGKILL the server while clients save through the API; every 201 it sent is in the store."""
    import http.client
    import json
    import socket
    import threading
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATA_DIR": str(store_settings.data_dir), "PYTHONPATH": str(ROOT)}
    if store_settings.database_url:
        env["DATABASE_URL"] = store_settings.database_url
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    body = json.dumps(
        {
            "workload": {"requests_per_month": 1000, "input_tokens": 10, "output_tokens": 10},
            "options": [{"kind": "api", "name": "A", "input_per_mtok": 1, "output_per_mtok": 1}],
        }
    ).encode()
    acknowledged: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            request = urllib.request.Request(
                base + "/api/v1/scenarios", data=body, headers={"content-type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 201:
                        acknowledged.append(json.loads(response.read())["id"])
            # A kill between the 201's headers and its body (IncompleteRead, an HTTPException,
            # not an OSError) means the client never got the id: not acknowledged, not counted.
            except (OSError, http.client.HTTPException):
                if server.poll() is not None:
                    return
                time.sleep(0.05)

    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        threads = [threading.Thread(target=client) for _ in range(SERVER_CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        os.kill(server.pid, signal.SIGKILL)  # mid-save, with requests in flight
        server.wait(timeout=10)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) > 10
    store = open_store(store_settings)  # the restart
    missing = [i for i in acknowledged if store.get(i) is None]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged saves lost"
