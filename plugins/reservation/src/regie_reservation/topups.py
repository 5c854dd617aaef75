"""Online top-ups of a meal account from the family portal: a core payment request paid by
whatever online method the school offers; the core credits the account when the provider
confirms the payment, and the family gets a ticket by mail at its contact address."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Money,
    MoneyError,
    Veto,
    account_by_id,
    create_payment_request,
    format_money,
    in_locale,
    parse_money,
    payment_request_link,
    queue_mail,
)
from regie.api import gettext as _
from regie_reservation import individuals
from regie_reservation.models import ACCOUNT_KIND, Individual

log = logging.getLogger("regie.reservation")


def limits(establishment: Establishment, settings: dict[str, Any]) -> tuple[int, int]:
    """The minimum and maximum top-up in minor units."""
    unit = parse_money("1", establishment.currency).amount
    return (settings.get("top_up_min") or 5) * unit, (settings.get("top_up_max") or 300) * unit


def parse_amount(establishment: Establishment, settings: dict[str, Any], text: str,
                 locale: str) -> int:
    """The amount typed by the family, within the school's limits, or :class:`Invalid`."""
    try:
        amount = parse_money(text, establishment.currency, locale).amount
    except (MoneyError, ValueError):
        raise Invalid({"amount": _("type an amount such as 20 or 12.50")}) from None
    low, high = limits(establishment, settings)
    if amount < low:
        raise Invalid({"amount": _("the minimum top-up is %(amount)s", amount=format_money(
            Money(low, establishment.currency), locale))})
    if amount > high:
        raise Invalid({"amount": _("the maximum top-up is %(amount)s", amount=format_money(
            Money(high, establishment.currency), locale))})
    return amount


def start(session: Session, runtime, establishment: Establishment, individual: Individual,
          amount: int) -> str:
    """Open the payment request of the top-up; returns the address where the family pays."""
    account = account_by_id(session, establishment, individual.account_id)
    request = create_payment_request(
        session, runtime, establishment, account=account, amount=amount,
        description=_("Canteen top-up for %(name)s", name=individual.full_name),
        payer_email=individual.contact_email, actor=f"portal:{individual.login}")
    return payment_request_link(runtime, establishment, request)


def queue_ticket(session: Session, runtime, payment) -> bool:
    """Put the payment ticket of a portal top-up in the outbox, to the family's contact
    address, in the confirming transaction (seed: PAYBOX mails it when the family gave one in
    the Account tab). Returns whether a mail was queued; a school without working mail
    settings gets none, and the payment stands."""
    establishment = session.get(Establishment, payment.establishment_id)
    account = account_by_id(session, establishment, payment.account_id)
    if account.kind != ACCOUNT_KIND or payment.request_id is None:
        return False
    individual = individuals.by_external_id(session, establishment, account.owner_key)
    if individual is None or not individual.contact_email:
        return False
    locale = establishment.locale
    with in_locale(locale):  # a worker confirming the payment has no request language
        text = _("Payment ticket\n\n%(school)s\nMeal account of %(name)s\n\n"
                 "Amount: %(amount)s\nOrder reference: %(reference)s\nReceipt: %(receipt)s\n"
                 "New balance: %(balance)s\n", school=establishment.name,
                 name=individual.full_name, reference=payment.reference,
                 amount=format_money(Money(payment.amount, payment.currency), locale),
                 receipt=payment.receipt_number or "",
                 balance=format_money(Money(account.balance, account.currency), locale))
        subject = _("%(school)s: payment ticket %(reference)s", school=establishment.name,
                    reference=payment.reference)
    try:
        with session.begin_nested():
            queue_mail(session, runtime, establishment, to=individual.contact_email,
                       subject=subject, text=text, record=f"payment:{payment.id}")
    except (Invalid, Veto) as exc:
        log.warning("no ticket for payment %s: %s", payment.id, exc)
        return False
    return True
