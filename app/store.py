"""Saved scenarios: immutable rows of (id, created_at, scenario, snapshot).

SQLite by default (a file under DATA_DIR, created on first start, WAL journal, synchronous=FULL so
an acknowledged save survives a crash); DATABASE_URL=postgresql://… switches to PostgreSQL for
deployments with several app instances. Schema changes are versioned migrations, applied in order
at start-up and recorded in `schema_migrations`. Rows are never updated; deleting is an explicit
admin action (`breakeven delete-scenario ID`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.settings import Settings

# (version, statements). Append only: never edit a migration that has shipped.
SQLITE_MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE scenarios (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                scenario_json TEXT NOT NULL,
                snapshot_json TEXT NOT NULL
            )""",
            """CREATE TRIGGER scenarios_are_immutable BEFORE UPDATE ON scenarios
               BEGIN SELECT RAISE(ABORT, 'saved scenarios are immutable'); END""",
        ],
    ),
]

POSTGRES_MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE scenarios (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                scenario_json TEXT NOT NULL,
                snapshot_json TEXT NOT NULL
            )""",
            """CREATE FUNCTION scenarios_refuse_update() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'saved scenarios are immutable'; END $$""",
            """CREATE TRIGGER scenarios_are_immutable BEFORE UPDATE ON scenarios
               FOR EACH ROW EXECUTE FUNCTION scenarios_refuse_update()""",
        ],
    ),
]

ID_BYTES = 9  # 72 random bits → 12 URL-safe characters: short, and not guessable


@dataclass(frozen=True)
class SavedScenario:
    id: str
    created_at: str  # ISO 8601, UTC
    scenario: dict[str, Any]  # the ScenarioIn document as the user gave it
    snapshot: dict[str, Any]  # every catalog figure and price it used (app.sources)


class ScenarioStore(Protocol):
    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario: ...
    def get(self, scenario_id: str) -> SavedScenario | None: ...
    def delete(self, scenario_id: str) -> bool: ...
    def schema_version(self) -> int: ...


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _row(row: tuple[str, str, str, str] | None) -> SavedScenario | None:
    if row is None:
        return None
    return SavedScenario(row[0], row[1], json.loads(row[2]), json.loads(row[3]))


class SqliteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
            applied = {v for (v,) in db.execute("SELECT version FROM schema_migrations")}
            for version, statements in SQLITE_MIGRATIONS:
                if version in applied:
                    continue
                for statement in statements:
                    db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, _now()))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA synchronous=FULL")  # an acknowledged save is on disk
            with db:  # one transaction: commit on success, roll back on error
                yield db
        finally:
            db.close()

    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario:
        saved = SavedScenario(new_id(), _now(), scenario, snapshot)
        with self._connect() as db:
            db.execute(
                "INSERT INTO scenarios VALUES (?, ?, ?, ?)",
                (saved.id, saved.created_at, _dumps(scenario), _dumps(snapshot)),
            )
        return saved

    def get(self, scenario_id: str) -> SavedScenario | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, created_at, scenario_json, snapshot_json FROM scenarios WHERE id = ?", (scenario_id,)
            ).fetchone()
        return _row(row)

    def delete(self, scenario_id: str) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,)).rowcount > 0

    def schema_version(self) -> int:
        with self._connect() as db:
            (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        return int(version)


class PostgresStore:
    def __init__(self, url: str) -> None:
        import psycopg  # only needed for DATABASE_URL=postgresql://…

        self.psycopg = psycopg
        self.url = url
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
            # Several app instances may start at once: one applies the migrations, the others wait.
            db.execute("SELECT pg_advisory_xact_lock(7343)")
            applied = {v for (v,) in db.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, statements in POSTGRES_MIGRATIONS:
                if version in applied:
                    continue
                for statement in statements:
                    db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, _now()))

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        with self.psycopg.connect(self.url) as db:  # commits on success, rolls back on error
            yield db

    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario:
        saved = SavedScenario(new_id(), _now(), scenario, snapshot)
        with self._connect() as db:
            db.execute(
                "INSERT INTO scenarios VALUES (%s, %s, %s, %s)",
                (saved.id, saved.created_at, _dumps(scenario), _dumps(snapshot)),
            )
        return saved

    def get(self, scenario_id: str) -> SavedScenario | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, created_at, scenario_json, snapshot_json FROM scenarios WHERE id = %s", (scenario_id,)
            ).fetchone()
        return _row(row)

    def delete(self, scenario_id: str) -> bool:
        with self._connect() as db:
            return int(db.execute("DELETE FROM scenarios WHERE id = %s", (scenario_id,)).rowcount) > 0

    def schema_version(self) -> int:
        with self._connect() as db:
            (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        return int(version)


SQLITE_FILENAME = "breakeven.sqlite3"


def open_store(settings: Settings) -> ScenarioStore:
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    if url and url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    if url:
        raise ValueError("DATABASE_URL must start with postgresql:// or sqlite:///")
    return SqliteStore(settings.data_dir / SQLITE_FILENAME)
