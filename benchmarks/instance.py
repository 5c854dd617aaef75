"""A throw-away Régie instance for one benchmark run: folder, ``regie.toml``, migrated database
(SQLite in the folder, or a new database on the local PostgreSQL server), removed at the end."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regie.config import DEFAULT_PLUGINS, render_toml
from regie.runtime import Runtime

POSTGRES_SERVER = os.environ.get(
    "REGIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def regie_command() -> str:
    """The ``regie`` console script of the environment running the benchmarks."""
    beside = Path(sys.executable).with_name("regie")
    return str(beside) if beside.exists() else shutil.which("regie") or "regie"


class Instance:
    """Create with :meth:`create`; use as a context manager so it is removed afterwards."""

    def __init__(self, folder: Path, database: str, database_url: str) -> None:
        self.folder = folder
        self.database = database
        self.database_url = database_url
        self.secret_key = secrets.token_urlsafe(32)
        self._runtime: Runtime | None = None

    @classmethod
    def create(cls, database: str = "sqlite") -> Instance:
        folder = Path(tempfile.mkdtemp(prefix="regie-bench-"))
        if database == "sqlite":
            url = f"sqlite:///{folder / 'regie.db'}"
        elif database == "postgres":
            url = _create_postgres_database(f"regie_bench_{uuid.uuid4().hex[:10]}")
        else:
            raise ValueError(f"unknown database {database!r}: sqlite or postgres")
        instance = cls(folder, database, url)
        (folder / "regie.toml").write_text(
            render_toml(instance.secret_key, list(DEFAULT_PLUGINS), database_url=url),
            encoding="utf-8")
        instance.regie("db", "upgrade")
        return instance

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process working on this instance."""
        environ = {name: value for name, value in os.environ.items()
                   if not name.startswith("REGIE_")}
        environ.update(REGIE_INSTANCE=str(self.folder), **extra)
        return environ

    def regie(self, *args: str) -> str:
        """Run ``regie ARGS`` on this instance; its output, or an error with it."""
        result = subprocess.run([regie_command(), *args], env=self.env(), capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"regie {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        return result.stdout

    @property
    def runtime(self) -> Runtime:
        """The instance's runtime in this process, to arrange data through core services."""
        if self._runtime is None:
            self._runtime = Runtime.from_config(self.folder, environ={})
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        if self.database == "postgres":
            _drop_postgres_database(make_url(self.database_url).database)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _create_postgres_database(name: str) -> str:
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
