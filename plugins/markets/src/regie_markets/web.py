"""The database session of a Markets request: the core's session for pages that read; for a
POST, a write session, which on SQLite takes the write lock when the transaction starts, so
placiers saving at the same moment queue up instead of failing on a read snapshot."""

from __future__ import annotations

from flask import g, request
from sqlalchemy.orm import Session

from regie.api import current_runtime, db_session


def request_db() -> Session:
    if "markets_db" not in g:
        g.markets_db = (current_runtime().db.write_sessionmaker() if request.method == "POST"
                        else db_session())
        g.markets_db_own = request.method == "POST"
    return g.markets_db


def close_request_db(_exc: BaseException | None = None) -> None:
    session = g.pop("markets_db", None)
    if session is not None and g.pop("markets_db_own", False):
        session.close()
