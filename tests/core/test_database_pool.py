"""Pooled PostgreSQL connections: pinged after a rest, replaced when the server dropped them."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from regie.db import database
from regie.db.database import Database


@pytest.fixture
def db(postgres_url):
    opened = Database(postgres_url, pool_size=1)
    yield opened
    opened.dispose()


def _backend(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _pings(db: Database, monkeypatch) -> list[object]:
    pinged: list[object] = []
    real = db.engine.dialect.do_ping

    def counted(dbapi_connection):
        pinged.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return pinged


def test_a_connection_the_server_dropped_is_replaced_before_use(db, postgres_url, monkeypatch):
    dropped = _backend(db)
    admin = create_engine(postgres_url, poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    admin.dispose()
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)

    assert _backend(db) != dropped


def test_a_connection_returned_a_moment_ago_is_used_without_a_ping(db, monkeypatch):
    pinged = _pings(db, monkeypatch)
    first = _backend(db)
    assert _backend(db) == first
    assert pinged == []

    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)
    assert _backend(db) == first
    assert len(pinged) == 1


def test_statements_are_planned_for_their_own_values(db):
    """A statement prepared on the server keeps being planned for the values of each
    execution, never one generic plan for all (see ``database._postgres_on_connect``)."""
    with db.engine.connect() as connection:
        run = connection.exec_driver_sql
        run("CREATE TEMP TABLE tenant_row (tenant int, other int, key text)")
        run("CREATE INDEX ON tenant_row (tenant, other)")
        run("CREATE UNIQUE INDEX ON tenant_row (tenant, key)")
        run("INSERT INTO tenant_row VALUES (1, 0, 'a')")
        run("PREPARE lookup(int, text) AS SELECT other FROM tenant_row "
            "WHERE tenant = $1 AND key = $2")
        for _ in range(6):  # from the sixth execution PostgreSQL may keep a generic plan
            run("EXECUTE lookup(1, 'a')")
        run("INSERT INTO tenant_row SELECT 1, mod(n, 3), 'k' || n FROM generate_series(1, 5000) n")
        plan = "\n".join(row[0] for row in run("EXPLAIN EXECUTE lookup(1, 'k5')"))
        connection.rollback()
    assert "'k5'" in plan and "$2" not in plan, plan
