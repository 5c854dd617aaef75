"""Ticket import in degraded mode (seed §5.2): batches, the CSV of metre readings, finalisation.

A CSV file is read whole and judged line by line: the good readings join their batch (to be
reviewed), the bad lines go to the reject file with their line number and reason, to be
corrected and imported again. Nothing is a ticket before "Finaliser l'import", which creates all
of a batch's tickets in one transaction, or none.

Columns (``;`` or ``,``, UTF-8): 1 line number or 0, 2 batch number, 3 trader number or
number-dash-first-3-letters-of-the-name, 4 metres, 5 badge surcharge (1 or empty), 6 blocking
surcharge (1 or empty), 7 demonstrator tariff (1 or empty), 8 login of the importing user or
empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Rejects,
    User,
    Veto,
    lock,
    read_csv,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_markets.models import SOURCE_IMPORT, Market, Ticket, TicketChange, Trader
from regie_markets.office_models import FINALISED, OPEN, ImportBatch, ImportedReading
from regie_markets.tickets import METRES_RANGE, amount_of, snapshot

COLUMNS = 8
MODEL_HEADER = ("line", "batch", "trader", "metres", "badge_surcharge", "blocking_surcharge",
                "demonstrator", "login")
_TRADER = re.compile(r"^(\d{1,9})(?:-([^\W\d_]{1,3}))?$")


def model_file() -> bytes:
    """The model CSV offered for download: the columns and two example lines."""
    lines = [";".join(MODEL_HEADER), "1;12;104;6;;;;", "2;12;57-DUP;4;1;;1;"]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def next_number(session: Session, establishment: Establishment) -> int:
    current = session.scalar(select_for(establishment, ImportBatch)
                             .with_only_columns(func.max(ImportBatch.number)))
    return (current or 0) + 1


def create_batch(session: Session, establishment: Establishment, *, day: dt.date | None,
                 market_id: int | None, placier_id: int | None, actor: str) -> ImportBatch:
    errors = {}
    if day is None:
        errors["day"] = _("give the day the tickets were written")
    market = session.scalar(select_for(establishment, Market, Market.id == market_id)) \
        if market_id else None
    if market is None:
        errors["market_id"] = _("choose the market")
    if errors:
        raise Invalid(errors)
    batch = ImportBatch(establishment_id=establishment.id,
                        number=next_number(session, establishment), day=day,
                        market_id=market.id, placier_id=placier_id, created_by=actor)
    session.add(batch)
    session.flush()
    return batch


@attrs.frozen
class Outcome:
    imported: int
    rejects: Rejects


def _flag(value: str) -> bool | None:
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    return None


def import_readings(session: Session, establishment: Establishment, data: bytes, *,
                    user: User | None, own_batches_only: bool = False) -> Outcome:
    """Read the CSV ``data`` into the readings of its batches; :class:`Invalid` for a file
    that cannot be read at all (encoding, separator, number of columns)."""
    lines = read_csv(data, columns=COLUMNS)
    login = user.username if user is not None else ""
    batches = {number: (batch_id, state, placier_id)
               for batch_id, number, state, placier_id in session.execute(
                   select_for(establishment, ImportBatch).with_only_columns(
                       ImportBatch.id, ImportBatch.number, ImportBatch.state,
                       ImportBatch.placier_id))}
    traders = {number: (trader_id, (last_name or "").upper(), (legal_name or "").upper())
               for trader_id, number, last_name, legal_name in session.execute(
                   select_for(establishment, Trader).with_only_columns(
                       Trader.id, Trader.number, Trader.last_name, Trader.legal_name))}
    taken = _taken(session, establishment,
                   [batch_id for batch_id, state, _placier in batches.values() if state == OPEN])
    rejects = Rejects()
    seen_numbers: set[int] = set()
    rows: list[dict] = []
    for line in lines:
        reason, row = _judge(line.cells, batches, traders, taken, seen_numbers, login,
                             user.id if user is not None else None, own_batches_only)
        if reason:
            rejects.add(line.number, reason, line.raw)
            continue
        row["establishment_id"] = establishment.id
        rows.append(row)
    if rows:
        session.execute(ImportedReading.__table__.insert(), rows)
    return Outcome(len(rows), rejects)


def _taken(session: Session, establishment: Establishment,
           batch_ids: Sequence[int]) -> set[tuple[int, int]]:
    """``(batch id, trader id)`` of the readings already in the open batches."""
    if not batch_ids:
        return set()
    return set(session.execute(select(ImportedReading.batch_id, ImportedReading.trader_id)
                               .where(ImportedReading.establishment_id == establishment.id,
                                      ImportedReading.batch_id.in_(batch_ids))).all())


def _judge(cells: list[str], batches: dict, traders: dict, taken: set, seen_numbers: set,
           login: str, user_id: int | None, own_batches_only: bool
           ) -> tuple[str, dict | None]:
    """The reason to reject a line, or the reading it makes."""
    if len(cells) != COLUMNS:
        return _("%(found)d columns where %(expected)d are expected", found=len(cells),
                 expected=COLUMNS), None
    number_text, batch_text, trader_text, metres_text, badge, blocking, demo, who = cells
    if not number_text.isdigit():
        return _("line number '%(value)s' is not a number (0 when unnumbered)",
                 value=number_text), None
    line_number = int(number_text)
    if line_number and line_number in seen_numbers:
        return _("line number %(number)d appears twice in the file", number=line_number), None
    if not batch_text.isdigit() or int(batch_text) not in batches:
        return _("unknown batch '%(value)s'", value=batch_text), None
    batch_number = int(batch_text)
    batch_id, state, placier_id = batches[batch_number]
    if state != OPEN:
        return _("batch %(number)d is already finalised", number=batch_number), None
    if own_batches_only and placier_id != user_id:
        return _("batch %(number)d is another placier's", number=batch_number), None
    match = _TRADER.match(trader_text.upper())
    if not match or int(match.group(1)) not in traders:
        return _("unknown trader '%(value)s'", value=trader_text), None
    trader_id, last_name, legal_name = traders[int(match.group(1))]
    letters = match.group(2)
    if letters and not (last_name.startswith(letters) or legal_name.startswith(letters)):
        return _("trader %(number)s is not named '%(letters)s…' (check the number)",
                 number=match.group(1), letters=letters), None
    if not metres_text.isdigit() or int(metres_text) not in METRES_RANGE:
        return _("metres '%(value)s' out of range (%(low)d to %(high)d)", value=metres_text,
                 low=METRES_RANGE.start, high=METRES_RANGE.stop - 1), None
    flags = [_flag(badge), _flag(blocking), _flag(demo)]
    if None in flags:
        return _("columns 5 to 7 take 1 or nothing"), None
    if who and who != login:
        return _("login '%(value)s' is not the importing user's", value=who), None
    if (batch_id, trader_id) in taken:
        return _("trader %(number)s already has a reading in batch %(batch)d",
                 number=match.group(1), batch=batch_number), None
    taken.add((batch_id, trader_id))
    if line_number:
        seen_numbers.add(line_number)
    return "", {"batch_id": batch_id, "line_number": line_number, "trader_id": trader_id,
                "metres": int(metres_text), "badge_surcharge": flags[0],
                "blocking_surcharge": flags[1], "demonstrator": flags[2],
                "imported_by": login}


def readings(session: Session, establishment: Establishment,
             batch: ImportBatch) -> list[tuple[ImportedReading, Trader]]:
    return [(reading, trader) for reading, trader in session.execute(
        select_for(establishment, ImportedReading, ImportedReading.batch_id == batch.id)
        .add_columns(Trader).join(Trader, Trader.id == ImportedReading.trader_id)
        .order_by(ImportedReading.line_number, ImportedReading.id))]


def to_create(session: Session, establishment: Establishment, batch: ImportBatch) -> int:
    """The number of tickets "Finaliser l'import" would create."""
    return session.scalar(select_for(establishment, ImportedReading,
                                     ImportedReading.batch_id == batch.id,
                                     ImportedReading.ticket_id.is_(None))
                          .with_only_columns(func.count(ImportedReading.id))) or 0


def finalise(session: Session, establishment: Establishment, batch_id: int, *,
             user: User | None) -> int:
    """Create the batch's tickets (source ``import``), all or none; return how many."""
    batch = session.scalar(lock(select_for(establishment, ImportBatch,
                                           ImportBatch.id == batch_id))
                           .execution_options(populate_existing=True))
    if batch is None:
        raise Invalid({"batch": _("unknown batch")})
    if batch.state != OPEN:
        raise Veto(_("batch %(number)d is already finalised", number=batch.number))
    market = session.get(Market, batch.market_id)
    pending = list(session.scalars(select_for(establishment, ImportedReading,
                                              ImportedReading.batch_id == batch.id,
                                              ImportedReading.ticket_id.is_(None))))
    existing = set(session.scalars(select_for(establishment, Ticket,
                                              Ticket.market_id == market.id,
                                              Ticket.day == batch.day)
                                   .with_only_columns(Ticket.trader_id)))
    clashes = [reading for reading in pending if reading.trader_id in existing]
    if clashes:
        numbers = session.scalars(select(Trader.number).where(
            Trader.id.in_([reading.trader_id for reading in clashes]))).all()
        raise Veto(_("traders %(numbers)s already have a ticket on %(market)s that day: "
                     "remove their readings first", numbers=", ".join(map(str, numbers)),
                     market=market.name))
    user_id = user.id if user is not None else None
    tickets = [Ticket(establishment_id=establishment.id, trader_id=reading.trader_id,
                      market_id=market.id, placier_id=batch.placier_id, day=batch.day,
                      metres=reading.metres, demonstrator=reading.demonstrator,
                      badge_surcharge=reading.badge_surcharge,
                      blocking_surcharge=reading.blocking_surcharge, source=SOURCE_IMPORT,
                      amount=amount_of(market, reading.metres,
                                       demonstrator=reading.demonstrator,
                                       badge_surcharge=reading.badge_surcharge,
                                       blocking_surcharge=reading.blocking_surcharge))
               for reading in pending]
    session.add_all(tickets)
    session.flush()
    now = utcnow()
    session.add_all([TicketChange(establishment_id=establishment.id, ticket_id=ticket.id,
                                  action="create", user_id=user_id, at=now, before=None,
                                  after=snapshot(ticket)) for ticket in tickets])
    for reading, ticket in zip(pending, tickets, strict=True):
        reading.ticket_id = ticket.id
    batch.state, batch.finalised_at = FINALISED, now
    batch.finalised_by = user.username if user is not None else "system"
    session.flush()
    return len(tickets)


def remove_reading(session: Session, establishment: Establishment, reading_id: int) -> None:
    reading = session.scalar(select_for(establishment, ImportedReading,
                                        ImportedReading.id == reading_id))
    if reading is None or reading.ticket_id is not None:
        raise Veto(_("this reading cannot be removed"))
    batch = session.get(ImportBatch, reading.batch_id)
    if batch.state != OPEN:
        raise Veto(_("batch %(number)d is already finalised", number=batch.number))
    session.delete(reading)
