"""Bills: paying one at a desk (a core cash payment, once per form however often it is
sent), the day's list of a desk, and same-day cancellation."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import attrs
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    User,
    Veto,
    account_by_id,
    cancel_payment,
    current_runtime,
    lock,
    open_account,
    record_payment,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_billpay import accruals, closing, fiscal, prepayment
from regie_billpay.amounts import show
from regie_billpay.models import (
    ACCOUNT_KIND,
    BILL,
    CASHIER_EXPLANATION,
    CLIENT_REQUEST,
    PREPAYMENT,
    Bill,
    BillLine,
    Desk,
    Subscriber,
)

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
    closing.open_day(session, bill.desk, bill.day)
    runtime = runtime or current_runtime()
    payment = cancel_payment(session, runtime, establishment, bill.payment_id, reason=reason,
                             actor=user, now=moment)
    bill.cancelled_at = moment
    bill.cancel_reason = reason[:500]
    bill.cancel_document = document
    bill.cancelled_by_id = user.id
    fiscal.fiscalize(session, runtime, establishment, bill, payment, fiscal.CANCELLATION)
    return bill


@attrs.frozen
class Part:
    """What the cashier asks to pay: ``amount`` for ``service_id`` in month ``period``."""

    service_id: int
    period: dt.date
    amount: int


def above_debt_message(service: str, amount: int, debt: int) -> str:
    """The seed's warning when the typed amount is above what was accrued."""
    return _("%(service)s: the amount %(amount)s is above the amount accrued for payment "
             "(%(debt)s). Check the amount entered.", service=service, amount=show(amount),
             debt=show(debt))


def by_request_key(session: Session, establishment: Establishment, key: str) -> Bill | None:
    return session.scalar(select_for(establishment, Bill, Bill.request_key == key))


def _check_bill(session: Session, establishment: Establishment, subscriber: Subscriber,
                parts: list[Part]) -> None:
    owed = {(debt.service.id, debt.period): debt
            for line in accruals.debts(session, establishment, subscriber)
            for debt in line.debts}
    for part in parts:
        debt = owed.get((part.service_id, part.period))
        if debt is None:
            raise Veto(_("Nothing is owed for this service and month: open the account again."))
        if part.amount > debt.amount:
            raise Veto(above_debt_message(debt.service.name, part.amount, debt.amount))


def _check_prepayment(session: Session, establishment: Establishment, subscriber: Subscriber,
                      parts: list[Part]) -> None:
    if accruals.total_debt(session, establishment, subscriber) > 0:
        raise Veto(prepayment.debt_message())
    proposed = {(line.service.id, period)
                for line in prepayment.propose(session, establishment, subscriber, 2)
                for period in line.periods}
    if any((part.service_id, part.period) not in proposed for part in parts):
        raise Veto(_("These months are already prepaid: open the prepayment again."))


def _account(session: Session, establishment: Establishment, subscriber: Subscriber):
    if subscriber.account_id is not None:
        return account_by_id(session, establishment, subscriber.account_id)
    account = open_account(session, establishment, kind=ACCOUNT_KIND,
                           owner_key=f"{subscriber.city.code}:{subscriber.account_number}",
                           label=f"{subscriber.account_number} {subscriber.surname}")
    subscriber.account_id = account.id
    return account


def pay(session: Session, establishment: Establishment, *, desk: Desk, cashier: User,
        subscriber: Subscriber, parts: list[Part], kind: str = BILL, request_key: str,
        runtime=None, now: dt.datetime | None = None) -> Bill:
    """Take ``parts`` in cash at ``desk``: one core cash payment on the subscriber's account
    and its bill. The same ``request_key`` (the key of the form) gives back the bill it paid
    the first time, so a double click or a retry pays once.

    Raises :class:`Veto` with the reason the cashier reads: nothing ticked, an amount above
    the debt, a prepayment while a debt is owed, the desk's day closed.
    """
    existing = by_request_key(session, establishment, request_key)
    if existing is not None:
        return existing
    parts = [part for part in parts if part.amount]
    if not parts:
        raise Veto(_("Tick at least one line with an amount to pay."))
    if any(part.amount < 0 for part in parts):
        raise Veto(_("An amount cannot be negative."))
    moment = now or utcnow()
    day = local_now(establishment, moment).date()
    closing.open_day(session, desk, day)
    session.scalar(lock(select_for(establishment, Subscriber, Subscriber.id == subscriber.id)))
    existing = by_request_key(session, establishment, request_key)
    if existing is not None:  # paid by a concurrent click while this one waited for the locks
        return existing
    if kind == PREPAYMENT:
        _check_prepayment(session, establishment, subscriber, parts)
    else:
        _check_bill(session, establishment, subscriber, parts)
    total = sum(part.amount for part in parts)
    try:
        with session.begin_nested():
            payment = record_payment(
                session, runtime or current_runtime(), establishment,
                account=_account(session, establishment, subscriber), method="cash",
                amount=total, reference=f"billpay-{request_key}", actor=cashier,
                note=_("Utility bill, account %(account)s", account=subscriber.account_number))
            bill = Bill(establishment_id=establishment.id, subscriber_id=subscriber.id,
                        desk_id=desk.id, cashier_id=cashier.id, payment_id=payment.id,
                        kind=kind, total=total, day=day, request_key=request_key,
                        created_at=moment)
            bill.lines = [BillLine(establishment_id=establishment.id, service_id=part.service_id,
                                   period=part.period, amount=part.amount) for part in parts]
            session.add(bill)
            session.flush()
            fiscal.fiscalize(session, runtime or current_runtime(), establishment, bill, payment,
                             fiscal.SALE)
    except (Invalid, IntegrityError):
        existing = by_request_key(session, establishment, request_key)
        if existing is None:
            raise
        return existing
    return bill
