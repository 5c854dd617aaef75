"""Session objects built from plain rows, for the hottest reads.

On the paths every request takes (the member lookup of each page, the payment each provider
notification locks), the ORM's loading of a row cost more than the query itself. There, the
columns are read with a Core statement and the object is built from the row and put in the
session the way the ORM's own loader does it: it then behaves like a loaded object (lazy
loads work, later changes are flushed, nothing is pending).

**Private SQLAlchemy API:** :func:`persistent` and :func:`mark_written` use three internals
(``state.session_id``, ``identity_map._add_unpresent``, ``state._commit_all``). SQLAlchemy is
pinned in ``uv.lock``; whoever upgrades it re-runs ``tests/core/test_db_rows.py`` and
``tests/core/test_establishments_lookup.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

T = TypeVar("T")

Columns = list[tuple[str, Column]]


def loaded_columns(model: type, *, leave: tuple[str, ...] = ()) -> Columns:
    """(attribute, column) of what the ORM loads of ``model`` (primary key first), but the
    attributes ``leave``."""
    mapper = inspect(model)
    keys = [prop.key for prop in mapper.column_attrs
            if not prop.deferred and prop.key not in leave]
    primary = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    return [(key, mapper.attrs[key].columns[0])
            for key in primary + [key for key in keys if key not in primary]]


def persistent(session: Session, model: type[T], columns: Columns, values: Sequence[Any], *,
               refresh: bool = False, unloaded: tuple[str, ...] = ()) -> T:
    """The session's ``model`` object with these column values (primary key first, as
    :func:`loaded_columns` lists them).

    One the session holds already is kept as it is, or, with ``refresh``, given the values
    read (as ``populate_existing`` does: for a row just locked). Otherwise a new object is put
    in the session as the ORM's loading does it (a public ``Session.add`` of a detached
    object walks its cascades, as dear as the ORM's loading). ``unloaded``: attributes left
    out of ``columns`` that must load on first use.
    """
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key((values[0],))
    held = session.identity_map.get(key)
    if held is not None:
        if refresh:
            for (name, _column), value in zip(columns, values, strict=True):
                set_committed_value(held, name, value)
        return held
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(zip((name for name, _column in columns), values, strict=True))
    state.key = key
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    state._commit_all(state.dict, session.identity_map)
    if unloaded:
        session.expire(instance, list(unloaded))
    return instance


def mark_written(instance: Any) -> dict[str, Any]:
    """Take the object's changes to its columns as written by the caller's own statement:
    they are committed in the object, and no flush visits it for them. Returns them."""
    state = instance_state(instance)
    columns = state.mapper.column_attrs.keys()
    changes = {name: state.dict[name] for name in columns if name not in state.unmodified}
    session = state.session
    state._commit_all(state.dict, session.identity_map if session is not None else None)
    return changes


__all__ = ["Columns", "loaded_columns", "mark_written", "persistent"]
