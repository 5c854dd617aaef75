"""The utility cashier's tables.

The settlement centre sends cities, payees (utility companies), services, subscriber accounts
and monthly accruals. Money taken at a desk lives in the core ledger: each subscriber has a
core account (``billpay.subscriber``) and every :class:`Bill` is a core cash payment on it;
:class:`BillLine` rows say which service and month each part of the payment pays. The debt of
a service for a month is its accrual less the lines of the bills not cancelled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.api import Model, TenantMixin, utcnow

ACCOUNT_KIND = "billpay.subscriber"
BILL, PREPAYMENT = "bill", "prepayment"
CLIENT_REQUEST, CASHIER_EXPLANATION = "client_request", "cashier_explanation"

SEARCH_KEY = String(200).with_variant(String(200, collation="C"), "postgresql")
"""Search keys compare byte-wise on both databases, so a prefix is a range an index serves."""


def search_key(text: str) -> str:
    """The form of a street or surname that searches compare: case folded, single spaces."""
    return " ".join(text.casefold().replace("ё", "е").split())


def format_address(street: str, house: str, apartment: str) -> str:
    """``50 лет Октября, 12, кв. 5``, as the centre's papers write it."""
    parts = [street, house, f"кв. {apartment}" if apartment else ""]
    return ", ".join(part for part in parts if part)


class City(TenantMixin, Model):
    __tablename__ = "billpay_city"
    __table_args__ = (UniqueConstraint("establishment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))


class Payee(TenantMixin, Model):
    """A utility company the centre pays the collected money to."""

    __tablename__ = "billpay_payee"
    __table_args__ = (UniqueConstraint("establishment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    edrpou: Mapped[str] = mapped_column(String(10), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    dbf_encoding: Mapped[str] = mapped_column(String(20), default="cp866")


class Service(TenantMixin, Model):
    """A utility service; ``priority`` orders services when a lump sum is distributed
    (smaller first)."""

    __tablename__ = "billpay_service"
    __table_args__ = (UniqueConstraint("establishment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    payee_id: Mapped[int] = mapped_column(ForeignKey("billpay_payee.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)

    payee: Mapped[Payee] = relationship(lazy="joined")


class Subscriber(TenantMixin, Model):
    """A personal account ("особовий рахунок") of a household in a city.

    The indexes serve the cashier's search in a city (:mod:`regie_billpay.search`): by street
    prefix in the order the list shows, or by house then street prefix when the house is given
    (the street prefix alone would walk every house of every street it matches); each holds
    every criterion, so only matches are read from the table. The surname index serves the
    search by surname alone.
    """

    __tablename__ = "billpay_subscriber"
    __table_args__ = (
        UniqueConstraint("establishment_id", "city_id", "account_number"),
        Index("ix_billpay_subscriber_street", "establishment_id", "city_id", "street_key",
              "house", "apartment", "surname_key"),
        Index("ix_billpay_subscriber_house", "establishment_id", "city_id", "house",
              "street_key", "apartment", "surname_key"),
        Index("ix_billpay_subscriber_surname", "establishment_id", "city_id", "surname_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("billpay_city.id"))
    account_number: Mapped[str] = mapped_column(String(30))
    surname: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    house: Mapped[str] = mapped_column(String(20), default="")
    apartment: Mapped[str] = mapped_column(String(20), default="")
    street_key: Mapped[str] = mapped_column(SEARCH_KEY)
    surname_key: Mapped[str] = mapped_column(SEARCH_KEY)
    account_id: Mapped[int | None] = mapped_column(Integer)
    """The core ledger account, opened at the first payment."""

    city: Mapped[City] = relationship()

    @property
    def address(self) -> str:
        return format_address(self.street, self.house, self.apartment)


class Accrual(TenantMixin, Model):
    """What the centre charged an account for a service in a month (minor units)."""

    __tablename__ = "billpay_accrual"
    __table_args__ = (UniqueConstraint("subscriber_id", "service_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("billpay_subscriber.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("billpay_service.id"), index=True)
    period: Mapped[dt.date] = mapped_column(Date)
    """The first day of the month."""
    amount: Mapped[int] = mapped_column(Integer)


class Desk(TenantMixin, Model):
    """A cashier desk in a bank or post office, with its working hours (local times) and the
    bank's details printed on receipts."""

    __tablename__ = "billpay_desk"
    __table_args__ = (UniqueConstraint("establishment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    bank: Mapped[str] = mapped_column(String(200), default="")
    city_id: Mapped[int] = mapped_column(ForeignKey("billpay_city.id"))
    inter_city: Mapped[bool] = mapped_column(Boolean, default=False)
    """The bank has a contract for the payments of other cities."""
    opens_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    closes_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(17, 0))
    week_hours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    """The days whose hours differ from the usual ones, by ISO weekday: ``{"6": "09:00-13:00",
    "7": ""}`` (an empty range: closed that day)."""
    iban: Mapped[str] = mapped_column(String(34), default="", server_default="")
    bic: Mapped[str] = mapped_column(String(11), default="", server_default="")
    certificate_serial: Mapped[str | None] = mapped_column(String(64))
    certificate_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 hex of the DER of the desk's client certificate."""

    city: Mapped[City] = relationship(lazy="joined")

    def hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """When the desk opens and closes on ``day``; ``None`` when it stays closed."""
        hours = (self.week_hours or {}).get(str(day.isoweekday()))
        if hours is None:
            return self.opens_at, self.closes_at
        if not hours:
            return None
        opens, closes = hours.split("-")
        return dt.time.fromisoformat(opens), dt.time.fromisoformat(closes)


class DeskCashier(TenantMixin, Model):
    __tablename__ = "billpay_desk_cashier"
    __table_args__ = (UniqueConstraint("desk_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("billpay_desk.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)


class DeskDay(TenantMixin, Model):
    """A working day of a desk; once closed, its payments can no longer be cancelled."""

    __tablename__ = "billpay_desk_day"
    __table_args__ = (UniqueConstraint("desk_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("billpay_desk.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))


class Bill(TenantMixin, Model):
    """A bill paid at a desk: one core cash payment (``payment_id``) and its lines.

    ``request_key`` is the key of the form that paid it, so a double click pays once.
    """

    __tablename__ = "billpay_bill"
    __table_args__ = (
        UniqueConstraint("establishment_id", "request_key"),
        Index("ix_billpay_bill_desk_day", "desk_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("billpay_subscriber.id"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("billpay_desk.id"))
    cashier_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    payment_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20), default=BILL)
    total: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    """The desk's local date of the payment."""
    request_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    cancel_document: Mapped[str] = mapped_column(String(30), default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    printed_count: Mapped[int] = mapped_column(Integer, default=0)
    """Receipts printed; every one after the first is a duplicate."""

    lines: Mapped[list[BillLine]] = relationship(order_by="BillLine.id", lazy="selectin",
                                                 back_populates="bill")
    subscriber: Mapped[Subscriber] = relationship(lazy="joined")
    desk: Mapped[Desk] = relationship(lazy="joined")

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class BillLine(TenantMixin, Model):
    """The part of a bill paying one service for one month."""

    __tablename__ = "billpay_bill_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("billpay_bill.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("billpay_service.id"))
    period: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)

    bill: Mapped[Bill] = relationship(back_populates="lines")
    service: Mapped[Service] = relationship(lazy="joined")
