"""Tickets: creating, changing and deleting them, with their history and amounts.

A ticket's amount is computed when it is saved from its market's tariffs (minor units per
metre): metres × (standard or demonstrator tariff) + metres × surcharge tariff for each
surcharge (no badge, blocked by a cadre). Every change writes a :class:`TicketChange`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import Establishment, Invalid, User, select_for, utcnow
from regie.api import gettext as _
from regie_markets.models import (
    CREATE,
    DELETE,
    SOURCE_FIELD,
    SOURCE_NO_BADGE,
    TICKET_SOURCES,
    UPDATE,
    Market,
    Ticket,
    TicketChange,
    Trader,
)

METRES_RANGE = range(1, 51)
"""The metres a ticket may have (1 to 50)."""
SHORTCUT_METRES = (2, 4, 6, 8)
HISTORY_FIELDS = ("trader_id", "market_id", "placier_id", "day", "metres", "demonstrator",
                  "badge_surcharge", "blocking_surcharge", "amount", "source")


def amount_of(market: Market, metres: int, *, demonstrator: bool, badge_surcharge: bool,
              blocking_surcharge: bool) -> int:
    base = market.tariff_demonstrator if demonstrator else market.tariff_standard
    surcharges = int(badge_surcharge) + int(blocking_surcharge)
    return metres * base + metres * market.tariff_surcharge * surcharges


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The ticket as plain JSON data, for the history."""
    data = {name: getattr(ticket, name) for name in HISTORY_FIELDS}
    data["day"] = ticket.day.isoformat()
    return data


def _check_metres(metres: Any) -> int:
    try:
        value = int(metres)
    except (TypeError, ValueError):
        raise Invalid({"metres": _("must be a whole number of metres")}) from None
    if value not in METRES_RANGE:
        raise Invalid({"metres": _("must be between %(low)d and %(high)d",
                                   low=METRES_RANGE.start, high=METRES_RANGE.stop - 1)})
    return value


def _user_id(user: User | int | None) -> int | None:
    return user if isinstance(user, int) or user is None else user.id


def existing_ticket_id(session: Session, establishment: Establishment, trader: Trader,
                       market: Market, day: dt.date) -> int | None:
    """The id of the trader's ticket on that market that day, if any (one indexed lookup)."""
    return session.scalar(select(Ticket.id).where(
        Ticket.establishment_id == establishment.id, Ticket.trader_id == trader.id,
        Ticket.market_id == market.id, Ticket.day == day))


def _record(session: Session, establishment: Establishment, ticket_id: int, action: str,
            user: User | int | None, before: dict | None, after: dict | None) -> None:
    session.add(TicketChange(establishment_id=establishment.id, ticket_id=ticket_id,
                             action=action, user_id=_user_id(user), at=utcnow(),
                             before=before, after=after))


def create_ticket(session: Session, establishment: Establishment, *, trader: Trader,
                  market: Market, day: dt.date, metres: int, demonstrator: bool = False,
                  badge_surcharge: bool = False, blocking_surcharge: bool = False,
                  user: User | int | None = None, source: str = SOURCE_FIELD) -> Ticket:
    """Save a new ticket, compute its amount and write its history line.

    Raises :class:`Invalid` when metres are out of :data:`METRES_RANGE`, the source is unknown,
    or the trader already has a ticket on that market that day (also under concurrency: the
    unique constraint decides).
    """
    metres = _check_metres(metres)
    if source not in TICKET_SOURCES:
        raise Invalid({"source": _("unknown ticket source")})
    if trader.establishment_id != establishment.id or market.establishment_id != establishment.id:
        raise Invalid({"trader": _("not found")})
    duplicate = _("%(trader)s already has a ticket on %(market)s that day",
                  trader=trader.display_name, market=market.name)
    if existing_ticket_id(session, establishment, trader, market, day) is not None:
        raise Invalid({"ticket": duplicate})
    ticket = Ticket(establishment_id=establishment.id, trader_id=trader.id, market_id=market.id,
                    placier_id=_user_id(user), day=day, metres=metres,
                    demonstrator=bool(demonstrator), badge_surcharge=bool(badge_surcharge),
                    blocking_surcharge=bool(blocking_surcharge), source=source,
                    amount=amount_of(market, metres, demonstrator=bool(demonstrator),
                                     badge_surcharge=bool(badge_surcharge),
                                     blocking_surcharge=bool(blocking_surcharge)))
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:
        raise Invalid({"ticket": duplicate}) from None
    _record(session, establishment, ticket.id, CREATE, user, None, snapshot(ticket))
    return ticket


def field_ticket(session: Session, establishment: Establishment, *, trader: Trader,
                 market: Market, day: dt.date, metres: int, demonstrator: bool, user: User,
                 without_badge: bool = False) -> Ticket:
    """A ticket issued by a placier: surcharged when the trader is blocked by a cadre, or
    when issued without the badge."""
    return create_ticket(session, establishment, trader=trader, market=market, day=day,
                         metres=metres, demonstrator=demonstrator,
                         badge_surcharge=without_badge or not trader.badge_associated,
                         blocking_surcharge=trader.blocked, user=user,
                         source=SOURCE_NO_BADGE if without_badge else SOURCE_FIELD)


def can_change(ticket: Ticket, user: User | int, today: dt.date) -> bool:
    """A placier changes or deletes only their own ticket, and only the same day."""
    return ticket.day == today and ticket.placier_id == _user_id(user)


def check_change(ticket: Ticket, user: User | int, today: dt.date) -> None:
    if ticket.day != today:
        raise Invalid({"ticket": _("A ticket can only be changed the day it was issued.")})
    if ticket.placier_id != _user_id(user):
        raise Invalid({"ticket": _("Only the placier who issued this ticket can change it.")})


def update_ticket(session: Session, establishment: Establishment, ticket: Ticket, *,
                  user: User | int | None, check_day: dt.date | None = None,
                  **changes: Any) -> Ticket:
    """Change a ticket (metres, market, demonstrator, surcharges) and record the change.

    ``check_day`` given: the placier rule applies (same day, own ticket)."""
    if check_day is not None:
        check_change(ticket, user, check_day)
    before = snapshot(ticket)
    if "metres" in changes:
        changes["metres"] = _check_metres(changes["metres"])
    if "market" in changes:
        market = changes.pop("market")
        if market.id != ticket.market_id:
            clash = session.scalars(select_for(
                establishment, Ticket, Ticket.trader_id == ticket.trader_id,
                Ticket.market_id == market.id, Ticket.day == ticket.day)).first()
            if clash is not None:
                raise Invalid({"market": _("this trader already has a ticket on %(market)s "
                                           "that day", market=market.name)})
        ticket.market_id, ticket.market = market.id, market
    for name in ("metres", "demonstrator", "badge_surcharge", "blocking_surcharge"):
        if name in changes:
            setattr(ticket, name, changes[name])
    ticket.amount = amount_of(ticket.market, ticket.metres, demonstrator=ticket.demonstrator,
                              badge_surcharge=ticket.badge_surcharge,
                              blocking_surcharge=ticket.blocking_surcharge)
    after = snapshot(ticket)
    if after != before:
        ticket.updated_at = utcnow()
        session.flush()
        _record(session, establishment, ticket.id, UPDATE, user, before, after)
    return ticket


def delete_ticket(session: Session, establishment: Establishment, ticket: Ticket, *,
                  user: User | int | None, check_day: dt.date | None = None) -> None:
    if check_day is not None:
        check_change(ticket, user, check_day)
    _record(session, establishment, ticket.id, DELETE, user, snapshot(ticket), None)
    session.delete(ticket)
    session.flush()


def usual_metres(session: Session, establishment: Establishment, trader: Trader,
                 market: Market, weekday: int, default: int = 6) -> int:
    """The trader's most frequent metres on this market and ISO weekday, else ``default``."""
    rows = session.execute(
        select(Ticket.metres, Ticket.day)
        .where(Ticket.establishment_id == establishment.id, Ticket.trader_id == trader.id,
               Ticket.market_id == market.id)
        .order_by(Ticket.day.desc()).limit(200)).all()
    counts = Counter(metres for metres, day in rows if day.isoweekday() == weekday)
    return counts.most_common(1)[0][0] if counts else default


def history(session: Session, establishment: Establishment,
            ticket_id: int | None = None) -> list[TicketChange]:
    query = select_for(establishment, TicketChange)
    if ticket_id is not None:
        query = query.where(TicketChange.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(TicketChange.at.desc(), TicketChange.id.desc())))


def day_stats(session: Session, establishment: Establishment, market: Market, day: dt.date,
              placier_id: int | None = None) -> tuple[int, int, int]:
    """(tickets, metres, amount) of a market one day, for one placier or all."""
    query = select(func.count(Ticket.id), func.coalesce(func.sum(Ticket.metres), 0),
                   func.coalesce(func.sum(Ticket.amount), 0)).where(
        Ticket.establishment_id == establishment.id, Ticket.market_id == market.id,
        Ticket.day == day)
    if placier_id is not None:
        query = query.where(Ticket.placier_id == placier_id)
    count, metres, amount = session.execute(query).one()
    return int(count), int(metres), int(amount)
