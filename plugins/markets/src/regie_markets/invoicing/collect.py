"""Payments of invoices: pointing a receipt of the régie de recettes, a pointing without receipt
(error, waiver), undoing a pointing, the titre de recette, and online payment by the trader.

Money goes through the core: a receipt is a payment of the ``regie`` method (this plugin's
manual method: the régie's own software issued the receipt, the means of payment stays there);
a waiver is a ledger credit that cancels the invoice's debt; an online payment is a core
payment request, and its success points the invoice in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    NotFound,
    Veto,
    account_by_id,
    cancel_payment,
    create_payment_request,
    get_for,
    get_payment,
    lock,
    open_account,
    payment_request_link,
    post_entry,
    record_payment,
    refund_payment,
    reverse_entry,
    select_for,
)
from regie.api import gettext as _
from regie_markets.invoicing.treatment import local_today
from regie_markets.models import ACCOUNT_KIND, Trader
from regie_markets.office_models import Invoice

REGIE_METHOD = "regie"
WAIVER_KIND = "markets.waiver"


class RegieReceipt:
    """The ``regie`` method's provider: the receipt number is the payment's reference."""

    def __init__(self, settings=None, establishment=None) -> None:
        self.settings = settings or {}

    def fields(self) -> list[tuple[str, str, bool]]:
        return []

    def validate(self, values: dict[str, str]) -> dict[str, str]:
        return {}


def locked_invoice(session: Session, establishment: Establishment, invoice_id: int) -> Invoice:
    invoice = session.scalar(lock(select_for(establishment, Invoice, Invoice.id == invoice_id))
                             .execution_options(populate_existing=True))
    if invoice is None:
        raise NotFound(_("no invoice %(id)s here", id=invoice_id))
    return invoice


def trader_account(session: Session, establishment: Establishment, trader: Trader):
    if trader.account_id is not None:
        return account_by_id(session, establishment, trader.account_id)
    return open_account(session, establishment, kind=ACCOUNT_KIND, owner_key=str(trader.number),
                        label=trader.display_name)


def _actor_name(actor) -> str:
    return actor if isinstance(actor, str) else getattr(actor, "username", "") or "system"


def _reference(receipt_number: str, invoice: Invoice) -> str:
    return f"{receipt_number} {invoice.number}"


def point(session: Session, runtime, establishment: Establishment, invoice_id: int, *,
          receipt_date: dt.date | None, receipt_number: str = "", comment: str = "",
          actor=None, today: dt.date | None = None) -> Invoice:
    """Point the invoice paid: with the régie's receipt number (a core payment), or with a
    comment instead (a pointing without receipt: the debt is cancelled in the ledger)."""
    invoice = locked_invoice(session, establishment, invoice_id)
    receipt_number, comment = receipt_number.strip(), comment.strip()
    if invoice.receipt_date is not None:
        raise Veto(_("invoice %(number)s was already pointed paid on %(date)s",
                     number=invoice.number, date=invoice.receipt_date.strftime("%d/%m/%Y")))
    errors = {}
    today = today or local_today(establishment)
    if receipt_date is None:
        errors["receipt_date"] = _("give the date of the receipt")
    elif receipt_date > today:
        errors["receipt_date"] = _("a receipt cannot be dated in the future")
    if not receipt_number and not comment:
        errors["receipt_number"] = _("give the receipt number, or a comment for a pointing "
                                     "without receipt (error, waiver)")
    if receipt_number:
        other = session.scalar(select_for(establishment, Invoice,
                                          Invoice.receipt_number == receipt_number,
                                          Invoice.trader_id != invoice.trader_id).limit(1))
        if other is not None:
            errors["receipt_number"] = _("receipt %(receipt)s already paid invoice %(number)s "
                                         "of another trader", receipt=receipt_number,
                                         number=other.number)
    if errors:
        raise Invalid(errors)
    trader = session.get(Trader, invoice.trader_id)
    account = trader_account(session, establishment, trader)
    if receipt_number:
        payment = record_payment(session, runtime, establishment, account=account,
                                 method=REGIE_METHOD, amount=invoice.amount,
                                 reference=_reference(receipt_number, invoice),
                                 note=comment or _("Invoice %(number)s", number=invoice.number),
                                 actor=actor)
        invoice.payment_id = payment.id
    else:
        entry = post_entry(session, account, invoice.amount, kind=WAIVER_KIND,
                           label=_("Invoice %(number)s pointed without receipt: %(comment)s",
                                   number=invoice.number, comment=comment),
                           actor=_actor_name(actor))
        invoice.settlement_entry_id = entry.id
    invoice.receipt_date, invoice.receipt_number = receipt_date, receipt_number
    invoice.receipt_comment = comment[:300]
    return invoice


def unpoint(runtime, establishment: Establishment, invoice_id: int, *, actor=None) -> None:
    """Undo the pointing of an invoice: a waiver's credit is reversed; a receipt's payment is
    cancelled the day it was taken, refunded (outside Régie, at the régie) later."""
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment.id)
        invoice = locked_invoice(session, place, invoice_id)
        if invoice.receipt_date is None:
            raise Veto(_("invoice %(number)s is not pointed paid", number=invoice.number))
        if invoice.request_id is not None and invoice.payment_id is not None:
            raise Veto(_("invoice %(number)s was paid online: refund it from the payments page",
                         number=invoice.number))
        payment_id, refund_later = invoice.payment_id, False
        if invoice.settlement_entry_id is not None:
            reverse_entry(session, place, invoice.settlement_entry_id, actor=_actor_name(actor),
                          label=_("Pointing of invoice %(number)s undone",
                                  number=invoice.number))
        elif payment_id is not None:
            payment = get_payment(session, place, payment_id)
            if payment.succeeded_at is not None and payment.succeeded_at.astimezone(
                    zoneinfo.ZoneInfo(place.timezone)).date() == local_today(place):
                cancel_payment(session, runtime, place, payment_id, actor=actor,
                               reason=_("Pointing of invoice %(number)s undone",
                                        number=invoice.number))
            else:
                refund_later = True
        if not refund_later:
            _clear(invoice)
            return
    refund_payment(runtime, establishment.id, payment_id, through_provider=False, actor=actor,
                   reason=_("Pointing of invoice %(number)s undone", number=invoice.number))
    with runtime.db.transaction() as session:
        _clear(locked_invoice(session, session.get(Establishment, establishment.id),
                              invoice_id))


def _clear(invoice: Invoice) -> None:
    invoice.receipt_date, invoice.receipt_number, invoice.receipt_comment = None, "", ""
    invoice.payment_id = invoice.settlement_entry_id = None


def set_title(session: Session, establishment: Establishment, invoice_id: int,
              title_number: str) -> Invoice:
    """Record (or clear) the titre de recette: the régie stops asking for the payment."""
    invoice = locked_invoice(session, establishment, invoice_id)
    invoice.title_number = title_number.strip()[:60]
    return invoice


def start_online(session: Session, runtime, establishment: Establishment, invoice: Invoice,
                 *, payer_email: str = "") -> str:
    """The link of a core payment request for the unpaid ``invoice``."""
    invoice = locked_invoice(session, establishment, invoice.id)
    if invoice.receipt_date is not None:
        raise Veto(_("invoice %(number)s is already paid", number=invoice.number))
    if invoice.title_number:
        raise Veto(_("invoice %(number)s is now collected by the public treasury (titre de "
                     "recette %(title)s)", number=invoice.number, title=invoice.title_number))
    trader = session.get(Trader, invoice.trader_id)
    request = create_payment_request(
        session, runtime, establishment, account=trader_account(session, establishment, trader),
        amount=invoice.amount, payer_email=payer_email,
        description=_("Market invoice %(number)s", number=invoice.number), actor="self-service")
    invoice.request_id = request.id
    return payment_request_link(runtime, establishment, request)


def confirm_online(session: Session, payment) -> Invoice | None:
    """The core confirmed ``payment``: point the invoice whose request it paid (hook
    ``regie_payment_succeeded_precommit``). An invoice pointed meanwhile at the régie stays as
    it is; the extra money is the trader's credit."""
    if payment.request_id is None:
        return None
    invoice = session.scalar(lock(select(Invoice).where(
        Invoice.establishment_id == payment.establishment_id,
        Invoice.request_id == payment.request_id)))
    if invoice is None or invoice.receipt_date is not None:
        return invoice
    place = session.get(Establishment, payment.establishment_id)
    invoice.receipt_date = local_today(place)
    invoice.receipt_number = str(payment.receipt_number or payment.reference)[:60]
    invoice.receipt_comment = _("Paid online")
    invoice.payment_id = payment.id
    return invoice


def invoice_of(session: Session, establishment: Establishment, invoice_id: int) -> Invoice:
    invoice = get_for(session, establishment, Invoice, invoice_id)
    if invoice is None:
        raise NotFound(_("no invoice %(id)s here", id=invoice_id))
    return invoice
