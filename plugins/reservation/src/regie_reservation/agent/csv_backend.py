"""The back office as an exchange folder of CSV files.

The back office exports ``individuals`` and ``passages`` files (names in the mapping, header
line with the mapped column names, UTF-8 or Windows-1252, ``;`` by default). The agent writes
what it pulls from the web as new files, one per run, in ``payments/`` and ``reservations/``
of the folder, with the mapped column names; a file appears complete or not at all (written
aside, then renamed). Payments already written are remembered in the agent's state, so a
reference pulled again is reported as already there and not written twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    passage_from,
)
from regie_reservation.agent.state import State


class CsvBackOffice:
    def __init__(self, config: AgentConfig, state: State) -> None:
        self.config = config
        self.folder = config.folder
        self.state = state
        self.skipped: list[str] = []
        self._pending: dict[str, list[dict[str, Any]]] = {"payments": [], "reservations": []}

    def close(self) -> None:
        self.flush()

    def _entity(self, name: str) -> Entity:
        entity = self.config.entity(name)
        if entity is None:
            raise BackOfficeError(_("the mapping has no [backoffice.%(name)s] section",
                                    name=name))
        return entity

    def _read(self, name: str) -> list[dict[str, Any]]:
        entity = self._entity(name)
        path = self.folder / entity.table
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BackOfficeError(_("cannot read %(path)s: %(error)s", path=str(path),
                                    error=exc.strerror or str(exc))) from None
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = data.decode("cp1252", errors="replace")
        reader = csv.DictReader(io.StringIO(content), delimiter=self.config.delimiter)
        header = set(reader.fieldnames or ())
        missing = [column for column in entity.columns.values() if column not in header]
        if missing:
            raise BackOfficeError(_("%(path)s has no column %(columns)s", path=str(path),
                                    columns=", ".join(missing)))
        return [({field: line[column] for field, column in entity.columns.items()},
                 reader.line_num) for line in reader]

    def _convert(self, name: str, make) -> list:
        records = []
        for row, number in self._read(name):
            try:
                records.append(make(row))
            except (ValueError, KeyError) as exc:
                self.skipped.append(_("%(file)s line %(line)s skipped: %(error)s",
                                      file=self._entity(name).table, line=number, error=exc))
        return records

    def individuals(self, external_ids: set[str] | None = None) -> list[IndividualRecord]:
        records = self._convert("individuals",
                                lambda row: individual_from(row, self.config.money))
        return [record for record in records
                if external_ids is None or record.external_id in external_ids]

    def passages(self, since: dt.date, individuals: set[str] | None = None
                 ) -> list[PassageRecord]:
        records = self._convert("passages", lambda row: passage_from(row, self.config.money))
        return [record for record in records if record.day >= since
                and (individuals is None or record.individual in individuals)]

    def window(self, since: dt.date) -> Iterator[PassageRecord]:
        return iter(sorted(self.passages(since), key=operator.attrgetter("individual")))

    def passage_ids(self, since: dt.date) -> list[str]:
        """As :meth:`passages` reads them; a bad line is left for :meth:`passages` to
        report."""
        ids = []
        for row, _number in self._read("passages"):
            try:
                record = passage_from(row, self.config.money)
            except (ValueError, KeyError):
                continue
            if record.day >= since:
                ids.append(record.external_id)
        return ids

    def record_payment(self, payment: PaymentRecord) -> Written:
        number = self.state.payment_number(payment.reference)
        if number is None:
            number = next((line["number"] for line in self._pending["payments"]
                           if line["reference"] == payment.reference), None)
        if number is not None:
            return Written("exists", number)
        col = self._entity("payments").columns
        number = str(payment.receipt)
        values = {"reference": payment.reference, "individual": payment.individual,
                  "amount": from_cents(payment.amount, self.config.money),
                  "day": payment.day.isoformat(), "mode": self.config.payment_mode,
                  "receipt": payment.receipt, "number": number}
        self._pending["payments"].append({field: value for field, value in values.items()
                                          if field in col or field in ("reference", "number")})
        return Written("recorded", number)

    def record_reservation(self, reservation: ReservationRecord) -> str:
        values = {"web_id": reservation.web_id, "individual": reservation.individual,
                  "day": reservation.day.isoformat(), "meal": reservation.meal,
                  "cancelled": int(reservation.cancelled)}
        self._pending["reservations"].append(values)
        return "recorded"

    def flush(self) -> None:
        """Write what was recorded since the last flush, one new file per kind."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        for name, lines in self._pending.items():
            if not lines:
                continue
            col = self._entity(name).columns
            fields = [field for field in col if field in lines[0]]
            out = io.StringIO()
            writer = csv.writer(out, delimiter=self.config.delimiter, lineterminator="\r\n")
            writer.writerow([col[field] for field in fields])
            writer.writerows([[line[field] for field in fields] for line in lines])
            folder = self.folder / name
            target = folder / f"{name}-{stamp}.csv"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                _write_atomically(target, out.getvalue().encode("utf-8"))
            except OSError as exc:
                raise BackOfficeError(_("cannot write %(path)s: %(error)s", path=str(target),
                                        error=exc.strerror or str(exc))) from None
            if name == "payments":
                self.state.remember_payments(
                    [(line["reference"], f"{target.name}:{number}")
                     for number, line in enumerate(lines, start=2)])
            lines.clear()


def _write_atomically(target: Path, data: bytes) -> None:
    aside = target.with_name(f".{target.name}.part")
    aside.write_bytes(data)
    os.replace(aside, target)
