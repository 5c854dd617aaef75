"""Empty databases for tests that build the schema with the migrations.

With ``pytest_plugins = ["data.databases"]`` in a test module, every test of the module that
asks for ``database_url`` runs on SQLite (a new file per test) and on PostgreSQL (one throw-away
database per module, emptied before each test; skipped when the server is missing, unless
``REGIE_REQUIRE`` names it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regie.testing import require_service


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request) -> Iterator[str | None]:
    """``None`` for SQLite, else the URL of a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    server = require_service("postgres")
    name = f"regie_migrations_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(backend, tmp_path) -> str:
    """An empty database: no table, no migration applied."""
    if backend is None:
        return f"sqlite:///{tmp_path / 'regie.db'}"
    engine = create_engine(backend)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return backend
