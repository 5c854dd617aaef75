"""The Alembic environment of Régie.

It is run by :mod:`regie.db.migrations`, which passes everything through
``config.attributes``: the open ``connection`` (already in its transaction) and the names of the
``tables`` this run may compare, those of the core and of the loaded plugins (or of the one
plugin a new revision is for). There is no ``alembic.ini`` and no offline (``--sql``) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import TypeDecorator

from regie.db.base import Model

config = context.config
tables: frozenset[str] = config.attributes["tables"]


def include_name(name, type_, parent_names) -> bool:
    """Reflect only the tables this run is about (not those of plugins left out)."""
    return type_ != "table" or name in tables


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return type_ != "table" or name in tables


def render_item(type_, obj, autogen_context):
    """Write a column's storage type, not the Python wrapper around it, so that a migration
    does not import the models it was generated from (``UTCDateTime`` → ``DateTime``)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


if context.is_offline_mode():
    raise RuntimeError("Régie migrations run online only: use `regie db upgrade`")

connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Model.metadata,
    include_name=include_name,
    include_object=include_object,
    render_item=render_item,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
