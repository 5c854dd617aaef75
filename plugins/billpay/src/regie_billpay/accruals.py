"""What a subscriber owes: accruals less the bills paid (and not cancelled), per service and
month, and the last accruals a prepayment is based on."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import Establishment, select_for
from regie_billpay.models import Accrual, Bill, BillLine, Service, Subscriber

ALL_PERIODS, PREVIOUS_MONTH = "all", "previous"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@attrs.frozen
class Debt:
    """The debt of one service for one month."""

    service: Service
    period: dt.date
    accrued: int
    paid: int

    @property
    def amount(self) -> int:
        return self.accrued - self.paid


@attrs.frozen
class ServiceDebt:
    """A line of the account card: one service and its debts, oldest month first."""

    service: Service
    debts: tuple[Debt, ...]

    @property
    def amount(self) -> int:
        return sum(debt.amount for debt in self.debts)


def paid_by_period(session: Session, establishment: Establishment,
                   subscriber: Subscriber) -> dict[tuple[int, dt.date], int]:
    """What the bills not cancelled paid, per (service id, month)."""
    rows = session.execute(
        select(BillLine.service_id, BillLine.period, func.sum(BillLine.amount))
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(Bill.establishment_id == establishment.id, Bill.subscriber_id == subscriber.id,
               Bill.cancelled_at.is_(None))
        .group_by(BillLine.service_id, BillLine.period))
    return {(service_id, period): int(total) for service_id, period, total in rows}


def services(session: Session, establishment: Establishment) -> list[Service]:
    return list(session.scalars(select_for(establishment, Service)
                                .order_by(Service.priority, Service.code)))


def debts(session: Session, establishment: Establishment, subscriber: Subscriber, *,
          service_ids: set[int] | None = None, periods: str = ALL_PERIODS,
          today: dt.date | None = None) -> list[ServiceDebt]:
    """The account card: per service (in priority order) the months still owed.

    ``service_ids`` keeps only those services; ``periods`` is :data:`ALL_PERIODS` or
    :data:`PREVIOUS_MONTH` (the month before ``today``'s).
    """
    by_id = {service.id: service for service in services(session, establishment)}
    paid = paid_by_period(session, establishment, subscriber)
    query = select_for(establishment, Accrual, Accrual.subscriber_id == subscriber.id)
    if periods == PREVIOUS_MONTH:
        query = query.where(Accrual.period == add_months(month_start(today or dt.date.today()),
                                                         -1))
    owed: dict[int, list[Debt]] = defaultdict(list)
    for accrual in session.scalars(query.order_by(Accrual.period)):
        if service_ids is not None and accrual.service_id not in service_ids:
            continue
        debt = Debt(by_id[accrual.service_id], accrual.period, accrual.amount,
                    paid.get((accrual.service_id, accrual.period), 0))
        if debt.amount > 0:
            owed[accrual.service_id].append(debt)
    return [ServiceDebt(service, tuple(owed[service.id]))
            for service in by_id.values() if owed.get(service.id)]


def total_debt(session: Session, establishment: Establishment, subscriber: Subscriber) -> int:
    return sum(line.amount for line in debts(session, establishment, subscriber))


@attrs.frozen
class LastAccrual:
    """A service's latest accrual and the first month not yet accrued nor prepaid."""

    service: Service
    amount: int
    next_period: dt.date


def last_accruals(session: Session, establishment: Establishment,
                  subscriber: Subscriber) -> list[LastAccrual]:
    """Per service with accruals, the amount of its latest month and the month a prepayment
    would pay next: after both the last accrued month and the last month already paid."""
    by_id = {service.id: service for service in services(session, establishment)}
    latest: dict[int, Accrual] = {}
    for accrual in session.scalars(select_for(establishment, Accrual,
                                              Accrual.subscriber_id == subscriber.id)
                                   .order_by(Accrual.period)):
        latest[accrual.service_id] = accrual
    paid = paid_by_period(session, establishment, subscriber)
    result = []
    for service in by_id.values():
        accrual = latest.get(service.id)
        if accrual is None or accrual.amount <= 0:
            continue
        last = max([accrual.period, *(period for (service_id, period) in paid
                                      if service_id == service.id)])
        result.append(LastAccrual(service, accrual.amount, add_months(last, 1)))
    return result
