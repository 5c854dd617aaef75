"""Queries scoped to one establishment. Tenant rows are read only through these helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def select_for(establishment: Any, model: type[T], *criteria: Any) -> Select[tuple[T]]:
    """``SELECT model WHERE establishment_id = establishment.id AND criteria``."""
    return select(model).where(model.establishment_id == _id(establishment), *criteria)


def get_for(session: Session, establishment: Any, model: type[T], row_id: Any) -> T | None:
    """The row ``row_id`` of ``model`` if it belongs to ``establishment``, else ``None``."""
    row = session.get(model, row_id)
    if row is None or row.establishment_id != _id(establishment):
        return None
    return row


def lock(statement: Select[Any]) -> Select[Any]:
    """Lock the selected rows until the end of the transaction (``FOR UPDATE`` on PostgreSQL;
    SQLite write transactions already hold the database lock)."""
    return statement.with_for_update()


def _id(establishment: Any) -> int:
    return establishment if isinstance(establishment, int) else establishment.id
