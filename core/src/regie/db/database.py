"""One :class:`Database` per application instance: engine, sessions, dialect settings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


class DatabaseUnavailable(Exception):
    """The database cannot be reached or the URL is wrong; the message says which."""


def _sqlite_on_connect(dbapi_connection, _record):
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection):
    """Writers take the write lock up front (BEGIN IMMEDIATE) so SQLite serialises them and
    waits on the busy timeout, instead of failing when a reader upgrades to a writer.

    Sent straight to the driver: every request begins a transaction, and going through
    SQLAlchemy's statement execution cost more than the page's query."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    write = options.get("sqlite_write")
    connection.connection.driver_connection.execute(
        "BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")


#: Seconds a pooled connection may rest before it is pinged when taken from the pool.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use when it has rested more than
    :data:`PING_AFTER_IDLE`, not at every checkout as ``pool_pre_ping`` does.

    A connection returned a moment ago by another request is alive; pinging it costs a round
    trip per request for nothing. One that has waited (after a quiet spell, or a server
    restart, which takes longer than that) is pinged, and replaced when the server dropped it.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record):
        record.info["rested_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("rested_from", 0.0) < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the server dropped a pooled connection: {exc}") from exc


class Database:
    """Engine and session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseUnavailable(f"database_url is not a database URL: {exc}") from exc
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        options: dict = {"echo": echo, "future": True}
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if not self.is_sqlite:
            options.update(pool_size=pool_size, max_overflow=pool_size)
        try:
            self.engine: Engine = create_engine(parsed, **options)
        except Exception as exc:  # missing driver, bad options
            raise DatabaseUnavailable(f"cannot use database {self.display_url}: {exc}") from exc
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            _ping_when_idle(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(sqlite_write=True)
        self.write_sessionmaker = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def session(self) -> Session:
        return self.sessionmaker()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error.

        On SQLite the transaction holds the write lock from its start; on PostgreSQL rows that
        must not change under it are locked with :func:`regie.db.tenancy.lock`.
        """
        session = self.write_sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for one statement outside any transaction: no ``BEGIN`` and
        ``ROLLBACK`` round trips around a single read. For reads whose result stands alone
        (a version number); reads that must agree with each other take a session."""
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def check(self) -> None:
        """Connect once; raise :class:`DatabaseUnavailable` with the reason when that fails."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(
                f"cannot connect to the database {self.display_url}: {reason}"
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()
