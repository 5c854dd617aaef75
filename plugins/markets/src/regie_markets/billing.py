"""What a trader owes: invoice states from their age, arrears, unbilled tickets.

Field pages (trader status, the placier's record, self-service) read invoices only through
these functions, as plain :class:`InvoiceView` data.

An unpaid invoice is "à régler" until ``invoice_reminder_days`` after it was issued, then
"rappel" until ``invoice_arrears_days``, then "arriéré" (the arrears that count against the
trader for placement). A pointed invoice is "payée".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.api import Establishment, select_for
from regie.api import lazy_gettext as _l
from regie_markets.models import Ticket, Trader
from regie_markets.office_models import Invoice, InvoiceLine
from regie_markets.settings import markets_settings

TO_PAY, REMINDER, ARREARS, PAID = "à régler", "rappel", "arriéré", "payée"
STATE_LABELS = {TO_PAY: _l("to pay"), REMINDER: _l("reminder"), ARREARS: _l("arrears"),
                PAID: _l("paid")}

DEFAULTS: dict[str, Any] = {"invoice_reminder_days": 30, "invoice_arrears_days": 60}


@attrs.frozen
class InvoiceView:
    id: int
    number: str
    month: dt.date
    amount: int
    state: str
    """One of "à régler", "rappel", "arriéré", "payée"."""
    issued_on: dt.date
    legal_name: str
    receipt_date: dt.date | None = None
    receipt_number: str = ""
    title_number: str = ""

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def unpaid(self) -> bool:
        return self.state != PAID


def settings_of(establishment: Establishment) -> dict[str, Any]:
    """The Markets settings of the establishment, defaults filled in."""
    return {**DEFAULTS, **{key: value for key, value in markets_settings(establishment).items()
                           if value not in (None, "")}}


def state_of(invoice: Invoice, today: dt.date, settings: dict[str, Any]) -> str:
    if invoice.receipt_date is not None:
        return PAID
    age = (today - invoice.issued_on).days
    if age > int(settings["invoice_arrears_days"]):
        return ARREARS
    if age > int(settings["invoice_reminder_days"]):
        return REMINDER
    return TO_PAY


def view_of(invoice: Invoice, today: dt.date, settings: dict[str, Any]) -> InvoiceView:
    return InvoiceView(id=invoice.id, number=invoice.number, month=invoice.month,
                       amount=invoice.amount, state=state_of(invoice, today, settings),
                       issued_on=invoice.issued_on, legal_name=invoice.legal_name,
                       receipt_date=invoice.receipt_date, receipt_number=invoice.receipt_number,
                       title_number=invoice.title_number)


def _invoices(session: Session, establishment: Establishment, trader: Trader) -> list[Invoice]:
    return list(session.scalars(select_for(establishment, Invoice,
                                           Invoice.trader_id == trader.id)
                                .order_by(Invoice.month.desc(), Invoice.id.desc())))


def invoices_of(session: Session, establishment: Establishment, trader: Trader,
                today: dt.date | None = None) -> list[InvoiceView]:
    """Every invoice of the trader, newest first (the invoices tab of the record)."""
    today = today or dt.date.today()
    settings = settings_of(establishment)
    return [view_of(invoice, today, settings)
            for invoice in _invoices(session, establishment, trader)]


def recent_invoices(session: Session, establishment: Establishment, trader: Trader,
                    today: dt.date, at_least: int = 3) -> list[InvoiceView]:
    """The last ``at_least`` invoices, and further back up to the oldest unpaid one."""
    views = invoices_of(session, establishment, trader, today)
    unpaid = [index for index, view in enumerate(views) if view.unpaid]
    keep = max(at_least, unpaid[-1] + 1 if unpaid else 0)
    return views[:keep]


def arrears(session: Session, establishment: Establishment, trader: Trader,
            today: dt.date) -> tuple[int, int]:
    """Amount (minor units) and number of the trader's unpaid invoices in arrears."""
    late = [view for view in invoices_of(session, establishment, trader, today)
            if view.state == ARREARS]
    return sum(view.amount for view in late), len(late)


def unbilled_tickets(session: Session, establishment: Establishment,
                     trader: Trader) -> list[Ticket]:
    """The trader's tickets no invoice bills yet, oldest first."""
    billed = select(InvoiceLine.ticket_id).where(
        InvoiceLine.establishment_id == establishment.id)
    return list(session.scalars(select_for(establishment, Ticket, Ticket.trader_id == trader.id,
                                           Ticket.id.not_in(billed))
                                .order_by(Ticket.day, Ticket.id)))
