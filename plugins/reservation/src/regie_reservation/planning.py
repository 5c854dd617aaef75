"""The reservation rules of the seed, as pure functions over dates (no database, no clock).

Times are the school's local wall-clock times (naive ``datetime``).

- The weekly planning says, per weekday and meal, whether the meal is served and its window:
  ``Début`` (opens N days before the meal), ``Fin`` (closes N days before) at ``Heure fin``.
- "Given day" mode (the default, the seed's weekly mode): the family picks the day. A day can be
  booked from ``days_ahead`` days before it (default 21; ``Début`` is ignored) until its
  deadline.
- "Next meal" mode: the family does not choose; the meal is booked for the first service day
  whose deadline is still ahead (after holidays: the first day after them). Booking it opens
  ``Début`` days before it, holidays not counted.
- The deadline is ``Fin`` at ``Heure fin``; when ``days_before`` (default 0) is set, it
  replaces them: the meal must be booked by the end of the day ``days_before`` days earlier.
- Nobody books a meal on a holiday. A booking is cancelled before the same deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from regie.api import gettext as _
from regie_reservation.models import DEFAULT_MEAL, GIVEN_DAY, MODES, NEXT_MEAL

SEARCH_LIMIT = 366
"""How many days :func:`next_meal_day` looks ahead before saying there is no meal."""


@attrs.frozen
class Slot:
    """The planning of one meal on one weekday (0 = Monday)."""

    weekday: int
    meal: str = DEFAULT_MEAL
    served: bool = True
    opens_days_before: int = 7
    closes_days_before: int = 1
    closes_at: dt.time = dt.time(10, 0)


@attrs.frozen
class Rules:
    mode: str = GIVEN_DAY
    days_ahead: int = 21
    days_before: int = 0
    slots: tuple[Slot, ...] = ()
    holidays: tuple[tuple[dt.date, dt.date], ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown reservation mode {self.mode!r}")


class Refused(Exception):
    """The booking or cancellation breaks a rule; the message says which, for the family."""


def weekdays_planning(opens: int = 7, closes: int = 1, at: dt.time = dt.time(10, 0),
                      meal: str = DEFAULT_MEAL,
                      weekdays: Iterable[int] = (0, 1, 3, 4)) -> tuple[Slot, ...]:
    """A planning serving ``meal`` on ``weekdays`` (French schools: no lunch on Wednesday)."""
    served = set(weekdays)
    return tuple(Slot(day, meal, day in served, opens, closes, at) for day in range(7))


def slot(rules: Rules, day: dt.date, meal: str = DEFAULT_MEAL) -> Slot | None:
    for candidate in rules.slots:
        if candidate.weekday == day.weekday() and candidate.meal == meal:
            return candidate
    return None


def is_holiday(rules: Rules, day: dt.date) -> bool:
    return any(first <= day <= last for first, last in rules.holidays)


def is_service_day(rules: Rules, day: dt.date, meal: str = DEFAULT_MEAL) -> bool:
    """A meal is served that day: the planning serves it and it is not a holiday."""
    found = slot(rules, day, meal)
    return found is not None and found.served and not is_holiday(rules, day)


def deadline(rules: Rules, day: dt.date, meal: str = DEFAULT_MEAL) -> dt.datetime:
    """The last moment (exclusive) to book or cancel the meal of ``day``."""
    if rules.days_before > 0:
        return dt.datetime.combine(day - dt.timedelta(days=rules.days_before - 1), dt.time())
    found = slot(rules, day, meal) or Slot(day.weekday(), meal)
    return dt.datetime.combine(day - dt.timedelta(days=found.closes_days_before),
                               found.closes_at)


def opening(rules: Rules, day: dt.date, meal: str = DEFAULT_MEAL) -> dt.datetime:
    """When booking the meal of ``day`` opens."""
    if rules.mode == GIVEN_DAY:
        return dt.datetime.combine(day - dt.timedelta(days=rules.days_ahead), dt.time())
    found = slot(rules, day, meal) or Slot(day.weekday(), meal)
    start, left = day, found.opens_days_before
    while left > 0:
        start -= dt.timedelta(days=1)
        if not is_holiday(rules, start):
            left -= 1
    return dt.datetime.combine(start, dt.time())


def check_booking(rules: Rules, day: dt.date, now: dt.datetime,
                  meal: str = DEFAULT_MEAL) -> None:
    """Raise :class:`Refused` unless the meal of ``day`` can be booked at ``now``."""
    if is_holiday(rules, day):
        raise Refused(_("%(day)s is during the holidays: no meal to reserve.",
                        day=day.isoformat()))
    if not is_service_day(rules, day, meal):
        raise Refused(_("No meal is served on %(day)s.", day=day.isoformat()))
    if now >= deadline(rules, day, meal):
        raise Refused(_("Too late: reservations for %(day)s closed on %(deadline)s.",
                        day=day.isoformat(),
                        deadline=deadline(rules, day, meal).strftime("%Y-%m-%d %H:%M")))
    if rules.mode == NEXT_MEAL and day != next_meal_day(rules, now, meal):
        raise Refused(_("Only the next meal can be reserved."))
    if now < opening(rules, day, meal):
        if rules.mode == GIVEN_DAY:
            raise Refused(_("Too early: meals can be reserved up to %(n)d days ahead.",
                            n=rules.days_ahead))
        raise Refused(_("Too early: reservations for %(day)s open on %(opening)s.",
                        day=day.isoformat(),
                        opening=opening(rules, day, meal).strftime("%Y-%m-%d %H:%M")))


def check_cancellation(rules: Rules, day: dt.date, now: dt.datetime,
                       meal: str = DEFAULT_MEAL) -> None:
    if now >= deadline(rules, day, meal):
        raise Refused(_("Too late to cancel: the deadline was %(deadline)s.",
                        deadline=deadline(rules, day, meal).strftime("%Y-%m-%d %H:%M")))


def next_meal_day(rules: Rules, now: dt.datetime, meal: str = DEFAULT_MEAL) -> dt.date | None:
    """The first service day whose deadline is still ahead of ``now``."""
    day = now.date()
    for _offset in range(SEARCH_LIMIT):
        if is_service_day(rules, day, meal) and now < deadline(rules, day, meal):
            return day
        day += dt.timedelta(days=1)
    return None


def bookable_days(rules: Rules, now: dt.datetime, meal: str = DEFAULT_MEAL) -> list[dt.date]:
    """The days a family can book at ``now``: one in next-meal mode (if open), every open
    service day within the horizon in given-day mode."""
    if rules.mode == NEXT_MEAL:
        day = next_meal_day(rules, now, meal)
        return [day] if day is not None and now >= opening(rules, day, meal) else []
    days = []
    for offset in range(rules.days_ahead + 1):
        day = now.date() + dt.timedelta(days=offset)
        try:
            check_booking(rules, day, now, meal)
        except Refused:
            continue
        days.append(day)
    return days


def no_meal_message() -> str:
    return _("No meal can be reserved at the moment.")
