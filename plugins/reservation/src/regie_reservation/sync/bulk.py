"""Many rows into one table with as little per-row work as each database allows.

A push inserts up to 20 000 passages per request. Through SQLAlchemy's ``executemany`` each row
is a parameter dictionary processed one by one, and on PostgreSQL one pipelined statement per
row. Here the rows are given column by column: PostgreSQL receives one array per column and
inserts them with a single ``INSERT … SELECT FROM unnest(…)``; SQLite receives the rows as
plain tuples, converted by each column's own bind processor, through the driver's
``executemany``; any other database gets SQLAlchemy's ``executemany``. Constraints hold as for
any insert: a duplicate raises ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
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
        arrays = func.unnest(*[cast(bindparam(name, list(columns[name])),
                                    ARRAY(table.c[name].type)) for name in names])
        rows = arrays.table_valued(*names).render_derived()
        connection.execute(insert(table).from_select(names, select(*rows.c)))
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
