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

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Rejects,
    User,
    Veto,
    iter_csv,
    lock,
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


_FLAGS = {"": False, "0": False, "1": True}
_METRES = {str(metres): metres for metres in METRES_RANGE}


def _whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def import_readings(session: Session, establishment: Establishment, data: bytes, *,
                    user: User | None, own_batches_only: bool = False) -> Outcome:
    """Read the CSV ``data`` into the readings of its batches; :class:`Invalid` for a file
    that cannot be read at all (encoding, separator, number of columns)."""
    judge = _Judge.for_establishment(session, establishment, user=user,
                                     own_batches_only=own_batches_only)
    rejects = Rejects()
    rows: list[dict] = []
    for line in iter_csv(data, columns=COLUMNS):
        reason, row = judge(line.cells)
        if reason:
            rejects.add(line.number, reason, line.raw)
        else:
            rows.append(row)
    if rows:
        session.execute(ImportedReading.__table__.insert(), rows)
    return Outcome(len(rows), rejects)


@attrs.frozen
class _BatchVerdict:
    reason: str
    batch_id: int = 0
    number: int = 0
    traders_read: set[int] = attrs.field(factory=set)
    """Ids of the traders with a reading in the batch: already there, or judged good."""


@attrs.frozen
class _TraderVerdict:
    reason: str
    trader_id: int = 0
    number: int = 0


@attrs.define
class _Judge:
    """Judges the lines of one file, in order, against the establishment's batches and traders
    read once. A file repeats the same batch and trader cells on thousands of lines, so the
    verdict on each distinct cell is kept."""

    session: Session
    establishment: Establishment
    batches: dict[int, tuple[int, str, int | None]]
    """Batch number → id, state, placier."""
    traders: dict[int, tuple[int, str, str]]
    """Trader number → id, last name and legal name in capitals."""
    login: str
    user_id: int | None
    own_batches_only: bool
    seen_numbers: set[int] = attrs.field(factory=set)
    batch_verdicts: dict[str, _BatchVerdict] = attrs.field(factory=dict)
    trader_verdicts: dict[str, _TraderVerdict] = attrs.field(factory=dict)

    @classmethod
    def for_establishment(cls, session: Session, establishment: Establishment, *,
                          user: User | None, own_batches_only: bool) -> _Judge:
        batches = {number: (batch_id, state, placier_id)
                   for batch_id, number, state, placier_id in session.execute(
                       select_for(establishment, ImportBatch).with_only_columns(
                           ImportBatch.id, ImportBatch.number, ImportBatch.state,
                           ImportBatch.placier_id))}
        traders = {number: (trader_id, (last_name or "").upper(), (legal_name or "").upper())
                   for trader_id, number, last_name, legal_name in session.execute(
                       select_for(establishment, Trader).with_only_columns(
                           Trader.id, Trader.number, Trader.last_name, Trader.legal_name))}
        return cls(session, establishment, batches, traders,
                   user.username if user is not None else "",
                   user.id if user is not None else None, own_batches_only)

    def __call__(self, cells: list[str]) -> tuple[str, dict | None]:
        """The reason to reject a line, or the reading it makes."""
        if len(cells) != COLUMNS:
            return _("%(found)d columns where %(expected)d are expected", found=len(cells),
                     expected=COLUMNS), None
        number_text, batch_text, trader_text, metres_text, badge, blocking, demo, who = cells
        line_number = _whole_number(number_text)
        if line_number is None:
            return _("line number '%(value)s' is not a number (0 when unnumbered)",
                     value=number_text), None
        if line_number in self.seen_numbers:
            return _("line number %(number)d appears twice in the file",
                     number=line_number), None
        batch = self.batch_verdicts.get(batch_text) or self._judge_batch(batch_text)
        if batch.reason:
            return batch.reason, None
        trader = self.trader_verdicts.get(trader_text) or self._judge_trader(trader_text)
        if trader.reason:
            return trader.reason, None
        metres = _METRES.get(metres_text)
        if metres is None:
            return _("metres '%(value)s' out of range (%(low)d to %(high)d)",
                     value=metres_text, low=METRES_RANGE.start,
                     high=METRES_RANGE.stop - 1), None
        badge_surcharge, blocking_surcharge, demonstrator = (
            _FLAGS.get(badge), _FLAGS.get(blocking), _FLAGS.get(demo))
        if badge_surcharge is None or blocking_surcharge is None or demonstrator is None:
            return _("columns 5 to 7 take 1 or nothing"), None
        if who and who != self.login:
            return _("login '%(value)s' is not the importing user's", value=who), None
        if trader.trader_id in batch.traders_read:
            return _("trader %(number)s already has a reading in batch %(batch)d",
                     number=trader.number, batch=batch.number), None
        batch.traders_read.add(trader.trader_id)
        if line_number:
            self.seen_numbers.add(line_number)
        return "", {"establishment_id": self.establishment.id, "batch_id": batch.batch_id,
                    "line_number": line_number, "trader_id": trader.trader_id,
                    "metres": metres, "badge_surcharge": badge_surcharge,
                    "blocking_surcharge": blocking_surcharge, "demonstrator": demonstrator,
                    "imported_by": self.login}

    def _judge_batch(self, text: str) -> _BatchVerdict:
        verdict = self.batch_verdicts[text] = self._batch_verdict(text)
        return verdict

    def _batch_verdict(self, text: str) -> _BatchVerdict:
        number = _whole_number(text)
        if number not in self.batches:
            return _BatchVerdict(_("unknown batch '%(value)s'", value=text))
        batch_id, state, placier_id = self.batches[number]
        if state != OPEN:
            return _BatchVerdict(_("batch %(number)d is already finalised", number=number))
        if self.own_batches_only and placier_id != self.user_id:
            return _BatchVerdict(_("batch %(number)d is another placier's", number=number))
        return _BatchVerdict("", batch_id, number, set(self.session.scalars(
            select_for(self.establishment, ImportedReading, ImportedReading.batch_id == batch_id)
            .with_only_columns(ImportedReading.trader_id))))

    def _judge_trader(self, text: str) -> _TraderVerdict:
        verdict = self.trader_verdicts[text] = self._trader_verdict(text)
        return verdict

    def _trader_verdict(self, text: str) -> _TraderVerdict:
        match = _TRADER.match(text.upper())
        number = int(match.group(1)) if match else None
        if number not in self.traders:
            return _TraderVerdict(_("unknown trader '%(value)s'", value=text))
        trader_id, last_name, legal_name = self.traders[number]
        letters = match.group(2)
        if letters and not (last_name.startswith(letters) or legal_name.startswith(letters)):
            reason = _("trader %(number)s is not named '%(letters)s…' (check the number)",
                       number=number, letters=letters)
            return _TraderVerdict(reason)
        return _TraderVerdict("", trader_id, number)


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
