"""The agent's memory between runs, in a small SQLite file beside its configuration: the
payment cursor, when each stream last ran, every item the hosted side has acknowledged with
its digest (so an incremental push sends only what changed; passages are remembered by id
only) and the payments written to a CSV back office."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursor (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sent (stream TEXT NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL,
                                 PRIMARY KEY (stream, key));
CREATE TABLE IF NOT EXISTS written_payment (reference TEXT PRIMARY KEY, number TEXT NOT NULL);
"""


class State:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def get(self, name: str, default: str | None = None) -> str | None:
        row = self.connection.execute("SELECT value FROM cursor WHERE name = ?",
                                      (name,)).fetchone()
        return row[0] if row else default

    def put(self, name: str, value: str) -> None:
        self.connection.execute("INSERT INTO cursor (name, value) VALUES (?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                                (name, value))

    def moment(self, name: str) -> dt.datetime | None:
        value = self.get(name)
        return dt.datetime.fromisoformat(value) if value else None

    def digests(self, stream: str) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, digest FROM sent WHERE stream = ?",
                                            (stream,)))

    def keys(self, stream: str) -> set[str]:
        return {key for (key,) in self.connection.execute(
            "SELECT key FROM sent WHERE stream = ?", (stream,))}

    def acknowledge(self, stream: str, digests: Iterable[tuple[str, str]]) -> None:
        """The hosted side holds these items as they are now."""
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.executemany(
                "INSERT INTO sent (stream, key, digest) VALUES (?, ?, ?) ON CONFLICT "
                "(stream, key) DO UPDATE SET digest = excluded.digest",
                [(stream, key, digest) for key, digest in digests])

    def forget(self, stream: str, keys: Iterable[str] | None = None) -> None:
        """Send these items (all of the stream without ``keys``) again next time."""
        if keys is None:
            self.connection.execute("DELETE FROM sent WHERE stream = ?", (stream,))
        else:
            self.connection.executemany("DELETE FROM sent WHERE stream = ? AND key = ?",
                                        [(stream, key) for key in keys])

    def payment_number(self, reference: str) -> str | None:
        row = self.connection.execute("SELECT number FROM written_payment WHERE reference = ?",
                                      (reference,)).fetchone()
        return row[0] if row else None

    def remember_payments(self, written: Iterable[tuple[str, str]]) -> None:
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.executemany(
                "INSERT OR IGNORE INTO written_payment (reference, number) VALUES (?, ?)",
                list(written))
