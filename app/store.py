"""Saved scenarios: immutable rows of (id, created_at, scenario, snapshot).

SQLite by default (a file under DATA_DIR, created on first start, WAL journal, synchronous=FULL so
an acknowledged save survives a crash); DATABASE_URL=postgresql://… switches to PostgreSQL for
deployments with several app instances. Schema changes are versioned migrations, applied in order
at start-up and recorded in `schema_migrations`. Rows are never updated; deleting is an explicit
admin action (`breakeven delete-scenario ID`).

Only saved scenarios need the store, so the app does not depend on it (issue 12): `ManagedStore`
opens it lazily, retries with exponential backoff, and turns every driver failure into
`StoreUnavailable` (the routes answer 503 with Retry-After) with an operator message that names the
file or server and the fix. SQLite reads fall back to a read-only and then an immutable connection,
so a read-only directory or a full disk still serves saved scenarios.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from app.settings import Settings

logger = logging.getLogger("breakeven.store")

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
    snapshot: dict[str, Any]  # every catalog figure and price it used (app.catalog.sources)


class ScenarioStore(Protocol):
    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario: ...
    def get(self, scenario_id: str) -> SavedScenario | None: ...
    def delete(self, scenario_id: str) -> bool: ...
    def schema_version(self) -> int: ...


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


# Ids are token_urlsafe output; anything else cannot name a saved scenario, so it is a 404 without
# asking the store (PostgreSQL would even refuse a NUL byte with an error instead of "no row").
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def could_be_id(scenario_id: str) -> bool:
    return ID_PATTERN.fullmatch(scenario_id) is not None


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _row(row: tuple[str, str, str, str] | None) -> SavedScenario | None:
    if row is None:
        return None
    return SavedScenario(row[0], row[1], json.loads(row[2]), json.loads(row[3]))


SELECT_SQLITE = "SELECT id, created_at, scenario_json, snapshot_json FROM scenarios WHERE id = ?"
SqliteReadMode = Literal["read_write", "read_only", "immutable"]


class SqliteStore:
    """One connection per operation (SQLite connections are cheap and this keeps threads apart).

    migrate=False touches nothing on disk: the managed store uses it to serve reads from a database
    it cannot migrate (a read-only directory or a full disk)."""

    def __init__(self, path: Path, migrate: bool = True) -> None:
        self.path = path
        self.read_mode: SqliteReadMode = "read_write"  # how the last read connected
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
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

    def _read_connection(self) -> sqlite3.Connection:
        """A connection for reading that needs no write to disk, trying the cheapest first.

        A WAL database needs its -shm file: a read-write connection creates it, which fails in a
        read-only directory or on a full disk (sqlite.org/wal.html#readonly). mode=ro can use the
        -shm/-wal files when they exist; immutable=1 needs neither (sqlite.org/uri.html#uriimmutable)
        but does not see rows still in the -wal file, so it is the last resort."""
        uri = "file:" + quote(str(self.path.absolute()))
        last_error: sqlite3.Error | None = None
        mode: SqliteReadMode
        for mode, suffix in (("read_write", "?mode=rw"), ("read_only", "?mode=ro"), ("immutable", "?immutable=1")):
            db: sqlite3.Connection | None = None
            try:
                db = sqlite3.connect(uri + suffix, uri=True, timeout=30)  # mode=rw on a missing file fails here
                db.execute("PRAGMA query_only=ON")
                db.execute("SELECT 1 FROM scenarios LIMIT 0")  # opens the file, its WAL index and the schema
            except sqlite3.Error as error:
                if db is not None:
                    db.close()
                last_error = error
                if "not a database" in str(error) or "malformed" in str(error):
                    break  # corrupt: another mode reads the same bytes
                continue
            self.read_mode = mode
            return db
        assert last_error is not None
        raise last_error

    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario:
        saved = SavedScenario(new_id(), _now(), scenario, snapshot)
        with self._connect() as db:
            db.execute(
                "INSERT INTO scenarios VALUES (?, ?, ?, ?)",
                (saved.id, saved.created_at, _dumps(scenario), _dumps(snapshot)),
            )
        return saved

    def get(self, scenario_id: str) -> SavedScenario | None:
        db = self._read_connection()
        try:
            row = db.execute(SELECT_SQLITE, (scenario_id,)).fetchone()
        finally:
            db.close()
        return _row(row)

    def delete(self, scenario_id: str) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,)).rowcount > 0

    def schema_version(self) -> int:
        db = self._read_connection()
        try:
            (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        finally:
            db.close()
        return int(version)

    def check_writable(self) -> None:
        """Take the write lock and let it go: fails where a save would fail to start."""
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()


R = TypeVar("R")


class StaleConnectionError(Exception):
    """A pooled PostgreSQL connection failed before its transaction began: nothing was sent, so
    the operation can safely run again on a new connection."""


PG_CONNECT_TIMEOUT_S = 3  # a blackholed server must not hold a request thread for minutes
PG_POOL_SIZE = 8


class PostgresStore:
    """Keeps up to PG_POOL_SIZE idle connections. A connection the server dropped (a restart,
    pg_terminate_backend, an idle timeout) is discarded with every other idle one and the operation
    runs again on a fresh connection when that is safe: any read, or a write whose BEGIN failed."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        import psycopg  # only needed for DATABASE_URL=postgresql://…

        self.psycopg = psycopg
        self.url = url
        self._idle: list[Any] = []
        self._pool_lock = threading.Lock()
        if migrate:
            self.migrate()

    def migrate(self) -> None:
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

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def _checkout(self) -> tuple[Any, bool]:
        with self._pool_lock:
            if self._idle:
                return self._idle.pop(), True
        return self.psycopg.connect(self.url, autocommit=True, connect_timeout=PG_CONNECT_TIMEOUT_S), False

    def _checkin(self, db: Any) -> None:
        idle = db.info.transaction_status == self.psycopg.pq.TransactionStatus.IDLE
        with self._pool_lock:
            if idle and not db.closed and len(self._idle) < PG_POOL_SIZE:
                self._idle.append(db)
                return
        db.close()

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        db, pooled = self._checkout()
        try:
            transaction = db.transaction()
            try:
                transaction.__enter__()  # BEGIN
            except self.psycopg.OperationalError as error:
                if pooled:
                    raise StaleConnectionError(str(error)) from error
                raise
            try:
                yield db
            except BaseException as error:
                transaction.__exit__(type(error), error, error.__traceback__)  # ROLLBACK
                raise
            transaction.__exit__(None, None, None)  # COMMIT
        except BaseException:
            if db.broken or db.closed:
                db.close()
                self.close()  # the server dropped one: the other idle ones are most likely gone too
            else:
                self._checkin(db)
            raise
        self._checkin(db)

    def _run(self, work: Callable[[Any], R], retry_any_failure: bool) -> R:
        try:
            with self._connect() as db:
                return work(db)
        except StaleConnectionError:
            pass
        except self.psycopg.OperationalError:
            if not retry_any_failure:
                raise
        with self._connect() as db:  # a new connection: the pool was emptied
            return work(db)

    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario:
        saved = SavedScenario(new_id(), _now(), scenario, snapshot)

        def insert(db: Any) -> None:
            db.execute(
                "INSERT INTO scenarios VALUES (%s, %s, %s, %s)",
                (saved.id, saved.created_at, _dumps(scenario), _dumps(snapshot)),
            )

        # Not retried after BEGIN: if the COMMIT's answer was lost, the row may exist already.
        self._run(insert, retry_any_failure=False)
        return saved

    def get(self, scenario_id: str) -> SavedScenario | None:
        def select(db: Any) -> tuple[str, str, str, str] | None:
            row: tuple[str, str, str, str] | None = db.execute(
                "SELECT id, created_at, scenario_json, snapshot_json FROM scenarios WHERE id = %s", (scenario_id,)
            ).fetchone()
            return row

        return _row(self._run(select, retry_any_failure=True))

    def delete(self, scenario_id: str) -> bool:
        def delete(db: Any) -> bool:
            return int(db.execute("DELETE FROM scenarios WHERE id = %s", (scenario_id,)).rowcount) > 0

        return self._run(delete, retry_any_failure=False)

    def schema_version(self) -> int:
        def version(db: Any) -> int:
            (value,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
            return int(value)

        return self._run(version, retry_any_failure=True)

    def check_writable(self) -> None:
        def in_recovery(db: Any) -> bool:
            return bool(db.execute("SELECT pg_is_in_recovery()").fetchone()[0])

        if self._run(in_recovery, retry_any_failure=True):  # a read-only standby cannot save
            raise self.psycopg.OperationalError("the server is a read-only standby (pg_is_in_recovery() is true)")


SQLITE_FILENAME = "breakeven.sqlite3"


def _make_store(settings: Settings, migrate: bool) -> SqliteStore | PostgresStore:
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, migrate=migrate)
    if url and url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")), migrate=migrate)
    if url:
        raise ValueError("DATABASE_URL must start with postgresql:// or sqlite:///")
    return SqliteStore(settings.data_dir / SQLITE_FILENAME, migrate=migrate)


def open_store(settings: Settings) -> ScenarioStore:
    """Open and migrate the store now; driver errors propagate (the CLI and tests use this)."""
    return _make_store(settings, migrate=True)


# --- the app's view: optional, self-healing ---------------------------------------------------------

USER_MESSAGE = (
    "Saved scenarios are unavailable right now; the calculator, charts and API work as usual. Please try again shortly."
)


class StoreUnavailable(Exception):
    """The store cannot serve this request now: the routes answer 503 with Retry-After.

    operator_message names the file or server, the cause and the fix (logs, /readyz); users get
    USER_MESSAGE."""

    def __init__(self, operator_message: str, retry_after_s: int) -> None:
        super().__init__(operator_message)
        self.operator_message = operator_message
        self.retry_after_s = retry_after_s


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "the app's user"


def describe_sqlite_error(path: Path, error: BaseException) -> str:
    """What went wrong with the SQLite file, in words an operator can act on."""
    text = str(error) or type(error).__name__
    code = getattr(error, "errno", None)
    if "not a database" in text or "malformed" in text:
        return (
            f"SQLite database {path} is corrupt or not a database ({text}). Fix: restore it from a backup, or "
            "move it aside so that an empty one is created (the scenarios in it are then lost)."
        )
    if "disk is full" in text or code == errno.ENOSPC:
        return f"the disk holding SQLite database {path} is full ({text}). Fix: free space on {path.parent}."
    directory = path.parent
    existing = next((p for p in (directory, *directory.parents) if p.exists()), directory)
    if not existing.is_dir():
        cause = f"{existing} is a file, not a directory"
    elif code == errno.EROFS:
        cause = f"{directory} is on a read-only file system"
    elif path.exists() and not os.access(path, os.W_OK):
        cause = f"the file is not writable by uid {_uid()}"
    elif directory.is_dir() and not os.access(directory, os.W_OK):
        cause = f"directory {directory} is not writable by uid {_uid()}"
    else:
        cause = "the file or its directory cannot be written (read-only mount or permissions?)"
    return (
        f"cannot write SQLite database {path}: {cause} ({text}). Fix: make {directory} writable by uid {_uid()}, "
        "or point DATA_DIR (or DATABASE_URL=sqlite:///…) at a writable volume."
    )


def redacted_url(url: str) -> str:
    """postgresql://host:port/dbname: never the user or the password."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:  # a malformed URL is described, not raised
        return "postgresql://(unparseable DATABASE_URL)"
    return f"postgresql://{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def describe_postgres_error(url: str, error: BaseException) -> str:
    first_line = (str(error) or type(error).__name__).strip().splitlines()[0]
    return (
        f"PostgreSQL at {redacted_url(url)} is unavailable ({first_line}). Fix: check that the server is up and "
        "reachable and that DATABASE_URL is right; the app reconnects by itself."
    )


BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0  # a store that comes back is used again within 30 s, without a restart


class _Gate:
    """Exponential backoff for one kind of access (reading or writing): after a failure, calls
    answer StoreUnavailable at once until the next attempt is due, so a dead store costs requests
    nothing (a blackholed PostgreSQL would otherwise hold a thread per request for the timeout)."""

    def __init__(self) -> None:
        self.failures = 0
        self.retry_at = 0.0
        self.error: str | None = None

    def wait_s(self, now: float) -> float:
        return max(0.0, self.retry_at - now) if self.error is not None else 0.0

    def fail(self, message: str, now: float) -> None:
        self.failures += 1
        self.retry_at = now + min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self.failures - 1))
        self.error = message

    def succeed(self) -> None:
        self.failures, self.error = 0, None


StoreStatus = Literal["ok", "read_only", "unavailable"]
Access = Literal["read", "write"]


def store_errors() -> tuple[type[BaseException], ...]:
    """What a failing store raises. psycopg is imported only for a PostgreSQL store (and is then
    in sys.modules): importing it for every SQLite process would slow every start."""
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, StaleConnectionError)
    psycopg = sys.modules.get("psycopg")
    return (*errors, psycopg.Error) if psycopg is not None else errors


class ManagedStore:
    """The store as the app sees it (a ScenarioStore): opened and migrated lazily, retried with
    backoff, and failing with StoreUnavailable instead of a driver error."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = _make_store(settings, migrate=False)  # touches nothing; bad DATABASE_URL raises here
        self.backend: Literal["sqlite", "postgresql"] = (
            "sqlite" if isinstance(self.inner, SqliteStore) else "postgresql"
        )
        self.location = str(self.inner.path) if isinstance(self.inner, SqliteStore) else redacted_url(self.inner.url)
        self.migrated = False
        self.clock = clock
        self._gates: dict[Access, _Gate] = {"read": _Gate(), "write": _Gate()}
        self._lock = threading.Lock()
        self._quiet = False

    def describe(self, error: BaseException) -> str:
        if isinstance(self.inner, SqliteStore):
            return describe_sqlite_error(self.inner.path, error)
        return describe_postgres_error(self.inner.url, error)

    def start(self) -> None:
        """Try to open the store now, so a broken one is in the log at start-up; never raises."""
        self._quiet = True  # one log line below, not one per failed check
        try:
            health = self.probe()
        finally:
            self._quiet = False
        if health["status"] != "ok":
            logger.warning("saved scenarios unavailable at start-up (retrying by itself): %s", health["error"])

    def _fail(self, access: Access, message: str) -> StoreUnavailable:
        now = self.clock()
        with self._lock:
            gate = self._gates[access]
            was_failing = gate.error is not None
            gate.fail(message, now)
            wait = gate.wait_s(now)
        if not was_failing and not self._quiet:
            logger.warning("saved scenarios: %s failed: %s", access, message)
        return StoreUnavailable(message, max(1, math.ceil(wait)))

    def _succeed(self, access: Access) -> None:
        # A write that worked proves the store readable too.
        cleared: tuple[Access, ...] = ("read", "write") if access == "write" else ("read",)
        with self._lock:
            if any(self._gates[a].error is not None for a in cleared):
                logger.warning("saved scenarios work again (%s)", self.location)
            for a in cleared:
                self._gates[a].succeed()

    def _migrate_if_due(self) -> None:
        if self.migrated or self._gates["write"].wait_s(self.clock()) > 0:
            return
        try:
            self.inner.migrate()
        except store_errors() as error:
            raise self._fail("write", self.describe(error)) from error
        self.migrated = True
        self._succeed("write")

    def _call(self, access: Access, operation: Callable[[SqliteStore | PostgresStore], R]) -> R:
        gate = self._gates[access]
        wait = gate.wait_s(self.clock())
        if wait > 0:  # failed recently: answer at once, try again when the backoff is over
            raise StoreUnavailable(gate.error or "unavailable", max(1, math.ceil(wait)))
        try:
            self._migrate_if_due()
        except StoreUnavailable as unavailable:
            if access == "write":
                raise
            # SQLite can often still read a database it cannot migrate (a read-only directory, a
            # full disk); a PostgreSQL server that refused the migration would refuse the read too.
            if self.backend == "postgresql":
                raise self._fail("read", unavailable.operator_message) from unavailable
        try:
            result = operation(self.inner)
        except store_errors() as error:
            raise self._fail(access, self.describe(error)) from error
        self._succeed(access)
        return result

    # ScenarioStore
    def save(self, scenario: dict[str, Any], snapshot: dict[str, Any]) -> SavedScenario:
        return self._call("write", lambda store: store.save(scenario, snapshot))

    def get(self, scenario_id: str) -> SavedScenario | None:
        if not could_be_id(scenario_id):
            return None
        return self._call("read", lambda store: store.get(scenario_id))

    def delete(self, scenario_id: str) -> bool:
        if not could_be_id(scenario_id):
            return False
        return self._call("write", lambda store: store.delete(scenario_id))

    def schema_version(self) -> int:
        return self._call("read", lambda store: store.schema_version())

    # health
    def status(self) -> StoreStatus:
        if self._gates["read"].error is not None:
            return "unavailable"
        if self._gates["write"].error is not None or not self.migrated:
            return "read_only"
        return "ok"

    def health(self) -> dict[str, Any]:
        """The last known state, without touching the store (liveness checks call this often)."""
        now = self.clock()
        errors = [g.error for g in self._gates.values() if g.error is not None]
        waits = [g.wait_s(now) for g in self._gates.values() if g.error is not None]
        return {
            "status": self.status(),
            "backend": self.backend,
            "location": self.location,
            "error": errors[0] if errors else None,
            "retry_in_s": math.ceil(max(waits)) if waits else None,
        }

    def probe(self) -> dict[str, Any]:
        """Check now (readiness): read the schema version and take the write lock, unless a retry
        is not due yet."""
        try:
            self._call("read", lambda store: store.schema_version())
        except StoreUnavailable:
            pass
        try:
            self._call("write", lambda store: store.check_writable())
        except StoreUnavailable:
            pass
        return self.health()
