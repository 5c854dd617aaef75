"""Time zones for tests of rules that depend on the local hour."""

from __future__ import annotations

import datetime as dt


def midday_timezone(now: dt.datetime | None = None) -> str:
    """A fixed-offset time zone (``Etc/GMT±N``) where it is now between 12:00 and 12:59.

    For tests of rules tied to the establishment's local hour (a co-op distribution is
    validated from 06:00 on its day, a school's day ends at midnight): with the establishment
    in this zone they pass whatever the hour they run at, instead of failing between midnight
    and the morning in Paris."""
    offset = 12 - (now or dt.datetime.now(dt.UTC)).hour
    return f"Etc/GMT{-offset:+d}"  # the Etc zones count the other way: Etc/GMT-2 is UTC+2


__all__ = ["midday_timezone"]
