"""Demonstration data for ``regie demo``: a school of 400 pupils in 16 classes with logins and
responsibles, a term of meals, holidays, the weekly planning and some reservations.

The term's meals are history the back office already counted in the balance it confirms, so
they are inserted in bulk and the balance is reached with one adjustment entry per pupil; the
meals of the last days go through :func:`individuals.record_passage` like a sync would."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert

from regie.api import Establishment, utcnow
from regie_reservation import bookings, individuals, logins, planning
from regie_reservation.individuals import IndividualData
from regie_reservation.models import Holiday, Individual, Passage, PlanningDay, Reservation

FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Inès", "Gabriel", "Manon", "Jules", "Zoé",
               "Arthur", "Camille", "Noah", "Lina", "Adam", "Jade", "Raphaël", "Emma", "Nathan",
               "Mila", "Tom")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier")
CLASSES = tuple(f"{level}{letter}" for level in (6, 5, 4, 3) for letter in "ABCD")
REGIMES = ("demi-pension", "demi-pension", "demi-pension", "tempo", "sans régime")
MEAL_PRICE = 345
TERM_WEEKS = 12


def fill(session, establishment: Establishment, pupils: int = 400) -> None:
    rng = random.Random(7)  # noqa: S311  (deterministic demonstration data)
    now = bookings.local_now(establishment)
    today = now.date()
    holidays = [(today - dt.timedelta(days=45), today - dt.timedelta(days=38)),
                (today + dt.timedelta(days=24), today + dt.timedelta(days=38))]
    session.add_all(Holiday(establishment_id=establishment.id, label=label, first_day=first,
                            last_day=last)
                    for label, (first, last) in zip(("Toussaint", "Noël"), holidays,
                                                    strict=True))
    slots = planning.weekdays_planning()
    session.add_all(PlanningDay(establishment_id=establishment.id, weekday=slot.weekday,
                                meal=slot.meal, served=slot.served,
                                opens_days_before=slot.opens_days_before,
                                closes_days_before=slot.closes_days_before,
                                closes_at=slot.closes_at) for slot in slots)
    rules = planning.Rules(slots=slots, holidays=tuple(holidays))
    people = []
    for number in range(pupils):
        last_name = LAST_NAMES[number % len(LAST_NAMES)]
        first_name = FIRST_NAMES[(number * 7) % len(FIRST_NAMES)]
        people.append(individuals.upsert(session, establishment, IndividualData(
            external_id=str(10000 + number), last_name=last_name, first_name=first_name,
            class_name=CLASSES[number % len(CLASSES)], regime=rng.choice(REGIMES),
            responsibles=[(f"{last_name} (responsable)",
                           f"famille.{last_name.lower()}{number}@example.org")],
            balance=rng.randrange(-2000, 6000, 5), balance_as_of=utcnow())))
    logins.initialize(session, establishment, people)
    for person in rng.sample(people, pupils // 3):
        person.last_login_at = utcnow() - dt.timedelta(days=rng.randrange(0, 30))
    recent = _service_days(rules, today - dt.timedelta(days=14), today - dt.timedelta(days=1))[-2:]
    _term_of_meals(session, establishment, people, rules, recent[0], rng)
    _recent_meals(session, establishment, people[:60], recent)
    _reservations(session, establishment, people, rules, now, rng)
    session.flush()


def _service_days(rules: planning.Rules, first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if planning.is_service_day(rules, day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _term_of_meals(session, establishment: Establishment, people: list[Individual],
                   rules: planning.Rules, until: dt.date, rng: random.Random) -> None:
    """Meals of the term before ``until``, inserted in bulk, not charged yet."""
    days = _service_days(rules, until - dt.timedelta(weeks=TERM_WEEKS),
                         until - dt.timedelta(days=1))
    rows = [{"establishment_id": establishment.id, "individual_id": person.id,
             "external_id": f"H{person.external_id}-{day.isoformat()}", "day": day,
             "meal": "lunch", "price": MEAL_PRICE, "entry_id": None}
            for person in people if person.regime == "demi-pension"
            for day in days if rng.random() < 0.9]
    session.execute(insert(Passage), rows)


def _recent_meals(session, establishment: Establishment, people: list[Individual],
                  days: list[dt.date]) -> None:
    """Meals of the last service days (a Monday's are Thursday's and Friday's), recorded
    and charged one by one as the canteen's terminal does."""
    for day in days:
        for person in people:
            individuals.record_passage(session, establishment, person,
                                       external_id=f"R{person.external_id}-{day.isoformat()}",
                                       day=day, price=MEAL_PRICE)


def _reservations(session, establishment: Establishment, people: list[Individual],
                  rules: planning.Rules, now: dt.datetime, rng: random.Random) -> None:
    days = planning.bookable_days(rules, now)[:8]
    rows = [{"establishment_id": establishment.id, "individual_id": person.id, "day": day,
             "meal": "lunch", "created_at": utcnow(), "updated_at": utcnow()}
            for person in people for day in days if rng.random() < 0.3]
    if rows:
        session.execute(insert(Reservation), rows)
