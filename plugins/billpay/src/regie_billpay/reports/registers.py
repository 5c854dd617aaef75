"""What a desk's day adds up to: the consolidated register per service (with the day's
cancellations after it, as the seed wants), the register per payee, and the lines of each
payee's DBF file. Sums are computed by the database; cancelled bills are left out of the
registers and listed on their own."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import Establishment, select_for
from regie_billpay.models import Bill, BillLine, Desk, Payee, Service, Subscriber
from regie_billpay.reports.dbf_files import DbfLine


@attrs.frozen
class ServiceTotal:
    code: str
    name: str
    payee: str
    lines: int
    amount: int


@attrs.frozen
class Cancellation:
    bill: int
    desk: str
    account: str
    surname: str
    amount: int
    paid_at: dt.datetime
    cancelled_at: dt.datetime
    reason: str
    document: str


@attrs.frozen
class Consolidated:
    """The consolidated register of payments of ``day`` at ``desks``."""

    day: dt.date
    desks: list[Desk]
    services: list[ServiceTotal]
    bills: int
    total: int
    cancellations: list[Cancellation]

    @property
    def cancelled_total(self) -> int:
        return sum(cancellation.amount for cancellation in self.cancellations)


@attrs.frozen
class PayeeRegister:
    payee: Payee
    lines: list[DbfLine]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def address(street: str, house: str, apartment: str) -> str:
    parts = [street, house] + ([f"кв. {apartment}"] if apartment else [])
    return ", ".join(part for part in parts if part)


def _desk_filter(desks: Sequence[Desk]):
    return Bill.desk_id.in_([desk.id for desk in desks])


def consolidated(session: Session, establishment: Establishment, day: dt.date,
                 desks: Sequence[Desk]) -> Consolidated:
    """Payments of ``day`` at ``desks`` per service, then the day's cancellations."""
    per_service = session.execute(
        select_for(establishment, BillLine)
        .with_only_columns(Service.code, Service.name, Payee.name,
                           func.count(BillLine.id), func.sum(BillLine.amount))
        .select_from(BillLine)
        .join(Bill, Bill.id == BillLine.bill_id)
        .join(Service, Service.id == BillLine.service_id)
        .join(Payee, Payee.id == Service.payee_id)
        .where(Bill.day == day, _desk_filter(desks), Bill.cancelled_at.is_(None))
        .group_by(Service.id, Service.code, Service.name, Service.priority, Payee.name)
        .order_by(Service.priority, Service.code))
    services = [ServiceTotal(code, name, payee, count, int(amount or 0))
                for code, name, payee, count, amount in per_service]
    bills, total = session.execute(
        select_for(establishment, Bill)
        .with_only_columns(func.count(Bill.id), func.coalesce(func.sum(Bill.total), 0))
        .where(Bill.day == day, _desk_filter(desks), Bill.cancelled_at.is_(None))).one()
    cancelled = session.execute(
        select_for(establishment, Bill)
        .with_only_columns(Bill.id, Desk.code, Subscriber.account_number, Subscriber.surname,
                           Bill.total, Bill.created_at, Bill.cancelled_at, Bill.cancel_reason,
                           Bill.cancel_document)
        .join(Desk, Desk.id == Bill.desk_id)
        .join(Subscriber, Subscriber.id == Bill.subscriber_id)
        .where(Bill.day == day, _desk_filter(desks), Bill.cancelled_at.is_not(None))
        .order_by(Bill.cancelled_at, Bill.id))
    return Consolidated(day=day, desks=list(desks), services=services, bills=int(bills),
                        total=int(total),
                        cancellations=[Cancellation(*row) for row in cancelled])


def payee_lines(session: Session, establishment: Establishment, day: dt.date,
                desks: Sequence[Desk], payee: Payee | None = None
                ) -> Iterator[tuple[int, DbfLine]]:
    """``(payee id, line)`` of every service paid on ``day`` at ``desks`` (cancelled bills
    left out), by payee, bill and line; numbered from 1 within each payee."""
    statement = (
        select_for(establishment, BillLine)
        .with_only_columns(Service.payee_id, Bill.id, Bill.day, Desk.code,
                           Subscriber.account_number, Subscriber.surname, Subscriber.street,
                           Subscriber.house, Subscriber.apartment, Service.code,
                           BillLine.period, BillLine.amount)
        .select_from(BillLine)
        .join(Bill, Bill.id == BillLine.bill_id)
        .join(Service, Service.id == BillLine.service_id)
        .join(Desk, Desk.id == Bill.desk_id)
        .join(Subscriber, Subscriber.id == Bill.subscriber_id)
        .where(Bill.day == day, _desk_filter(desks), Bill.cancelled_at.is_(None))
        .order_by(Service.payee_id, Bill.id, BillLine.id))
    if payee is not None:
        statement = statement.where(Service.payee_id == payee.id)
    rows = session.execute(statement.execution_options(yield_per=2000))
    for payee_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        for number, row in enumerate(group, 1):
            (_payee, bill, paid_day, desk, account, surname, street, house, apartment, service,
             period, amount) = row
            yield payee_id, DbfLine(number=number, bill=bill, day=paid_day, desk=desk,
                                    account=account, surname=surname,
                                    address=address(street, house, apartment),
                                    service=service, period=period, amount=amount)


def payees(session: Session, establishment: Establishment) -> list[Payee]:
    return list(session.scalars(select_for(establishment, Payee).order_by(Payee.code)))


def per_payee(session: Session, establishment: Establishment, day: dt.date,
              desks: Sequence[Desk]) -> list[PayeeRegister]:
    """The register of each payee that received money on ``day`` at ``desks``."""
    known = {payee.id: payee for payee in payees(session, establishment)}
    registers = [PayeeRegister(known[payee_id], [line for _id, line in group])
                 for payee_id, group in itertools.groupby(
                     payee_lines(session, establishment, day, desks), key=lambda item: item[0])]
    return sorted(registers, key=lambda register: register.payee.code)


def payees_paid(session: Session, establishment: Establishment, day: dt.date,
                desks: Sequence[Desk]) -> list[Payee]:
    """The payees with at least one payment of ``day`` at ``desks``."""
    ids = select(Service.payee_id).join(BillLine, BillLine.service_id == Service.id).join(
        Bill, Bill.id == BillLine.bill_id).where(
        Bill.establishment_id == establishment.id, Bill.day == day, _desk_filter(desks),
        Bill.cancelled_at.is_(None))
    return list(session.scalars(select_for(establishment, Payee, Payee.id.in_(ids))
                                .order_by(Payee.code)))
