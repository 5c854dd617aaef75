"""A test database per test session, emptied between tests.

SQLite gets a fresh file per test (cheap). PostgreSQL gets one throw-away database per test
process, whose tables are truncated between tests.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regie.db import Database, Model


class TestDatabase:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, server_url: str | None) -> None:
        self.server_url = server_url
        self.url: str | None = None
        self._database: Database | None = None
        if server_url:
            name = f"regie_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.url = make_url(server_url).set(database=name).render_as_string(
                hide_password=False)
            self._database = Database(self.url)
            self._create_tables()

    def url_for_test(self, folder: Path) -> str:
        """The URL a test uses: a new SQLite file, or the emptied PostgreSQL database."""
        if self._database is None:
            url = f"sqlite:///{folder / 'regie.db'}"
            database = Database(url)
            Model.metadata.create_all(database.engine)
            database.dispose()
            return url
        if len(Model.metadata.tables) != self._tables:
            self._create_tables()  # a test module loaded a plugin with tables of its own
        tables = ", ".join(f'"{table.name}"' for table in Model.metadata.sorted_tables)
        with self._database.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return self.url

    def _create_tables(self) -> None:
        Model.metadata.create_all(self._database.engine)
        self._tables = len(Model.metadata.tables)

    def drop(self) -> None:
        if self._database is None:
            return
        self._database.dispose()
        name = make_url(self.url).database
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
