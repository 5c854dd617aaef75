"""Placement of the daily traders: enrolment, ranking and the start-date rule.

Ranking of a market day (the seed's rule): traders whose attendance (tickets on this market and
weekday over the attendance period, 12 months by default) reaches the seniority threshold (37 by
default) and who have a start date come first, oldest start date first; then the others by
attendance, most first. Ties go to the earlier enrolment.

Start-date rule: at enrolment, when the trader has no start date for this market and weekday and
reaches the threshold, the start date becomes the day of the first of those tickets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import Establishment, Invalid, select_for, utcnow
from regie.api import gettext as _
from regie_markets.models import Authorisation, Enrolment, Market, Ticket, Trader
from regie_markets.status import EXCEEDED, TraderStatus, add_months


@attrs.frozen
class Seniority:
    """What the rank of an enrolment rests on (the "Ancienneté" frame)."""

    attendance: int
    threshold: int
    start_date: dt.date | None
    start_date_set_now: bool
    period_start: dt.date

    @property
    def senior(self) -> bool:
        return self.start_date is not None and self.attendance >= self.threshold


def rank_key(attendance: int, start_date: dt.date | None, threshold: int,
             enrolled_at: dt.datetime | int) -> tuple:
    """Sort key of an enrolment: smaller comes first."""
    if start_date is not None and attendance >= threshold:
        return (0, start_date.toordinal(), 0, enrolled_at)
    return (1, 0, -attendance, enrolled_at)


def ticket_days(session: Session, establishment: Establishment, trader: Trader, market: Market,
                day: dt.date, months: int) -> list[dt.date]:
    """The days of the trader's tickets on this market and weekday in the attendance period
    before ``day``, oldest first."""
    since = add_months(day, -months)
    days = session.scalars(
        select(Ticket.day).where(Ticket.establishment_id == establishment.id,
                                 Ticket.trader_id == trader.id, Ticket.market_id == market.id,
                                 Ticket.day >= since, Ticket.day < day)
        .order_by(Ticket.day)).all()
    return [d for d in days if d.isoweekday() == day.isoweekday()]


def is_authorised(session: Session, establishment: Establishment, trader: Trader,
                  market: Market) -> bool:
    return session.scalars(select_for(establishment, Authorisation,
                                      Authorisation.trader_id == trader.id,
                                      Authorisation.market_id == market.id)).first() is not None


def seniority(session: Session, establishment: Establishment, trader: Trader, market: Market,
              day: dt.date, settings: dict[str, Any], *, set_start: bool = False) -> Seniority:
    """The trader's attendance and start date on this market and weekday; with ``set_start``
    the start-date rule applies (and writes the authorisation of the weekday)."""
    months, threshold = int(settings["attendance_months"]), int(settings["seniority_tickets"])
    days = ticket_days(session, establishment, trader, market, day, months)
    weekday = day.isoweekday()
    row = session.scalars(select_for(establishment, Authorisation,
                                     Authorisation.trader_id == trader.id,
                                     Authorisation.market_id == market.id,
                                     Authorisation.weekday == weekday)).first()
    start = row.start_date if row is not None else None
    set_now = False
    if set_start and start is None and len(days) >= threshold:
        start, set_now = days[0], True
        if row is None:
            session.add(Authorisation(establishment_id=establishment.id, trader_id=trader.id,
                                      market_id=market.id, weekday=weekday, start_date=start))
        else:
            row.start_date = start
    return Seniority(len(days), threshold, start, set_now, add_months(day, -months))


def refusal(session: Session, establishment: Establishment, trader: Trader, market: Market,
            status: TraderStatus) -> str | None:
    """Why the trader cannot be enrolled for automatic placement, or ``None``."""
    if status.level == EXCEEDED:
        return _("Status beyond the limits: %(trader)s cannot be enrolled for placement.",
                 trader=trader.display_name)
    if not is_authorised(session, establishment, trader, market):
        return _("%(trader)s is not authorised as a daily trader on %(market)s.",
                 trader=trader.display_name, market=market.name)
    return None


def enrolment_of(session: Session, establishment: Establishment, trader: Trader,
                 market: Market, day: dt.date) -> Enrolment | None:
    return session.scalars(select_for(establishment, Enrolment, Enrolment.trader_id == trader.id,
                                      Enrolment.market_id == market.id,
                                      Enrolment.day == day)).first()


def enrol(session: Session, establishment: Establishment, trader: Trader, market: Market,
          day: dt.date, status: TraderStatus, settings: dict[str, Any]) -> tuple[Enrolment,
                                                                              Seniority]:
    """Enrol the trader for the placement of the day and recompute every rank."""
    reason = refusal(session, establishment, trader, market, status)
    if reason:
        raise Invalid({"_form": reason})
    if not market.opens_on(day):
        raise Invalid({"_form": _("%(market)s is not open today.", market=market.name)})
    found = seniority(session, establishment, trader, market, day, settings, set_start=True)
    enrolment = enrolment_of(session, establishment, trader, market, day)
    if enrolment is None:
        enrolment = Enrolment(establishment_id=establishment.id, market_id=market.id, day=day,
                              trader_id=trader.id, attendance=found.attendance,
                              start_date=found.start_date, created_at=utcnow())
        try:
            with session.begin_nested():
                session.add(enrolment)
                session.flush()
        except IntegrityError:  # enrolled meanwhile from another phone
            enrolment = enrolment_of(session, establishment, trader, market, day)
    recompute_ranks(session, establishment, market, day, int(settings["seniority_tickets"]))
    return enrolment, found


def unenrol(session: Session, establishment: Establishment, enrolment: Enrolment,
            settings: dict[str, Any]) -> None:
    market_id, day = enrolment.market_id, enrolment.day
    session.delete(enrolment)
    session.flush()
    market = session.get(Market, market_id)
    recompute_ranks(session, establishment, market, day, int(settings["seniority_tickets"]))


def recompute_ranks(session: Session, establishment: Establishment, market: Market,
                    day: dt.date, threshold: int) -> list[Enrolment]:
    rows = day_list(session, establishment, market, day)
    ordered = sorted(rows, key=lambda e: rank_key(e.attendance, e.start_date, threshold,
                                                   e.created_at))
    for rank, enrolment in enumerate(ordered, start=1):
        enrolment.rank = rank
    session.flush()
    return ordered


def day_list(session: Session, establishment: Establishment, market: Market,
             day: dt.date) -> list[Enrolment]:
    return list(session.scalars(select_for(establishment, Enrolment,
                                           Enrolment.market_id == market.id,
                                           Enrolment.day == day)
                                .order_by(Enrolment.rank, Enrolment.id)))


def toggle_placed(enrolment: Enrolment) -> None:
    enrolment.placed = not enrolment.placed
    enrolment.placed_at = utcnow() if enrolment.placed else None
