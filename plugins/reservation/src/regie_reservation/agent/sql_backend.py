"""The back office as an SQL database reached by any SQLAlchemy URL, through the mapping.

Tables are reflected, so the agent needs no model of the back office: the mapping names the
tables and columns. Payments are deduplicated by their reference (and the payment mode, when
the mode column is mapped), as the back office itself does: a reference already there is
reported with the number of the existing row and not written again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    MetaData,
    String,
    Table,
    and_,
    cast,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from regie.api import gettext as _
from regie_reservation.agent.config import AgentConfig, Entity
from regie_reservation.agent.records import (
    BackOfficeError,
    IndividualRecord,
    PassageRecord,
    PaymentRecord,
    ReservationRecord,
    Written,
    from_cents,
    individual_from,
    passage,
)

_CHUNK = 500
_STREAMED = 5000
"""Rows of the window fetched at a time while a push reads it."""


class SqlBackOffice:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.engine = create_engine(config.url, pool_pre_ping=True)
        self.metadata = MetaData(schema=config.schema)
        self._tables: dict[str, Table] = {}
        self.skipped: list[str] = []
        """Rows that could not be read since the last look, with the reason."""
        self._everyone: tuple[bytes, list[IndividualRecord], list[str]] | None = None
        """The last reading of every individual: its rows' fingerprint, the records and the
        rows skipped."""

    def close(self) -> None:
        self.engine.dispose()

    def _table(self, name: str) -> tuple[Entity, Table]:
        entity = self.config.entity(name)
        if entity is None:
            raise BackOfficeError(_("the mapping has no [backoffice.%(name)s] section",
                                    name=name))
        if name not in self._tables:
            try:
                table = Table(entity.table, self.metadata, autoload_with=self.engine)
            except NoSuchTableError:
                raise BackOfficeError(_("table %(table)s not found in the back office",
                                        table=entity.table)) from None
            except SQLAlchemyError as exc:
                raise BackOfficeError(_("back office unreachable: %(error)s",
                                        error=_short(exc))) from None
            unknown = [column for column in entity.columns.values()
                       if column not in table.columns]
            if unknown:
                raise BackOfficeError(_("table %(table)s has no column %(columns)s",
                                        table=entity.table, columns=", ".join(unknown)))
            self._tables[name] = table
        return entity, self._tables[name]

    def _raw(self, name: str, *criteria: Any) -> tuple[list[str], list[tuple]]:
        """The mapped fields, and the rows as the driver gives them: a window has 300 000
        passages, and the conversions of :mod:`.records` take any type a driver gives."""
        entity, table = self._table(name)
        fields = list(entity.columns)
        columns = [table.c[entity.columns[field]] for field in fields]
        try:
            with self.engine.connect() as connection:
                return fields, connection.execute(
                    select(*columns).where(*criteria)).cursor.fetchall()
        except SQLAlchemyError as exc:
            raise BackOfficeError(_("back office unreachable: %(error)s",
                                    error=_short(exc))) from None

    def _rows(self, name: str, *criteria: Any) -> list[dict[str, Any]]:
        fields, rows = self._raw(name, *criteria)
        return [dict(zip(fields, row, strict=True)) for row in rows]

    def individuals(self, external_ids: set[str] | None = None) -> list[IndividualRecord]:
        """The individuals; every one of them (``external_ids=None``) from rows the same as
        last time gives the records built last time."""
        entity, table = self._table("individuals")
        column = table.c[entity.columns["external_id"]]
        make = functools.partial(individual_from, money=self.config.money)
        if external_ids is not None:
            return self._convert([row for chunk in _chunks(external_ids) for row in self._rows(
                "individuals", column.in_(_keys(column, chunk)))], make)
        fields, rows = self._raw("individuals")
        fingerprint = hashlib.sha256(repr(rows).encode()).digest()
        if self._everyone is None or self._everyone[0] != fingerprint:
            skipped_before = len(self.skipped)
            records = self._convert([dict(zip(fields, row, strict=True)) for row in rows], make)
            self._everyone = (fingerprint, records, self.skipped[skipped_before:])
        else:
            self.skipped.extend(self._everyone[2])
        return list(self._everyone[1])

    def passages(self, since: dt.date, individuals: set[str] | None = None
                 ) -> list[PassageRecord]:
        entity, table = self._table("passages")
        day = table.c[entity.columns["day"]]
        who = table.c[entity.columns["individual"]]
        if individuals is None:
            fields, rows = self._raw("passages", day >= since)
        else:
            fields, rows = list(entity.columns), [
                row for chunk in _chunks(individuals)
                for row in self._raw("passages", day >= since, who.in_(_keys(who, chunk)))[1]]
        return self._passages(fields, rows)

    def window(self, since: dt.date) -> Iterator[PassageRecord]:
        entity, table = self._table("passages")
        fields = list(entity.columns)
        query = (select(*[table.c[entity.columns[field]] for field in fields])
                 .where(table.c[entity.columns["day"]] >= since)
                 .order_by(table.c[entity.columns["individual"]]))
        try:
            with self.engine.connect() as connection:
                cursor = connection.execute(query).cursor
                while rows := cursor.fetchmany(_STREAMED):
                    yield from self._passages(fields, rows)
        except SQLAlchemyError as exc:
            raise BackOfficeError(_("back office unreachable: %(error)s",
                                    error=_short(exc))) from None

    def _passages(self, fields: list[str], rows: Iterable[tuple]) -> list[PassageRecord]:
        """The passages of ``rows`` (as the driver gives them, with the values of ``fields``);
        a bad row is reported in :attr:`skipped`."""
        at = {field: index for index, field in enumerate(fields)}
        external_id, individual, when, price = (at["external_id"], at["individual"], at["day"],
                                                at["price"])
        meal, money, records = at.get("meal"), self.config.money, []
        for row in rows:
            try:
                records.append(passage(row[external_id], row[individual], row[when],
                                       None if meal is None else row[meal], row[price], money))
            except ValueError as exc:
                self.skipped.append(_("row %(row)s skipped: %(error)s",
                                      row=dict(zip(fields, row, strict=True)), error=exc))
        return records

    def passage_ids(self, since: dt.date) -> list[str]:
        """The ids as :func:`.records.text` makes them, made by the database: every
        incremental run reads the whole window's."""
        entity, table = self._table("passages")
        column = table.c[entity.columns["external_id"]]
        query = (select(func.trim(cast(column, String)))
                 .where(table.c[entity.columns["day"]] >= since, column.is_not(None))
                 .order_by(column))
        try:
            with self.engine.connect() as connection:
                return [value for (value,) in connection.execute(query).cursor.fetchall()]
        except SQLAlchemyError as exc:
            raise BackOfficeError(_("back office unreachable: %(error)s",
                                    error=_short(exc))) from None

    def _convert(self, rows: list[dict[str, Any]], make) -> list:
        records = []
        for row in rows:
            try:
                records.append(make(row))
            except (ValueError, KeyError) as exc:
                self.skipped.append(_("row %(row)s skipped: %(error)s", row=row, error=exc))
        return records

    def record_payment(self, payment: PaymentRecord) -> Written:
        entity, table = self._table("payments")
        col = entity.columns
        same = [table.c[col["reference"]] == payment.reference]
        if "mode" in col:
            same.append(table.c[col["mode"]] == self.config.payment_mode)
        number = table.c[col["number"]] if "number" in col else table.c[col["reference"]]
        values = {col["reference"]: payment.reference,
                  col["individual"]: _key(table.c[col["individual"]], payment.individual),
                  col["amount"]: from_cents(payment.amount, self.config.money)}
        if "day" in col:
            values[col["day"]] = payment.day
        if "mode" in col:
            values[col["mode"]] = self.config.payment_mode
        if "receipt" in col:
            values[col["receipt"]] = payment.receipt
        try:
            with self.engine.begin() as connection:
                existing = connection.execute(select(number).where(and_(*same))).first()
                if existing is not None:
                    return Written("exists", str(existing[0]))
                connection.execute(insert(table).values(values))
                created = connection.execute(select(number).where(and_(*same))).first()
        except SQLAlchemyError as exc:
            raise BackOfficeError(_("back office unreachable: %(error)s",
                                    error=_short(exc))) from None
        return Written("recorded", str(created[0]) if created else "")

    def record_reservation(self, reservation: ReservationRecord) -> str:
        entity, table = self._table("reservations")
        col = entity.columns
        values = {col["individual"]: _key(table.c[col["individual"]], reservation.individual),
                  col["day"]: reservation.day}
        if "meal" in col:
            values[col["meal"]] = reservation.meal
        if "cancelled" in col:
            values[col["cancelled"]] = reservation.cancelled
        key = table.c[col["web_id"]] == reservation.web_id
        try:
            with self.engine.begin() as connection:
                existing = connection.execute(select(*[table.c[c] for c in values])
                                              .where(key)).first()
                if existing is None:
                    connection.execute(insert(table).values({col["web_id"]: reservation.web_id,
                                                             **values}))
                    return "recorded"
                if tuple(existing) == tuple(values.values()):
                    return "unchanged"
                connection.execute(update(table).where(key).values(values))
                return "updated"
        except SQLAlchemyError as exc:
            raise BackOfficeError(_("back office unreachable: %(error)s",
                                    error=_short(exc))) from None


def _chunks(keys: set[str]) -> list[list[str]]:
    ordered = sorted(keys)
    return [ordered[start:start + _CHUNK] for start in range(0, len(ordered), _CHUNK)]


def _key(column, value: str) -> Any:
    """The back office's id ``value`` in the type of ``column`` (ids are text on the web)."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    return int(value) if python_type is int and value.lstrip("-").isdigit() else value


def _keys(column, values: list[str]) -> list[Any]:
    return [_key(column, value) for value in values]


def _short(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
