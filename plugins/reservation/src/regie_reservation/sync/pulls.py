"""What the agent pulls: web payments (by receipt-number cursor), reservations made or
cancelled, and the individuals to refresh now (sign-ins, "send this pupil").

A pull of the payments after receipt N acknowledges those up to N: the back office recorded
them. They stay available (an agent whose state was lost pulls them again, and the back office
dedupes by reference) for the school's ``web_payments_kept_days``, then a daily task deletes
them.

Reservations and refreshes are read by time with an overlap (:data:`OVERLAP`): a row committed
a little after the moment it carries is still seen by the next pull. Both are idempotent on the
agent's side (a reservation is written by its web id, a refresh pushes the same data again), so
seeing a row twice is harmless, while missing one is not.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from regie.api import Establishment, Invalid, TaskContext, select_for, utcnow
from regie.api import gettext as _
from regie_reservation.models import ACCOUNT_KIND, Individual, Reservation
from regie_reservation.sync.models import SyncPayment, SyncRequest

OVERLAP = dt.timedelta(seconds=60)
SIGN_IN_DAYS = 7
"""A sign-in refreshes the passages of the current month or the last 7 days."""
MAX_PAGE = 1000
KEPT_DAYS = 90
"""Default of ``web_payments_kept_days``."""


def record_web_payment(session: Session, payment: Any) -> SyncPayment | None:
    """Keep a succeeded payment on a canteen account for the back office (called in the
    payment's transaction, under the receipt counter's lock)."""
    account = payment.account
    if account is None or account.kind != ACCOUNT_KIND or payment.receipt_number is None:
        return None
    row = SyncPayment(establishment_id=payment.establishment_id,
                      receipt_number=payment.receipt_number, payment_id=payment.id,
                      reference=payment.reference, method=payment.method,
                      account_id=account.id, individual_external_id=account.owner_key,
                      amount=payment.amount, currency=payment.currency,
                      succeeded_at=payment.succeeded_at or utcnow())
    session.add(row)
    session.flush()
    return row


def payments_after(session: Session, establishment: Establishment, after: Any,
                   limit: Any) -> dict[str, Any]:
    """The web payments whose receipt number is above ``after``, oldest first."""
    try:
        after, limit = int(after or 0), min(int(limit or MAX_PAGE), MAX_PAGE)
        if after < 0 or limit < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid({"after": _("after and limit must be whole numbers")}) from None
    if after:
        _acknowledge(session, establishment, after)
    rows = list(session.scalars(
        select_for(establishment, SyncPayment, SyncPayment.receipt_number > after)
        .order_by(SyncPayment.receipt_number).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    zone = zoneinfo.ZoneInfo(establishment.timezone)
    return {"items": [{"receipt": row.receipt_number, "reference": row.reference,
                       "individual": row.individual_external_id, "amount": row.amount,
                       "currency": row.currency, "method": row.method,
                       "day": row.succeeded_at.astimezone(zone).date().isoformat(),
                       "succeeded_at": row.succeeded_at.isoformat()} for row in rows],
            "next": rows[-1].receipt_number if rows else after, "more": more}


def _acknowledge(session: Session, establishment: Establishment, receipt_number: int) -> None:
    session.execute(
        update(SyncPayment)
        .where(SyncPayment.establishment_id == establishment.id,
               SyncPayment.receipt_number <= receipt_number,
               SyncPayment.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow())
        .execution_options(synchronize_session=False))


def prune_payments(session: Session, establishment: Establishment, days: int,
                   now: dt.datetime | None = None) -> int:
    """Delete the web payments the back office acknowledged more than ``days`` ago; returns
    how many."""
    before = (now or utcnow()) - dt.timedelta(days=max(days, 1))
    return session.execute(
        delete(SyncPayment)
        .where(SyncPayment.establishment_id == establishment.id,
               SyncPayment.acknowledged_at < before)
        .execution_options(synchronize_session=False)).rowcount


def prune_payments_task(ctx: TaskContext) -> None:
    """The daily task: forget the web payments the back office has had for long."""
    with ctx.db.transaction() as session:
        prune_payments(session, session.get(Establishment, ctx.establishment.id),
                       ctx.settings.get("web_payments_kept_days", KEPT_DAYS))


def _since(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid({"since": _("must be a date and time")}) from None
    if moment.tzinfo is None:
        raise Invalid({"since": _("must carry its offset")})
    return moment - OVERLAP


def reservations_since(session: Session, establishment: Establishment,
                       since: Any) -> dict[str, Any]:
    """Reservations made or cancelled since ``since`` (all the coming ones on a first pull)."""
    until, start = utcnow(), _since(since)
    query = select_for(establishment, Reservation).join(
        Individual, Individual.id == Reservation.individual_id)
    if start is None:
        query = query.where(Reservation.day >= until.date() - dt.timedelta(days=1))
    else:
        query = query.where(or_(Reservation.created_at >= start,
                                Reservation.cancelled_at >= start))
    rows = session.scalars(query.order_by(Reservation.id)).all()
    return {"items": [{"id": row.id, "individual": row.individual.external_id,
                       "day": row.day.isoformat(), "meal": row.meal,
                       "cancelled": row.cancelled_at is not None} for row in rows],
            "until": until.isoformat()}


def refresh_since(session: Session, establishment: Establishment, since: Any) -> dict[str, Any]:
    """Individuals who signed in, or whom the school asked for, since ``since``."""
    until, start = utcnow(), _since(since) or utcnow() - OVERLAP
    days: dict[str, int] = {}
    for external_id in session.scalars(select(Individual.external_id).where(
            Individual.establishment_id == establishment.id,
            Individual.last_login_at >= start)):
        days[external_id] = SIGN_IN_DAYS
    for external_id, wanted in session.execute(
            select(Individual.external_id, SyncRequest.days)
            .join(Individual, Individual.id == SyncRequest.individual_id)
            .where(SyncRequest.establishment_id == establishment.id,
                   SyncRequest.requested_at >= start)):
        days[external_id] = max(days.get(external_id, 0), wanted)
    return {"items": [{"individual": key, "days": value} for key, value in sorted(days.items())],
            "until": until.isoformat()}


def request_refresh(session: Session, establishment: Establishment, individual: Individual, *,
                    days: int = 90, actor: str = "") -> SyncRequest:
    """"Send this pupil": the agent pushes the individual with ``days`` of passages within
    its next refresh (seconds)."""
    row = SyncRequest(establishment_id=establishment.id, individual_id=individual.id, days=days,
                      requested_by=actor[:150], requested_at=utcnow())
    session.add(row)
    session.flush()
    return row
