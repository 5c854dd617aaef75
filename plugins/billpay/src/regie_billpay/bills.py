"""Paid bills: the day's list of a desk and same-day cancellation."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    User,
    Veto,
    cancel_payment,
    current_runtime,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_billpay.models import CASHIER_EXPLANATION, CLIENT_REQUEST, Bill, Desk, DeskDay

DOCUMENT_KINDS = (CLIENT_REQUEST, CASHIER_EXPLANATION)


def local_now(establishment: Establishment, now: dt.datetime | None = None) -> dt.datetime:
    """The establishment's wall clock (the desk's)."""
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(establishment.timezone))


def day_bills(session: Session, establishment: Establishment, desk: Desk,
              day: dt.date) -> list[Bill]:
    """The bills paid at ``desk`` on its local ``day``, in payment order, lines loaded,
    cancelled ones included."""
    return list(session.scalars(select_for(establishment, Bill, Bill.desk_id == desk.id,
                                           Bill.day == day).order_by(Bill.id)))


def day_is_closed(session: Session, desk: Desk, day: dt.date) -> bool:
    return session.scalar(select_for(desk.establishment_id, DeskDay, DeskDay.desk_id == desk.id,
                                     DeskDay.day == day,
                                     DeskDay.closed_at.is_not(None))) is not None


def cancel(session: Session, establishment: Establishment, bill: Bill, *, user: User,
           reason: str, document: str, runtime=None, now: dt.datetime | None = None) -> Bill:
    """Cancel a bill on the day it was paid while its desk's day is open: the core payment is
    cancelled (a reversal entry in the ledger) and the bill stays listed, marked cancelled.

    Raises :class:`Veto` with the reason the cashier reads otherwise.
    """
    reason = reason.strip()
    if bill.establishment_id != establishment.id:
        raise Veto(_("This bill belongs to another establishment."))
    if bill.cancelled:
        raise Veto(_("Bill %(number)s is already cancelled.", number=bill.id))
    if not reason:
        raise Veto(_("Give the reason of the cancellation."))
    if document not in DOCUMENT_KINDS:
        raise Veto(_("Choose the supporting document of the cancellation."))
    moment = now or utcnow()
    if bill.day != local_now(establishment, moment).date():
        raise Veto(_("A payment can be cancelled only on the day it was taken (%(day)s).",
                     day=bill.day.strftime("%d.%m.%Y")))
    if day_is_closed(session, bill.desk, bill.day):
        raise Veto(_("The desk's day %(day)s is closed: the payment can no longer be cancelled.",
                     day=bill.day.strftime("%d.%m.%Y")))
    cancel_payment(session, runtime or current_runtime(), establishment, bill.payment_id,
                   reason=reason, actor=user, now=moment)
    bill.cancelled_at = moment
    bill.cancel_reason = reason[:500]
    bill.cancel_document = document
    bill.cancelled_by_id = user.id
    return bill
