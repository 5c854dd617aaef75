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
