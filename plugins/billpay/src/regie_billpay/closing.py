"""Closing a desk's day: once closed, the day takes no payment and no cancellation.

Payments, cancellations and closing all take the day's row under a lock first
(:func:`open_day`, :func:`close_day`), so a payment racing the closing either lands before it
(and is in the registers) or is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import Establishment, User, Veto, audit, lock, select_for, utcnow
from regie.api import gettext as _
from regie_billpay.models import Desk, DeskDay


def day_row(session: Session, desk: Desk, day: dt.date) -> DeskDay | None:
    return session.scalar(select_for(desk.establishment_id, DeskDay, DeskDay.desk_id == desk.id,
                                     DeskDay.day == day))


def is_closed(session: Session, desk: Desk, day: dt.date) -> bool:
    row = day_row(session, desk, day)
    return row is not None and row.closed_at is not None


def _locked_day(session: Session, desk: Desk, day: dt.date) -> DeskDay:
    """The day's row, created when missing, locked until the end of the transaction."""
    statement = lock(select_for(desk.establishment_id, DeskDay, DeskDay.desk_id == desk.id,
                                DeskDay.day == day)).execution_options(populate_existing=True)
    row = session.scalar(statement)
    if row is None:
        try:
            with session.begin_nested():
                session.add(DeskDay(establishment_id=desk.establishment_id, desk_id=desk.id,
                                    day=day))
        except IntegrityError:
            pass  # created by a concurrent transaction: read and lock it below
        row = session.scalar(statement)
    return row


def open_day(session: Session, desk: Desk, day: dt.date) -> DeskDay:
    """Lock the desk's ``day`` for a payment or a cancellation; :class:`Veto` when it is
    closed."""
    row = _locked_day(session, desk, day)
    if row.closed_at is not None:
        raise Veto(_("The day %(day)s of desk %(desk)s is closed: it takes no more payments "
                     "or cancellations.", day=day.strftime("%d.%m.%Y"), desk=desk.code))
    return row


def close_day(session: Session, establishment: Establishment, desk: Desk, day: dt.date, *,
              user: User, today: dt.date) -> DeskDay:
    """Close ``day`` at ``desk``; refuses a day already closed and a day still to come."""
    if desk.establishment_id != establishment.id:
        raise Veto(_("This desk belongs to another establishment."))
    if day > today:
        raise Veto(_("The day %(day)s has not come yet: it cannot be closed.",
                     day=day.strftime("%d.%m.%Y")))
    row = _locked_day(session, desk, day)
    if row.closed_at is not None:
        raise Veto(_("The day %(day)s of desk %(desk)s is already closed.",
                     day=day.strftime("%d.%m.%Y"), desk=desk.code))
    row.closed_at = utcnow()
    row.closed_by_id = user.id
    audit(session, "billpay.day_closed", establishment=establishment, user=user,
          target=f"desk:{desk.code}", details={"day": day.isoformat()})
    return row
