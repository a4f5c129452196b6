"""Issue 12, the store part: the calculator survives its store. A read-only DATA_DIR, a corrupt
SQLite file or an unreachable PostgreSQL leave the app serving; saved scenarios answer 503 with
Retry-After until the store works again, and come back without a restart."""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import app.store as store_module
from app.main import create_app
from app.scenario.inputs import ScenarioIn
from app.settings import Settings
from app.store import (
    BACKOFF_MAX_S,
    SQLITE_FILENAME,
    USER_MESSAGE,
    ManagedStore,
    SqliteStore,
    StoreUnavailable,
    _Gate,
    could_be_id,
    describe_sqlite_error,
    open_store,
    redacted_url,
)
from app.web.api import BREAKEVEN_EXAMPLE
from app.web.query_codec import scenario_to_query
from tests.helpers import assert_error_shape

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
SCENARIO: dict[str, Any] = copy.deepcopy(BREAKEVEN_EXAMPLE)
LIVE_QUERY = scenario_to_query(ScenarioIn.model_validate(SCENARIO))
HTML = {"accept": "text/html"}
UNREACHABLE_POSTGRES = "postgresql://breakeven:s3cret@127.0.0.1:1/x"  # nothing listens on port 1


class Clock:
    """A monotonic clock the test moves on, so backoff is checked without sleeping."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = BACKOFF_MAX_S + 1) -> None:
        self.now += seconds


def client_for(settings: Settings) -> tuple[TestClient, Clock]:
    app: FastAPI = create_app(settings)
    clock = Clock()
    app.state.store.clock = clock
    return TestClient(app), clock


# --- the app serves without its store ---------------------------------------------------------------


def assert_calculator_works(client: TestClient) -> None:
    assert client.post("/api/v1/breakeven", json=SCENARIO).status_code == 200
    assert client.get("/?" + LIVE_QUERY, headers=HTML).status_code == 200
    chart = client.get("/chart.svg?" + LIVE_QUERY)
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")


def assert_saves_refused(client: TestClient) -> None:
    api = client.post("/api/v1/scenarios", json=SCENARIO)
    assert_error_shape(api, status=503)
    assert api.json()["detail"][0]["type"] == "store_unavailable"
    assert int(api.headers["retry-after"]) >= 1
    page = client.post("/s", data={"query": LIVE_QUERY}, headers=HTML, follow_redirects=False)
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "unavailable" in page.text and int(page.headers["retry-after"]) >= 1


def assert_degraded(client: TestClient, *, error_names: str) -> dict[str, Any]:
    health = client.get("/healthz")
    assert health.status_code == 200  # liveness: the calculator works
    assert health.json()["status"] == "degraded"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and int(ready.headers["retry-after"]) >= 1
    store = ready.json()["store"]
    assert error_names in store["error"], store
    return dict(store)


def assert_healthy(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["store"]["status"] == "ok"


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    """DATA_DIR below a file: mkdir fails for root too, unlike chmod."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    client, clock = client_for(Settings(data_dir=blocker / "data"))
    with client:
        assert_calculator_works(client)
        assert_saves_refused(client)
        store = assert_degraded(client, error_names=str(blocker / "data" / SQLITE_FILENAME))
        assert "is a file, not a directory" in store["error"] and "Fix:" in store["error"]
        assert client.get("/api/v1/scenarios/abcdefghijkl").status_code == 503
        assert client.get("/s/abcdefghijkl", headers=HTML).status_code == 503
        # The operator fixes it: the store works again after the backoff, without a restart.
        blocker.unlink()
        clock.advance()
        saved = client.post("/api/v1/scenarios", json=SCENARIO)
        assert saved.status_code == 201, saved.text
        assert client.get(f"/s/{saved.json()['id']}", headers=HTML).status_code == 200
        assert_healthy(client)


def test_corrupt_sqlite_file_is_named_with_the_fix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / SQLITE_FILENAME
    database.write_bytes(b"this is not an SQLite database, it is a log file" * 100)
    with caplog.at_level("WARNING", logger="breakeven.store"):
        client, clock = client_for(Settings(data_dir=data))
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert str(database) in logged and "corrupt" in logged and "move it aside" in logged
    with client:
        assert_calculator_works(client)
        assert_saves_refused(client)
        store = assert_degraded(client, error_names=str(database))
        assert "corrupt" in store["error"]
        # Users see a plain message, not the path.
        assert str(database) not in client.post("/api/v1/scenarios", json=SCENARIO).text
        database.rename(data / "corrupt.sqlite3")
        clock.advance()
        assert client.post("/api/v1/scenarios", json=SCENARIO).status_code == 201
        assert_healthy(client)


def test_unreachable_postgres(tmp_path: Path) -> None:
    client, _ = client_for(Settings(data_dir=tmp_path, database_url=UNREACHABLE_POSTGRES))
    with client:
        assert_calculator_works(client)
        assert_saves_refused(client)
        store = assert_degraded(client, error_names="127.0.0.1:1/x")
        assert store["status"] == "unavailable" and store["backend"] == "postgresql"
        for response in (
            client.get("/healthz"),
            client.get("/readyz"),
            client.post("/api/v1/scenarios", json=SCENARIO),
        ):
            assert "s3cret" not in response.text and "breakeven@" not in response.text  # never the credentials
        for path in ("/s/abcdefghijkl/chart.svg", "/s/abcdefghijkl/data.csv", "/api/v1/scenarios/abcdefghijkl"):
            response = client.get(path)
            assert_error_shape(response, status=503)
            assert "retry-after" in response.headers
        for path in ("/s/abcdefghijkl", "/s/abcdefghijkl/embed", "/s/abcdefghijkl/rerun"):
            response = client.get(path, headers=HTML)
            assert response.status_code == 503 and response.headers["content-type"].startswith("text/html")


def test_a_failed_store_is_not_retried_before_its_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While in backoff a request answers at once without touching the store (a blackholed
    PostgreSQL must not hold a thread per request)."""
    attempts: list[str] = []
    store = ManagedStore(Settings(data_dir=tmp_path, database_url=UNREACHABLE_POSTGRES), clock=Clock())
    real_migrate = store.inner.migrate

    def counting_migrate() -> None:
        attempts.append("migrate")
        real_migrate()

    monkeypatch.setattr(store.inner, "migrate", counting_migrate)
    with pytest.raises(StoreUnavailable):
        store.save({}, {})
    for _ in range(20):
        with pytest.raises(StoreUnavailable) as raised:
            store.save({}, {})
        assert raised.value.retry_after_s >= 1
    assert attempts == ["migrate"]


@pytest.mark.parametrize(
    ("failures", "backoff_s"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (50, 30.0)],
)
def test_backoff_doubles_up_to_its_cap(failures: int, backoff_s: float) -> None:
    gate = _Gate()
    for _ in range(failures):
        gate.fail("down", now=100.0)
    assert gate.wait_s(100.0) == backoff_s
    gate.succeed()
    assert gate.wait_s(100.0) == 0


# --- reads without writing: read-only directory, full disk ------------------------------------------


def saved_store(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "data"
    saved = open_store(Settings(data_dir=data)).save({"n": 1}, {"v": 1})
    return data, saved.id


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes through chmod")
def test_read_only_data_dir_still_serves_saved_scenarios(tmp_path: Path) -> None:
    data, saved_id = saved_store(tmp_path)
    data.chmod(0o555)
    (data / SQLITE_FILENAME).chmod(0o444)
    try:
        store = ManagedStore(Settings(data_dir=data))
        store.start()
        scenario = store.get(saved_id)
        assert scenario is not None and scenario.scenario == {"n": 1}
        assert store.get("unknownid123") is None
        with pytest.raises(StoreUnavailable, match=str(data)):
            store.save({}, {})
        assert store.health()["status"] == "read_only"
    finally:
        data.chmod(0o755)


def test_read_only_directory_reads_fall_back_to_a_connection_that_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root chmod does not stop writes, so the directory's refusal is emulated at the driver:
    every connection that would create -shm/-wal files fails as SQLite fails in a read-only
    directory ("attempt to write a readonly database" for mode=rw and mode=ro, checked by hand as a
    non-root user), and only immutable=1 opens."""
    data, saved_id = saved_store(tmp_path)
    for sidecar in data.glob(SQLITE_FILENAME + "-*"):
        sidecar.unlink()
    real_connect = sqlite3.connect

    def read_only_directory(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if "immutable=1" not in str(database):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", read_only_directory)
    store = ManagedStore(Settings(data_dir=data), clock=Clock())
    store.start()
    assert store.health()["status"] == "read_only"
    got = store.get(saved_id)
    assert got is not None and got.id == saved_id
    assert isinstance(store.inner, SqliteStore) and store.inner.read_mode == "immutable"
    assert store.get("unknownid123") is None  # an unknown id is a 404, not an error
    with pytest.raises(StoreUnavailable, match="Fix:"):
        store.save({}, {})
    assert not list(data.glob(SQLITE_FILENAME + "-*"))  # nothing was created


def test_full_disk_refuses_saves_but_serves_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = client_for(Settings(data_dir=tmp_path / "data"))
    with client:
        saved_id = client.post("/api/v1/scenarios", json=SCENARIO).json()["id"]

    def disk_full(self: SqliteStore, scenario: dict[str, Any], snapshot: dict[str, Any]) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteStore, "save", disk_full)
    with client:
        assert_saves_refused(client)
        assert client.get(f"/s/{saved_id}/data.csv").status_code == 200
        assert client.get("/api/v1/scenarios/unknownid123").status_code == 404
        ready = client.get("/readyz")
        assert client.get("/healthz").json()["store"]["status"] == "read_only"
        assert "is full" in client.get("/healthz").json()["store"]["error"]
        assert ready.status_code in (200, 503)  # the write lock can still be taken on a full disk


# --- unknown ids ------------------------------------------------------------------------------------

SAVED_ROUTES = [
    "/api/v1/scenarios/{id}",
    "/s/{id}",
    "/s/{id}/chart.svg",
    "/s/{id}/chart.png",
    "/s/{id}/embed",
    "/s/{id}/data.csv",
    "/s/{id}/rerun",
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as test_client:
        yield test_client


@pytest.mark.parametrize("route", SAVED_ROUTES)
@pytest.mark.parametrize("scenario_id", ["abcdefghijkl", "x" * 33, "a%00b", "%E2%82%AC", "..%2f..%2fetc"])
def test_unknown_id_is_a_404_everywhere(client: TestClient, route: str, scenario_id: str) -> None:
    assert client.get(route.replace("{id}", scenario_id)).status_code == 404


@pytest.mark.parametrize(
    ("scenario_id", "possible"),
    [("tRRFGSb1igei", True), ("a-b_c", True), ("", False), ("a\x00b", False), ("€", False), ("x" * 65, False)],
)
def test_could_be_id(scenario_id: str, possible: bool) -> None:
    assert could_be_id(scenario_id) is possible


def test_malformed_id_is_a_404_even_while_the_store_is_down(tmp_path: Path) -> None:
    client, _ = client_for(Settings(data_dir=tmp_path, database_url=UNREACHABLE_POSTGRES))
    with client:
        assert client.get("/api/v1/scenarios/a%00b").status_code == 404


# --- messages -----------------------------------------------------------------------------------------


def test_user_message_is_plain() -> None:
    assert "/" not in USER_MESSAGE and "sqlite" not in USER_MESSAGE.lower()


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (sqlite3.DatabaseError("file is not a database"), "corrupt"),
        (sqlite3.OperationalError("database or disk is full"), "is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "make"),
        (PermissionError(13, "Permission denied"), "writable"),
    ],
)
def test_sqlite_errors_name_the_path_and_the_fix(tmp_path: Path, error: BaseException, says: str) -> None:
    path = tmp_path / "data" / SQLITE_FILENAME
    message = describe_sqlite_error(path, error)
    assert str(path) in message and says in message and "Fix:" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://user:pw@db.internal:5433/breakeven", "postgresql://db.internal:5433/breakeven"),
        ("postgresql://db.internal/breakeven", "postgresql://db.internal:5432/breakeven"),
    ],
)
def test_postgres_url_is_shown_without_credentials(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


# --- real PostgreSQL (CI): a connection dropped mid-service ------------------------------------------


@pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL (scripts/start-test-postgres) to test PostgreSQL")
def test_postgres_connections_dropped_mid_service_reconnect(tmp_path: Path) -> None:
    import psycopg

    assert POSTGRES_URL
    client, _ = client_for(Settings(data_dir=tmp_path, database_url=POSTGRES_URL))
    with client:
        first = client.post("/api/v1/scenarios", json=SCENARIO)
        assert first.status_code == 201
        scenario_id = first.json()["id"]
        assert client.get(f"/api/v1/scenarios/{scenario_id}").status_code == 200  # a pooled connection now idles
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        # The dead pooled connections are dropped and the requests run on new ones.
        assert client.get(f"/api/v1/scenarios/{scenario_id}").status_code == 200
        assert client.post("/api/v1/scenarios", json=SCENARIO).status_code == 201
        assert_healthy(client)


def test_sqlite_path_with_uri_characters_reads(tmp_path: Path) -> None:
    """The read path opens a file: URI; a DATA_DIR with ? # % or spaces must not change the file."""
    data = tmp_path / "odd ?#% dir"
    saved = open_store(Settings(data_dir=data)).save({"n": 1}, {"v": 1})
    store = ManagedStore(Settings(data_dir=data))
    assert store.get(saved.id) == saved
    shutil.rmtree(data)
