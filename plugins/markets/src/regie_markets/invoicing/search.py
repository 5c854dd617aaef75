"""Searching invoices (seed §3.1.1 and §3.2.1): the advanced criteria, all met together, and the
simple search over many fields; rows carry their state and the trader's running debt."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any

import attrs
from sqlalchemy import Select, String, cast, false, func, or_
from sqlalchemy.orm import Session

from regie.api import Establishment, select_for
from regie_markets import billing
from regie_markets.models import Trader
from regie_markets.office_models import Invoice

ALL, PAID, UNPAID = "all", "paid", "unpaid"
_MONEY = re.compile(r"^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€|eur)?\s*$", re.IGNORECASE)


@attrs.define
class Criteria:
    badge: str = ""
    trader_number: str = ""
    legal_name: str = ""
    number: str = ""
    title: str = ""
    settled: str = UNPAID
    q: str = ""
    to_collect: bool = False
    """The régie's list: unpaid invoices without a titre de recette."""

    @classmethod
    def from_args(cls, args: Any, **fixed: Any) -> Criteria:
        values = {field.name: (args.get(field.name) or "").strip()
                  for field in attrs.fields(cls) if field.name != "to_collect"}
        if values["settled"] not in (ALL, PAID, UNPAID):
            values["settled"] = UNPAID
        values.update(fixed)
        return cls(**values)

    def query_args(self) -> dict[str, str]:
        return {key: value for key, value in attrs.asdict(self).items()
                if isinstance(value, str) and value}


@attrs.frozen
class Row:
    invoice: Invoice
    trader: Trader
    view: billing.InvoiceView
    cumulative: int
    """What the trader owes counting this row's and the previous rows' unpaid invoices."""


def _amount(text: str) -> int | None:
    match = _MONEY.match(text)
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _state_condition(text: str, today: dt.date, settings: dict[str, Any]):
    """The invoices in the state named ``text`` (French code or translated label)."""
    reminder = today - dt.timedelta(days=int(settings["invoice_reminder_days"]))
    arrears = today - dt.timedelta(days=int(settings["invoice_arrears_days"]))
    unpaid = Invoice.receipt_date.is_(None)
    conditions = {
        billing.PAID: Invoice.receipt_date.is_not(None),
        billing.TO_PAY: unpaid & (Invoice.issued_on >= reminder),
        billing.REMINDER: unpaid & (Invoice.issued_on < reminder) & (Invoice.issued_on >= arrears),
        billing.ARREARS: unpaid & (Invoice.issued_on < arrears),
    }
    wanted = text.lower()
    matched = [condition for state, condition in conditions.items()
               if wanted and (wanted in state
                              or wanted in str(billing.STATE_LABELS[state]).lower())]
    return or_(*matched) if matched else None


def query(establishment: Establishment, criteria: Criteria, today: dt.date) -> Select:
    settings = billing.settings_of(establishment)
    statement = select_for(establishment, Invoice).add_columns(Trader).join(
        Trader, Trader.id == Invoice.trader_id)
    if criteria.settled == PAID:
        statement = statement.where(Invoice.receipt_date.is_not(None))
    elif criteria.settled == UNPAID or criteria.to_collect:
        statement = statement.where(Invoice.receipt_date.is_(None))
    if criteria.to_collect:
        statement = statement.where(Invoice.title_number == "")
    if criteria.badge:
        statement = statement.where(Trader.badge_serial == criteria.badge)
    if criteria.trader_number:
        number = criteria.trader_number.partition("-")[0]
        statement = statement.where(Invoice.trader_number == int(number)
                                    if number.isdigit() else false())
    if criteria.legal_name:
        statement = statement.where(
            func.lower(Invoice.legal_name).contains(criteria.legal_name.lower()))
    if criteria.number:
        statement = statement.where(Invoice.number.startswith(criteria.number))
    if criteria.title:
        statement = statement.where(Invoice.title_number.startswith(criteria.title))
    if criteria.q:
        statement = statement.where(_simple(criteria.q, today, settings))
    return statement.order_by(Invoice.trader_number, Invoice.month, Invoice.number)


def _simple(text: str, today: dt.date, settings: dict[str, Any]):
    """The seed's simple search: the value in any of the listed fields."""
    lowered = text.lower()
    found = [
        Invoice.number.contains(text),
        func.lower(Invoice.legal_name).contains(lowered),
        func.lower(Trader.legal_name).contains(lowered),
        func.lower(Invoice.market_name).contains(lowered),
        Invoice.title_number.contains(text),
        Invoice.receipt_number.contains(text),
        cast(Invoice.trader_number, String) == text,
    ]
    amount = _amount(text)
    if amount is not None:
        found.append(Invoice.amount == amount)
    with contextlib.suppress(ValueError):
        found.append(Invoice.receipt_date == dt.datetime.strptime(text, "%d/%m/%Y").date())
    state = _state_condition(text, today, settings)
    if state is not None:
        found.append(state)
    return or_(*found)


def rows(session: Session, establishment: Establishment, criteria: Criteria,
         today: dt.date) -> Iterator[Row]:
    settings = billing.settings_of(establishment)
    yield from with_cumulative(
        ((invoice, trader, billing.view_of(invoice, today, settings))
         for invoice, trader in session.execute(query(establishment, criteria, today))))


def with_cumulative(found: Iterable[tuple[Invoice, Trader, billing.InvoiceView]]
                    ) -> Iterator[Row]:
    """Rows come by trader: the running sum of each trader's unpaid invoices."""
    trader_id, running = None, 0
    for invoice, trader, view in found:
        if trader.id != trader_id:
            trader_id, running = trader.id, 0
        if view.unpaid:
            running += invoice.amount
        yield Row(invoice, trader, view, running)
