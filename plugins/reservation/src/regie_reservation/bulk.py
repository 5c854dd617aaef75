"""Many rows into one table with as little per-row work as each database allows.

A push inserts up to 20 000 passages and 1000 individuals per request. Through SQLAlchemy's
``executemany`` each row is a parameter dictionary processed one by one, and on PostgreSQL
one pipelined statement per row (or, with ``RETURNING``, statements of thousands of
parameters that the driver parses each time). Here PostgreSQL receives the rows through
``COPY``, or, when their ids are wanted, one array per column inserted by a single
``INSERT … SELECT FROM unnest(…)``; SQLite receives the rows as plain tuples, converted by each
column's own bind processor, through the driver's ``executemany``; any other database gets
SQLAlchemy's ``executemany``. Constraints hold as for
any insert: a duplicate raises ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Table, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_columns(session: Session, table: Table, columns: dict[str, Sequence[Any]]) -> None:
    """Insert the rows whose values are ``columns`` (column name → one value per row, every
    column with a default included)."""
    names = list(columns)
    if not columns[names[0]]:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        _copy(connection, table, columns)
    elif dialect.name == "sqlite":
        statement = insert(table).values({name: bindparam(name) for name in names})
        compiled = statement.compile(dialect=dialect)
        converted = []
        for name in compiled.positiontup:
            process = table.c[name].type.bind_processor(dialect)
            values = columns[name]
            converted.append([process(value) for value in values] if process else values)
        connection.exec_driver_sql(str(compiled), list(zip(*converted, strict=True)))
    else:
        connection.execute(insert(table), [dict(zip(names, row, strict=True))
                                           for row in zip(*columns.values(), strict=True)])


def insert_returning(session: Session, table: Table, rows: list[dict[str, Any]],
                     key: str) -> dict[Any, int]:
    """Insert ``rows`` (dictionaries of the same columns, every column with a default
    included); the new ids by the value of their ``key`` column, unique among them."""
    if not rows:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        return dict(connection.execute(
            _unnest(table, columns).returning(table.c[key], table.c.id)).all())
    ids = session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                          rows).all()
    return {row[key]: row_id for row, row_id in zip(rows, ids, strict=True)}


def _unnest(table: Table, columns: dict[str, Sequence[Any]]):
    """PostgreSQL: ``INSERT … SELECT * FROM unnest(array, array …)``, one array per column."""
    names = list(columns)
    arrays = func.unnest(*[cast(bindparam(name, list(columns[name])), ARRAY(table.c[name].type))
                           for name in names])
    return insert(table).from_select(names, select(*arrays.table_valued(*names)
                                                   .render_derived().c))


def _copy(connection: Connection, table: Table, columns: dict[str, Sequence[Any]]) -> None:
    """PostgreSQL: the rows through ``COPY … FROM STDIN`` on the session's own connection (in
    its transaction), a violated constraint raised as SQLAlchemy's ``IntegrityError``."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with connection.connection.dbapi_connection.cursor() as cursor:
        try:
            with cursor.copy(statement) as copy:
                for row in zip(*columns.values(), strict=True):
                    copy.write_row(row)
        except psycopg.IntegrityError as exc:
            raise IntegrityError(statement.as_string(cursor), None, exc) from exc
