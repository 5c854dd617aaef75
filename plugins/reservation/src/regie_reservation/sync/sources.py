"""File sources of the back-office sync (``regie_sync_sources``), for a school that exports
from its back office instead of running the agent: a CSV of individuals (with logins and
balances) or of passages, run with ``regie sync run`` or dropped in the pickup folder.

The first line names the columns (the agent's field names, any order; ``;`` or ``,``); balances
and prices are in currency units (``15,70``). The rules are the agent's (:mod:`.push`); the
balance is the back office's as of the file's time, so the web payments made after that time
are added to it. A file with a bad line imports nothing and comes back with its reject file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from regie.api import (
    Establishment,
    Invalid,
    Rejects,
    SyncContext,
    SyncOutcome,
    read_csv,
    select_for,
)
from regie.api import gettext as _
from regie_reservation.agent.records import cents
from regie_reservation.models import Individual, Passage
from regie_reservation.sync import push
from regie_reservation.sync.models import SyncPayment

INDIVIDUALS, PASSAGES = "reservation.individuals", "reservation.passages"
INDIVIDUAL_COLUMNS = ("external_id", "last_name", "first_name", "kind", "class_name", "regime",
                      "login", "password", "responsible_name", "responsible_email", "balance")
PASSAGE_COLUMNS = ("external_id", "individual", "day", "meal", "price")


class _NothingImported(Exception):
    pass


def _rows(ctx: SyncContext, known: tuple[str, ...], required: tuple[str, ...],
          rejects: Rejects) -> list[tuple[Any, dict[str, str]]]:
    lines = read_csv(ctx.path.read_bytes())
    header = [cell.strip().lower() for cell in lines[0].cells]
    unknown = [name for name in header if name not in known]
    missing = [name for name in required if name not in header]
    if unknown or missing:
        raise Invalid({"file": _("The first line must name the columns (%(known)s); unknown: "
                                 "%(unknown)s; missing: %(missing)s.", known=", ".join(known),
                                 unknown=", ".join(unknown) or "-",
                                 missing=", ".join(missing) or "-")})
    rows = []
    for line in lines[1:]:
        if len(line.cells) != len(header):
            rejects.add(line.number, _("%(found)d columns where the first line has %(expected)d",
                                       found=len(line.cells), expected=len(header)), line.raw)
            continue
        rows.append((line, {name: cell.strip() for name, cell in zip(header, line.cells,
                                                                     strict=True)}))
    return rows


def _file_time(ctx: SyncContext) -> dt.datetime:
    return dt.datetime.fromtimestamp(ctx.path.stat().st_mtime, dt.UTC)


def _receipts_before(session, establishment: Establishment, moment: dt.datetime) -> int:
    """The last receipt number of a web payment the back office could know at ``moment``."""
    return session.scalar(select(func.max(SyncPayment.receipt_number)).where(
        SyncPayment.establishment_id == establishment.id,
        SyncPayment.succeeded_at <= moment)) or 0


def run_individuals(ctx: SyncContext) -> SyncOutcome:
    rejects = Rejects()
    rows, items = _rows(ctx, INDIVIDUAL_COLUMNS, ("external_id", "last_name"), rejects), []
    for line, row in rows:
        item: dict[str, Any] = {name: value or None for name, value in row.items()}
        try:
            item["balance"] = cents(row["balance"], "units") if row.get("balance") else None
        except ValueError as exc:
            rejects.add(line.number, _("balance: %(error)s", error=exc), line.raw)
            continue
        items.append((line, item))
    as_of = _file_time(ctx)
    try:
        with ctx.db.transaction() as session:
            place = session.get(Establishment, ctx.establishment_id)
            results = push.push_individuals(session, place, {
                "mode": "periodic", "as_of": as_of.isoformat(),
                "payments_through": _receipts_before(session, place, as_of),
                "items": [item for _line, item in items]})
            for (line, _item), result in zip(items, results, strict=True):
                if result["status"] == "rejected":
                    rejects.add(line.number, result["reason"], line.raw)
            if rejects:
                raise _NothingImported
    except _NothingImported:
        return SyncOutcome(0, rejects=rejects, message=_("Nothing imported: correct the lines "
                                                         "of the reject file."))
    imported = sum(1 for result in results if result["status"] in ("created", "updated"))
    return SyncOutcome(imported, unchanged=len(results) - imported)


def run_passages(ctx: SyncContext) -> SyncOutcome:
    rejects = Rejects()
    rows = _rows(ctx, PASSAGE_COLUMNS, ("external_id", "individual", "day", "price"), rejects)
    try:
        with ctx.db.transaction() as session:
            place = session.get(Establishment, ctx.establishment_id)
            people = {person.external_id: person for person in session.scalars(
                select_for(place, Individual, Individual.external_id.in_(
                    {row["individual"] for _line, row in rows})))}
            recorded = set(session.scalars(select(Passage.external_id).where(
                Passage.establishment_id == place.id,
                Passage.external_id.in_([row["external_id"] for _line, row in rows]))))
            fresh: dict[str, list] = {}
            for line, row in rows:
                try:
                    passage = _passage(row)
                except (ValueError, Invalid) as exc:
                    rejects.add(line.number, str(exc), line.raw)
                    continue
                if row["individual"] not in people:
                    rejects.add(line.number, _("unknown individual %(id)s", id=row["individual"]),
                                line.raw)
                elif passage[0] not in recorded:
                    recorded.add(passage[0])
                    fresh.setdefault(row["individual"], []).append(passage)
            if rejects:
                raise _NothingImported
            for external_id, passages in fresh.items():
                push.record_passages(session, place, people[external_id], passages)
    except _NothingImported:
        return SyncOutcome(0, rejects=rejects, message=_("Nothing imported: correct the lines "
                                                         "of the reject file."))
    imported = sum(len(passages) for passages in fresh.values())
    return SyncOutcome(imported, unchanged=len(rows) - imported)


def _passage(row: dict[str, str]) -> tuple[str, dt.date, str, int]:
    if not row["external_id"]:
        raise ValueError(_("external_id: is required"))
    try:
        day = dt.date.fromisoformat(row["day"])
    except ValueError:
        try:
            day = dt.datetime.strptime(row["day"], "%d/%m/%Y").date()
        except ValueError:
            raise ValueError(_("day: %(value)s is not a date", value=row["day"])) from None
    price = cents(row["price"], "units")
    if price < 0:
        raise ValueError(_("price: must be zero or more"))
    return row["external_id"], day, row.get("meal") or "lunch", price
