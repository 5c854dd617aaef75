"""Meal bookings in the database, under the rules of :mod:`regie_reservation.planning`."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import Establishment, lock, select_for, utcnow
from regie_reservation import planning
from regie_reservation.models import (
    DEFAULT_MEAL,
    GIVEN_DAY,
    Holiday,
    Individual,
    PlanningDay,
    Reservation,
)
from regie_reservation.planning import Refused, Rules, Slot


def local_now(establishment: Establishment, now: dt.datetime | None = None) -> dt.datetime:
    """The school's wall-clock time (naive), which the rules speak in."""
    moment = (now or utcnow()).astimezone(zoneinfo.ZoneInfo(establishment.timezone))
    return moment.replace(tzinfo=None)


def rules_for(session: Session, establishment: Establishment, settings: dict[str, Any]) -> Rules:
    slots = tuple(Slot(row.weekday, row.meal, row.served, row.opens_days_before,
                       row.closes_days_before, row.closes_at)
                  for row in session.scalars(select_for(establishment, PlanningDay)))
    holidays = tuple((row.first_day, row.last_day)
                     for row in session.scalars(select_for(establishment, Holiday)))
    return Rules(mode=settings.get("reservation_mode") or GIVEN_DAY,
                 days_ahead=settings.get("days_ahead") or 21,
                 days_before=settings.get("days_before") or 0,
                 slots=slots or planning.weekdays_planning(), holidays=holidays)


def booked(session: Session, establishment: Establishment, individual: Individual, *,
           since: dt.date) -> list[Reservation]:
    return list(session.scalars(select_for(
        establishment, Reservation, Reservation.individual_id == individual.id,
        Reservation.day >= since, Reservation.cancelled_at.is_(None))
        .order_by(Reservation.day, Reservation.meal)))


def book(session: Session, establishment: Establishment, individual: Individual, rules: Rules,
         day: dt.date | None, *, now: dt.datetime, meal: str = DEFAULT_MEAL) -> Reservation:
    """Book the meal of ``day`` (in next-meal mode, ``None``: the next meal). Booking a meal
    already booked returns the booking. Raises :class:`Refused` with the rule broken."""
    if day is None:
        day = planning.next_meal_day(rules, now, meal)
        if day is None:
            raise Refused(planning.no_meal_message())
    planning.check_booking(rules, day, now, meal)
    existing = _row(session, establishment, individual, day, meal, locked=True)
    if existing is not None:
        if existing.cancelled_at is not None:
            existing.cancelled_at = None
            existing.updated_at = utcnow()
        return existing
    reservation = Reservation(establishment_id=establishment.id, individual_id=individual.id,
                              day=day, meal=meal)
    try:
        with session.begin_nested():
            session.add(reservation)
    except IntegrityError:  # the same booking, submitted twice at once
        return _row(session, establishment, individual, day, meal)
    return reservation


def cancel(session: Session, establishment: Establishment, individual: Individual, rules: Rules,
           day: dt.date, *, now: dt.datetime, meal: str = DEFAULT_MEAL) -> None:
    planning.check_cancellation(rules, day, now, meal)
    existing = _row(session, establishment, individual, day, meal, locked=True)
    if existing is not None and existing.cancelled_at is None:
        existing.cancelled_at = existing.updated_at = utcnow()


def _row(session: Session, establishment: Establishment, individual: Individual, day: dt.date,
         meal: str, *, locked: bool = False) -> Reservation | None:
    query = select_for(establishment, Reservation, Reservation.individual_id == individual.id,
                       Reservation.day == day, Reservation.meal == meal)
    if locked:
        query = lock(query)
    return session.scalar(query.execution_options(populate_existing=True))


def counts(session: Session, establishment: Establishment, first: dt.date,
           last: dt.date) -> list[tuple[dt.date, str, int]]:
    """Bookings per day and meal between ``first`` and ``last`` (included)."""
    rows = session.execute(
        select(Reservation.day, Reservation.meal, func.count())
        .where(Reservation.establishment_id == establishment.id, Reservation.day >= first,
               Reservation.day <= last, Reservation.cancelled_at.is_(None))
        .group_by(Reservation.day, Reservation.meal).order_by(Reservation.day, Reservation.meal))
    return [(day, meal, count) for day, meal, count in rows]


def names(session: Session, establishment: Establishment, day: dt.date,
          meal: str = DEFAULT_MEAL) -> list[Individual]:
    """Who booked the meal of ``day``, by class then name."""
    return list(session.scalars(
        select(Individual).join(Reservation, Reservation.individual_id == Individual.id)
        .where(Reservation.establishment_id == establishment.id, Reservation.day == day,
               Reservation.meal == meal, Reservation.cancelled_at.is_(None))
        .order_by(Individual.class_name, Individual.last_name, Individual.first_name)))
