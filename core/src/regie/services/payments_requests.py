"""Payment requests: an amount asked of a payer, paid through an unguessable link with any
online method the establishment offers; and starting an online payment in general."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.db.money import LedgerAccount, Payment, PaymentRequest
from regie.db.tenancy import get_for, lock, select_for
from regie.i18n import gettext as _
from regie.services import audit
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.money import Money
from regie.services.payments import (
    Actor,
    amount_of,
    cancel,
    create_payment,
    method_of,
    payment_view,
    provider_for,
    split_actor,
)
from regie.services.providers import AutoSubmitForm, Redirect, ReturnUrls

RETURN_OUTCOMES = ("succeeded", "failed", "cancelled", "pending")


def _base(runtime) -> str:
    return runtime.config["base_url"].rstrip("/")


def request_link(runtime, establishment: Establishment, request: PaymentRequest) -> str:
    """The absolute address the payer opens (no sign-in needed)."""
    return f"{_base(runtime)}/{establishment.slug}/pay/{request.token}"


def return_urls(runtime, establishment: Establishment, payment: Payment) -> ReturnUrls:
    """Our pages for the payer's browser after the provider's page, and the notification URL:
    the core's callback for the method (see :class:`regie.services.providers.ReturnUrls`)."""
    base = f"{_base(runtime)}/{establishment.slug}/pay/return/{payment.token}"
    return ReturnUrls(
        succeeded=f"{base}/succeeded", failed=f"{base}/failed", cancelled=f"{base}/cancelled",
        pending=f"{base}/pending",
        notify=f"{_base(runtime)}/callbacks/{establishment.slug}/payments/notify/"
               f"{payment.method}")


def create_request(session: Session, runtime, establishment: Establishment, *,
                   account: LedgerAccount, amount: int | Money, description: str = "",
                   payer_email: str = "", expires_at: dt.datetime | None = None,
                   actor: Actor = None) -> PaymentRequest:
    """Ask ``amount`` of the payer of ``account``; :func:`request_link` is the link to send."""
    if account.establishment_id != establishment.id:
        raise NotFound(_("no account %(id)s in this establishment", id=account.id))
    errors = {}
    try:
        value = amount_of(amount, account.currency)
    except Invalid as exc:
        errors.update(exc.errors)
    if not description.strip():
        errors["description"] = _("is required: the payer sees it")
    if expires_at is not None and expires_at <= utcnow():
        errors["expires_at"] = _("must be in the future")
    if errors:
        raise Invalid(errors)
    request = PaymentRequest(
        establishment_id=establishment.id, account_id=account.id, amount=value,
        currency=account.currency, description=description.strip()[:250],
        payer_email=payer_email.strip()[:254], token=secrets.token_urlsafe(32), state="open",
        created_by=split_actor(actor)[1], expires_at=expires_at)
    session.add(request)
    session.flush()
    user, name = split_actor(actor)
    audit.record(session, "payment_request.create", establishment=establishment, user=user,
                 actor=name, target=f"request:{request.id}",
                 details={"account": account.id, "amount": value, "currency": request.currency})
    return request


def by_token(session: Session, establishment: Establishment | int,
             token: str) -> PaymentRequest | None:
    return session.scalar(select_for(establishment, PaymentRequest, PaymentRequest.token == token))


def requests(session: Session, establishment: Establishment | int, *,
             state: str | None = None) -> list[PaymentRequest]:
    query = select_for(establishment, PaymentRequest)
    if state:
        query = query.where(PaymentRequest.state == state)
    return list(session.scalars(query.order_by(PaymentRequest.created_at.desc())))


def is_payable(request: PaymentRequest, now: dt.datetime | None = None) -> bool:
    return request.state == "open" and (request.expires_at is None
                                        or request.expires_at > (now or utcnow()))


def cancel_request(session: Session, establishment: Establishment, request_id: int, *,
                   actor: Actor = None) -> PaymentRequest:
    request = get_for(session, establishment, PaymentRequest, request_id)
    if request is None:
        raise NotFound(_("no payment request %(id)s in this establishment", id=request_id))
    if request.state != "open":
        raise Veto(_("this request is already %(state)s", state=request.state))
    request.state = "cancelled"
    user, name = split_actor(actor)
    audit.record(session, "payment_request.cancel", establishment=establishment, user=user,
                 actor=name, target=f"request:{request.id}")
    return request


def pay_request(runtime, establishment: Establishment | int, token: str, method_code: str, *,
                payer_email: str = "", payer_name: str = "") -> tuple[Payment,
                                                                       Redirect | AutoSubmitForm]:
    """A new attempt to pay request ``token`` with online method ``method_code``: the pending
    payment and where to send the payer."""
    establishment_id = establishment if isinstance(establishment, int) else establishment.id
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment_id)
        request = session.scalar(lock(select_for(place, PaymentRequest,
                                                 PaymentRequest.token == token)))
        if request is None:
            raise NotFound(_("this payment link does not exist"))
        if not is_payable(request):
            raise Veto(_("this payment link is no longer payable (%(state)s)",
                         state=_("paid") if request.state == "paid" else _("closed")))
        if not method_of(runtime, place, method_code).online:
            raise Veto(_("choose an online payment method"))
        payment = create_payment(
            session, runtime, place, account=session.get(LedgerAccount, request.account_id),
            amount=request.amount, method=method_code, description=request.description,
            payer_email=payer_email or request.payer_email, payer_name=payer_name,
            request=request, actor="payer")
        payment_id = payment.id
    try:
        return payment, start_payment(runtime, establishment_id, payment_id)
    except Veto as refusal:
        with runtime.db.transaction() as session:
            cancel(session, runtime, session.get(Establishment, establishment_id), payment_id,
                   reason=str(refusal), actor="payer")
        raise


def start_payment(runtime, establishment: Establishment | int,
                  payment_id: int) -> Redirect | AutoSubmitForm:
    """Where to send the payer to pay pending online payment ``payment_id``."""
    with runtime.db.session() as session:
        place = session.get(Establishment, establishment if isinstance(establishment, int)
                            else establishment.id)
        payment = get_for(session, place, Payment, payment_id)
        if payment is None:
            raise NotFound(_("no payment %(id)s in this establishment", id=payment_id))
        if payment.state != "pending":
            raise Veto(_("payment %(id)s is already %(state)s", id=payment.id,
                         state=payment.state))
        method = method_of(runtime, place, payment.method)
        if not method.online:
            raise Veto(_("%(method)s payments are recorded by staff", method=method.label))
        provider = provider_for(runtime, place, method)
        view, urls = payment_view(payment), return_urls(runtime, place, payment)
    action = provider.start(view, urls)
    if not isinstance(action, Redirect | AutoSubmitForm):
        raise TypeError(f"{payment.method}.start() returned {type(action).__name__}")
    return action


def attempts(session: Session, request: PaymentRequest) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.request_id == request.id)
                                .order_by(Payment.id.desc())))


__all__ = [
    "RETURN_OUTCOMES",
    "attempts",
    "by_token",
    "cancel_request",
    "create_request",
    "is_payable",
    "pay_request",
    "request_link",
    "requests",
    "return_urls",
    "start_payment",
]
