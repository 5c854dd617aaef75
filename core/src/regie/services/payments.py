"""Payments: one row per attempt, its state machine, and what staff do with payments (record a
manual one, cancel, refund, resolve the review queue).

Provider notifications are handled in :mod:`regie.services.payments_notifications`, payment
requests and the payer's pages in :mod:`regie.services.payments_requests`.

States (see :class:`regie.db.money.Payment`)::

    pending ──► succeeded ──► cancelled (same-day void)
       │            └───────► refunded (partial refunds add up to at most the amount)
       ├──► failed / cancelled (no money moved; a later success may still arrive)
       └──► needs_review (what the provider said does not match) ──► succeeded | failed

Every transition runs the payment event hooks of the plugins enabled for the establishment:
``…_precommit`` inside the transaction, ``…_postcommit`` after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zoneinfo
from typing import Any

from sqlalchemy import Select, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from regie.db.base import utcnow
from regie.db.models import AuditEvent, Establishment, User
from regie.db.money import (
    LedgerAccount,
    LedgerEntry,
    Payment,
    PaymentNotification,
    PaymentRefund,
    PaymentRequest,
)
from regie.db.rows import mark_written
from regie.db.tenancy import get_for, lock, select_for
from regie.declarations import PaymentMethod
from regie.engine.manager import CORE
from regie.i18n import gettext as _
from regie.services import audit, establishments, ledger
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.money import Money, format_money
from regie.services.providers import EstablishmentView, PaymentView

log = logging.getLogger("regie.payments")

REFERENCE_COUNTER = "reference"
MAX_REFERENCE = 250

Actor = User | str | None


# --- methods and providers -----------------------------------------------------------------


def available_methods(runtime, establishment: Establishment, *,
                      online: bool | None = None) -> list[PaymentMethod]:
    """The payment methods offered in the establishment: the core's manual ones and those of
    its enabled plugins, in hook order."""
    enabled = establishments.enabled_plugins(establishment, runtime.engine)
    return [method for method in runtime.engine.items("regie_payment_methods", enabled=enabled)
            if online is None or method.online == online]


def method_of(runtime, establishment: Establishment, code: str) -> PaymentMethod:
    for method in available_methods(runtime, establishment):
        if method.code == code:
            return method
    known = ", ".join(method.code for method in available_methods(runtime, establishment))
    raise NotFound(_("payment method '%(code)s' is not offered here (offered: %(known)s)",
                     code=code, known=known or "-"))


def establishment_view(runtime, establishment: Establishment) -> EstablishmentView:
    return EstablishmentView(
        id=establishment.id, slug=establishment.slug, name=establishment.name,
        currency=establishment.currency, locale=establishment.locale,
        base_url=runtime.config["base_url"].rstrip("/"))


def provider_for(runtime, establishment: Establishment, method: PaymentMethod) -> Any:
    """The method's provider object, built with its plugin's settings in the establishment."""
    if method.provider is None:
        raise Veto(_("payment method '%(code)s' has no implementation", code=method.code))
    plugin = runtime.engine.owner("regie_payment_methods", method.code)
    settings = {} if plugin in (None, CORE) else dict(
        establishments.enabled_plugins(establishment, runtime.engine).get(plugin, {}))
    return method.provider(settings=settings, establishment=establishment_view(runtime,
                                                                                establishment))


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        id=payment.id, reference=payment.reference, amount=payment.amount,
        currency=payment.currency, description=payment.description,
        payer_email=payment.payer_email, payer_name=payment.payer_name,
        payer_address=dict(payment.payer_address or {}),
        provider_data=dict(payment.provider_data or {}),
        provider_reference=payment.provider_reference)


# --- hooks ---------------------------------------------------------------------------------

_POSTCOMMIT = "regie.payments.postcommit"


def _enabled(runtime, establishment: Establishment) -> list[str]:
    return list(establishments.enabled_plugins(establishment, runtime.engine))


def _precommit(session: Session, runtime, establishment: Establishment, hook: str,
               **kwargs: Any) -> None:
    caller = getattr(runtime.engine.hook(_enabled(runtime, establishment)), hook)
    caller(session=session, runtime=runtime, **kwargs)


def _postcommit(session: Session, runtime, establishment: Establishment, hook: str,
                **kwargs: Any) -> None:
    """Run ``hook`` once the session's transaction commits (never if it rolls back)."""
    calls = session.info.setdefault(_POSTCOMMIT, [])
    calls.append((runtime.engine, _enabled(runtime, establishment), hook,
                  {**kwargs, "runtime": runtime}))


@event.listens_for(Session, "after_commit")
def _run_postcommit(session: Session) -> None:
    for engine, enabled, hook, kwargs in session.info.pop(_POSTCOMMIT, []):
        for impl in getattr(engine.hook(enabled), hook).get_hookimpls():
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception:
                log.exception("%s of %s failed (the payment is recorded)", hook,
                              impl.plugin_name)


@event.listens_for(Session, "after_rollback")
def _forget_postcommit(session: Session) -> None:
    session.info.pop(_POSTCOMMIT, None)


def _has_hooks(runtime, establishment: Establishment, hook: str) -> bool:
    """Whether a plugin enabled in the establishment (or the core) implements ``hook``."""
    return bool(getattr(runtime.engine.hook(_enabled(runtime, establishment)),
                        hook).get_hookimpls())


def _pending_hooks(session: Session) -> int:
    return len(session.info.get(_POSTCOMMIT, []))


def _drop_hooks_after(session: Session, mark: int) -> None:
    """Forget the postcommit calls registered in a savepoint that was rolled back."""
    del session.info.get(_POSTCOMMIT, [])[mark:]


# --- helpers -------------------------------------------------------------------------------


def split_actor(actor: Actor) -> tuple[User | None, str]:
    """The user (for the audit trail's link) and the name to record for ``actor``."""
    if isinstance(actor, User):
        return actor, actor.username
    return None, actor or "system"


def _audit(session: Session, action: str, establishment: Establishment, payment: Payment,
           actor: Actor, **details: Any) -> None:
    user, name = split_actor(actor)
    audit.record(session, action, establishment=establishment, user=user, actor=name,
                 target=f"payment:{payment.id}", details={"reference": payment.reference,
                                                          **details})


def amount_of(value: int | Money, currency: str, field: str = "amount") -> int:
    """``value`` in minor units of ``currency``; a positive amount is required."""
    if isinstance(value, Money):
        if value.currency != currency:
            raise Invalid({field: _("the amount must be in %(currency)s", currency=currency)})
        value = value.amount
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("payment amounts are int minor units or Money")
    if value <= 0:
        raise Invalid({field: _("must be more than zero")})
    return value


def duplicate_message(existing: Payment) -> str:
    """The seed's "Un encaissement (num : 49151) ayant cette référence (97) existe déjà"."""
    return _("A payment (no. %(number)s) with this reference (%(reference)s) already exists",
             number=existing.id, reference=existing.reference)


def by_reference(session: Session, establishment: Establishment | int, method: str,
                 reference: str) -> Payment | None:
    return session.scalar(select_for(establishment, Payment, Payment.method == method,
                                     Payment.reference == reference))


def get(session: Session, establishment: Establishment | int, payment_id: int) -> Payment:
    payment = get_for(session, establishment, Payment, payment_id)
    if payment is None:
        raise NotFound(_("no payment %(id)s in this establishment", id=payment_id))
    return payment


def locked(session: Session, establishment: Establishment | int, payment_id: int) -> Payment:
    """Payment ``payment_id`` of the establishment, locked until the transaction ends."""
    payment = session.scalar(lock(select_for(establishment, Payment, Payment.id == payment_id))
                             .execution_options(populate_existing=True))
    if payment is None:
        raise NotFound(_("no payment %(id)s in this establishment", id=payment_id))
    return payment


def _new_reference(session: Session, establishment: Establishment, method: str) -> str:
    while True:
        reference = str(ledger.next_number(session, establishment.id, REFERENCE_COUNTER))
        if by_reference(session, establishment, method, reference) is None:
            return reference


def _check_reference(session: Session, establishment: Establishment, method: str,
                     reference: str) -> str | None:
    if len(reference) > MAX_REFERENCE:
        return _("at most %(n)d characters", n=MAX_REFERENCE)
    existing = by_reference(session, establishment, method, reference)
    return duplicate_message(existing) if existing is not None else None


# --- creating and succeeding ---------------------------------------------------------------


def create_payment(session: Session, runtime, establishment: Establishment, *,
                   account: LedgerAccount, amount: int | Money, method: str,
                   reference: str | None = None, description: str = "", payer_email: str = "",
                   payer_name: str = "", payer_address: dict[str, str] | None = None,
                   request: PaymentRequest | None = None, actor: Actor = None) -> Payment:
    """A new pending payment of ``amount`` for ``account`` by ``method``.

    ``reference`` is unique per establishment and method; without one, the next number of the
    establishment's reference counter is used. An existing reference is refused with the
    existing payment's number.
    """
    chosen = method_of(runtime, establishment, method)
    errors: dict[str, str] = {}
    if account.establishment_id != establishment.id:
        raise NotFound(_("no account %(id)s in this establishment", id=account.id))
    try:
        value = amount_of(amount, account.currency)
    except Invalid as exc:
        errors.update(exc.errors)
    reference = (reference or "").strip()
    if reference:
        problem = _check_reference(session, establishment, chosen.code, reference)
        if problem:
            errors["reference"] = problem
    if errors:
        raise Invalid(errors)
    payment = Payment(
        establishment_id=establishment.id, account_id=account.id, method=chosen.code,
        reference=reference or _new_reference(session, establishment, chosen.code),
        amount=value, currency=account.currency, state="pending",
        description=description.strip()[:250], payer_email=payer_email.strip()[:254],
        payer_name=payer_name.strip()[:200], payer_address=dict(payer_address or {}),
        provider_data={}, token=secrets.token_urlsafe(24),
        request_id=request.id if request is not None else None, created_by=split_actor(actor)[1],
        refunded_amount=0)
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:  # the same reference, committed meanwhile by another transaction
        existing = by_reference(session, establishment, chosen.code, payment.reference)
        if existing is None:
            raise
        raise Invalid({"reference": duplicate_message(existing)}) from None
    _audit(session, "payment.create", establishment, payment, actor, method=chosen.code,
           amount=value, currency=payment.currency)
    return payment


def _succeed(session: Session, runtime, establishment: Establishment, payment: Payment, *,
             actor: Actor) -> LedgerEntry:
    """Credit the account, number the receipt and run the precommit hooks; the caller holds
    the payment's lock. The payment's row is written first; the account, chain and receipt
    locks are taken last, each by the statement that advances it
    (:func:`ledger.post_locked`), so concurrent confirmations wait on each other as briefly
    as possible."""
    label = _("Payment %(reference)s (%(method)s)", reference=payment.reference,
              method=payment.method)
    now = utcnow()
    changes = {**mark_written(payment), "state": "succeeded", "succeeded_at": now,
               "updated_at": now}
    if payment.request_id is not None:
        request = session.get(PaymentRequest, payment.request_id)
        if request is not None and request.state == "open":
            request.state, request.paid_at = "paid", now
    if session.new or session.deleted or any(other is not payment for other in session.dirty):
        session.flush()
    user, name = split_actor(actor)
    posted = ledger.post_locked(
        session, establishment.id, payment.account_id, payment.amount, kind="payment",
        label=label, payment_id=payment.id, actor=name, receipt=True, payment_values=changes,
        audit_event=audit.values(
            "payment.succeeded", establishment=establishment, user=user, actor=name,
            target=f"payment:{payment.id}", details={
                "reference": payment.reference, "amount": payment.amount,
                "currency": payment.currency}))
    for column, value in {**changes, "receipt_number": posted.receipt}.items():
        set_committed_value(payment, column, value)
    _precommit(session, runtime, establishment, "regie_payment_succeeded_precommit",
               payment=payment)
    _postcommit(session, runtime, establishment, "regie_payment_succeeded_postcommit",
                payment_id=payment.id)
    return posted.entry


def succeed_or_review(session: Session, runtime, establishment: Establishment,
                      payment: Payment, *, actor: Actor) -> str:
    """Confirm money the provider has taken: ``succeeded``, or ``needs_review`` when a plugin
    vetoes (or fails in) its precommit hook, since the money must not be lost."""
    if not _has_hooks(runtime, establishment, "regie_payment_succeeded_precommit"):
        _succeed(session, runtime, establishment, payment, actor=actor)
        return payment.state
    mark = _pending_hooks(session)
    try:
        with session.begin_nested():
            _succeed(session, runtime, establishment, payment, actor=actor)
    except Exception as exc:
        _drop_hooks_after(session, mark)
        session.expire(payment)  # what the savepoint wrote through Core was rolled back
        if isinstance(exc, Veto):
            reason = _("refused by a module: %(why)s", why=str(exc))
        else:
            log.exception("a precommit hook failed while confirming payment %s", payment.id)
            reason = _("a module failed while confirming: %(error)s", error=repr(exc))
        to_review(session, establishment, payment, reason, {"error": str(exc)}, actor=actor)
    return payment.state


def to_review(session: Session, establishment: Establishment, payment: Payment, reason: str,
              evidence: dict[str, Any], *, actor: Actor) -> None:
    payment.state = "needs_review"
    payment.review_reason = reason
    payment.review_evidence = evidence
    log.warning("payment %s (%s) of %s sent to review: %s", payment.id, payment.reference,
                establishment.slug, reason)
    _audit(session, "payment.needs_review", establishment, payment, actor, reason=reason,
           evidence=evidence)


def manual_fields(provider: Any, fields: dict[str, str]) -> tuple[dict[str, str],
                                                                   dict[str, str]]:
    """The values of a manual method's own fields (a cheque's number and bank …) and the
    problems with them: unknown, missing, or refused by the method."""
    declared = provider.fields()
    given = {key: str(value).strip() for key, value in fields.items()}
    errors = {key: _("unknown field") for key in given if key not in {d[0] for d in declared}}
    values = {name: given.get(name, "") for name, _label, _required in declared}
    errors.update({name: _("is required") for name, _label, required in declared
                   if required and not values[name]})
    errors.update({key: message for key, message in provider.validate(values).items()
                   if key not in errors})
    return values, errors


def record_manual(session: Session, runtime, establishment: Establishment, *,
                  account: LedgerAccount, method: str, amount: int | Money,
                  reference: str = "", fields: dict[str, str] | None = None, note: str = "",
                  actor: Actor = None) -> Payment:
    """Record money staff received (cash, cheque, transfer, card on site): a succeeded payment,
    its ledger entry and receipt number, in the caller's transaction.

    ``fields`` are the method's own (a cheque's number and bank …); every problem is reported
    at once in :class:`Invalid`, and a reference already used by the method is refused with
    the existing payment's number.
    """
    chosen = method_of(runtime, establishment, method)
    if chosen.online:
        raise Veto(_("%(method)s payments are confirmed by their provider, not recorded by hand",
                     method=chosen.label))
    values, errors = manual_fields(provider_for(runtime, establishment, chosen), fields or {})
    try:
        amount_of(amount, account.currency)
    except Invalid as exc:
        errors.update(exc.errors)
    reference = reference.strip()
    if reference:
        problem = _check_reference(session, establishment, chosen.code, reference)
        if problem:
            errors["reference"] = problem
    if errors:
        raise Invalid(errors)
    account = ledger.lock_account(session, account)
    created = create_payment(session, runtime, establishment, account=account, amount=amount,
                             method=chosen.code, reference=reference or None, actor=actor)
    payment = locked(session, establishment, created.id)
    payment.provider_data = {key: value for key, value in values.items() if value}
    payment.note = note.strip()
    _succeed(session, runtime, establishment, payment, actor=actor)
    return payment


# --- staff actions on existing payments ----------------------------------------------------


def _local_date(moment: dt.datetime, establishment: Establishment) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(establishment.timezone)).date()


def cancel(session: Session, runtime, establishment: Establishment, payment_id: int, *,
           reason: str = "", actor: Actor = None, now: dt.datetime | None = None) -> Payment:
    """Cancel a pending attempt, or void a manual payment on the day it was taken (its credit
    is reversed). Later, or for an online payment, only a refund gives money back."""
    payment = locked(session, establishment, payment_id)
    now = now or utcnow()
    if payment.state in ("pending", "failed"):
        payment.state = "cancelled"
    elif payment.state == "succeeded":
        if method_of(runtime, establishment, payment.method).online:
            raise Veto(_("an online payment is given back by a refund through its provider"))
        if _local_date(payment.succeeded_at, establishment) != _local_date(now, establishment):
            raise Veto(_("only a payment taken today can be cancelled: refund it instead"))
        entry = session.scalar(select(LedgerEntry).where(
            LedgerEntry.payment_id == payment.id, LedgerEntry.kind == "payment"))
        ledger.reverse_entry(session, entry, kind="void", actor=split_actor(actor)[1], label=_(
            "Cancellation of payment %(reference)s", reference=payment.reference))
        payment.state = "cancelled"
    else:
        raise Veto(_("a payment in state '%(state)s' cannot be cancelled", state=payment.state))
    payment.note = "\n".join(filter(None, [payment.note, reason.strip()]))
    _audit(session, "payment.cancelled", establishment, payment, actor, reason=reason.strip(),
           voided=payment.succeeded_at is not None)
    _precommit(session, runtime, establishment, "regie_payment_cancelled_precommit",
               payment=payment)
    _postcommit(session, runtime, establishment, "regie_payment_cancelled_postcommit",
                payment_id=payment.id)
    return payment


def refundable(session: Session, payment: Payment) -> int:
    """What may still be refunded: the amount, less refunds made or in progress."""
    in_progress = session.scalar(select(func.coalesce(func.sum(PaymentRefund.amount), 0)).where(
        PaymentRefund.payment_id == payment.id, PaymentRefund.state == "pending"))
    return payment.amount - payment.refunded_amount - int(in_progress)


def _complete_refund(session: Session, runtime, establishment: Establishment, payment: Payment,
                     refund: PaymentRefund, *, actor: Actor, veto_allowed: bool) -> None:
    entry = ledger.post_entry(session, payment.account, -refund.amount, kind="refund",
                              label=_("Refund of payment %(reference)s",
                                      reference=payment.reference),
                              payment_id=payment.id, actor=split_actor(actor)[1])
    refund.state, refund.entry_id, refund.finished_at = "succeeded", entry.id, utcnow()
    payment.refunded_amount += refund.amount
    payment.state = "refunded"
    _audit(session, "payment.refunded", establishment, payment, actor, amount=refund.amount,
           refund=refund.id, reason=refund.reason, provider=refund.through_provider)
    if veto_allowed:
        _precommit(session, runtime, establishment, "regie_payment_refunded_precommit",
                   payment=payment, refund=refund)
    else:
        try:
            with session.begin_nested():
                _precommit(session, runtime, establishment, "regie_payment_refunded_precommit",
                           payment=payment, refund=refund)
        except Exception:
            log.exception("a module refused refund %s, already made by the provider", refund.id)
    _postcommit(session, runtime, establishment, "regie_payment_refunded_postcommit",
                payment_id=payment.id, refund_id=refund.id)


def refund(runtime, establishment: Establishment | int, payment_id: int,
           amount: int | Money | None = None, *, reason: str = "", actor: Actor = None,
           through_provider: bool | None = None) -> PaymentRefund:
    """Give back ``amount`` (default: all that remains) of a succeeded payment.

    An online method whose provider can refund is asked to (``through_provider`` defaults to
    that); the refund is recorded, and the account debited, only once the provider agrees.
    ``through_provider=False`` records a refund made outside Régie (cash handed back).
    """
    establishment_id = establishment if isinstance(establishment, int) else establishment.id
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment_id)
        payment = locked(session, place, payment_id)
        if payment.state not in ("succeeded", "refunded"):
            raise Veto(_("a payment in state '%(state)s' cannot be refunded", state=payment.state))
        remaining = refundable(session, payment)
        value = remaining if amount is None else amount_of(amount, payment.currency)
        if value <= 0 or value > remaining:
            raise Invalid({"amount": _("at most %(amount)s can be refunded",
                                       amount=format_money(Money(max(remaining, 0),
                                                                 payment.currency),
                                                           place.locale))})
        method = method_of(runtime, place, payment.method)
        provider = provider_for(runtime, place, method)
        can_refund = method.online and callable(getattr(provider, "refund", None))
        use_provider = can_refund if through_provider is None else through_provider
        if use_provider and not can_refund:
            raise Veto(_("%(method)s cannot refund through its provider", method=method.label))
        record = PaymentRefund(establishment_id=place.id, payment_id=payment.id, amount=value,
                               state="pending", reason=reason.strip(),
                               through_provider=use_provider, actor=split_actor(actor)[1])
        session.add(record)
        session.flush()
        if not use_provider:
            _complete_refund(session, runtime, place, payment, record, actor=actor,
                             veto_allowed=True)
            return record
        view = payment_view(payment)
    try:
        result = provider.refund(view, value)
        ok, code, message, provider_ref = (result.ok, result.code, result.message,
                                           result.provider_reference)
    except Exception as exc:
        log.exception("refund of payment %s through %s failed", payment_id, method.code)
        ok, code, message, provider_ref = False, "", repr(exc), ""
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment_id)
        payment = locked(session, place, payment_id)
        record = session.get(PaymentRefund, record.id)
        record.provider_reference = provider_ref
        record.provider_message = " ".join(filter(None, [code, message]))
        if ok:
            _complete_refund(session, runtime, place, payment, record, actor=actor,
                             veto_allowed=False)
        else:
            record.state, record.finished_at = "failed", utcnow()
            _audit(session, "payment.refund_failed", place, payment, actor, amount=value,
                   refund=record.id, message=record.provider_message)
    return record


def resolve_review(session: Session, runtime, establishment: Establishment, payment_id: int, *,
                   accept: bool, note: str, amount: int | Money | None = None,
                   actor: Actor = None) -> Payment:
    """Settle a payment in review: accept it as succeeded for ``amount`` (default: what the
    provider reported, else the payment's amount), or reject it as failed. A note is required:
    it is the evidence of the decision."""
    payment = locked(session, establishment, payment_id)
    if payment.state != "needs_review":
        raise Veto(_("payment %(id)s is not waiting for review", id=payment.id))
    if not note.strip():
        raise Invalid({"note": _("say what was checked")})
    payment.note = "\n".join(filter(None, [payment.note, note.strip()]))
    if not accept:
        payment.state = "failed"
        _audit(session, "payment.review_rejected", establishment, payment, actor, note=note)
        return payment
    received = (payment.review_evidence or {}).get("received", {}).get("amount")
    value = amount_of(amount if amount is not None else (received or payment.amount),
                      payment.currency)
    if value != payment.amount:
        payment.review_evidence = {**payment.review_evidence, "asked_amount": payment.amount}
        payment.amount = value
    _audit(session, "payment.review_accepted", establishment, payment, actor, note=note,
           amount=value)
    _succeed(session, runtime, establishment, payment, actor=actor)
    return payment


# --- reading -------------------------------------------------------------------------------


def search_query(establishment: Establishment | int, *, start: dt.datetime | None = None,
                 end: dt.datetime | None = None, method: str | None = None,
                 state: str | None = None, reference: str | None = None,
                 account_id: int | None = None) -> Select[tuple[Payment]]:
    """The query of :func:`search`, for pages that paginate it."""
    query = select_for(establishment, Payment)
    if start is not None:
        query = query.where(Payment.created_at >= start)
    if end is not None:
        query = query.where(Payment.created_at < end)
    if method:
        query = query.where(Payment.method == method)
    if state:
        query = query.where(Payment.state == state)
    if reference:
        query = query.where(Payment.reference.contains(reference.strip(), autoescape=True))
    if account_id is not None:
        query = query.where(Payment.account_id == account_id)
    return query.order_by(Payment.created_at.desc(), Payment.id.desc())


def search(session: Session, establishment: Establishment | int, *,
           limit: int | None = None, **criteria: Any) -> list[Payment]:
    """Payments of the establishment, newest first. ``start``/``end`` bound the creation time
    (end excluded), ``reference`` matches a part of it; also ``method``, ``state``,
    ``account_id``."""
    query = search_query(establishment, **criteria)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def notifications_of(session: Session, payment: Payment) -> list[PaymentNotification]:
    return list(session.scalars(select(PaymentNotification).where(
        PaymentNotification.payment_id == payment.id).order_by(PaymentNotification.id)))


def refunds_of(session: Session, payment: Payment) -> list[PaymentRefund]:
    return list(session.scalars(select(PaymentRefund).where(
        PaymentRefund.payment_id == payment.id).order_by(PaymentRefund.id)))


def entries_of(session: Session, payment: Payment) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(
        LedgerEntry.payment_id == payment.id).order_by(LedgerEntry.sequence)))


def audit_trail(session: Session, payment: Payment) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.establishment_id == payment.establishment_id,
        AuditEvent.target == f"payment:{payment.id}").order_by(AuditEvent.id)))


def review_queue(session: Session, establishment: Establishment | int
                 ) -> tuple[list[Payment], list[PaymentNotification]]:
    """Payments waiting for review, and notifications that named no known payment."""
    payments = session.scalars(select_for(establishment, Payment,
                                          Payment.state == "needs_review")
                               .order_by(Payment.updated_at))
    unmatched = session.scalars(select_for(establishment, PaymentNotification,
                                           PaymentNotification.status == "unmatched")
                                .order_by(PaymentNotification.received_at))
    return list(payments), list(unmatched)


def dismiss_notification(session: Session, establishment: Establishment, notification_id: int,
                         *, note: str, actor: Actor = None) -> PaymentNotification:
    """Take an unmatched notification out of the review queue, saying why."""
    notification = get_for(session, establishment, PaymentNotification, notification_id)
    if notification is None or notification.status != "unmatched":
        raise NotFound(_("no notification %(id)s waiting for review", id=notification_id))
    if not note.strip():
        raise Invalid({"note": _("say what was checked")})
    notification.status = "ignored"
    notification.reason = f"{notification.reason}\n{note.strip()}".strip()
    user, name = split_actor(actor)
    audit.record(session, "payment.notification_dismissed", establishment=establishment,
                 user=user, actor=name, target=f"notification:{notification.id}",
                 details={"reference": notification.reference, "note": note.strip()})
    return notification


__all__ = [
    "Actor",
    "amount_of",
    "audit_trail",
    "available_methods",
    "by_reference",
    "cancel",
    "create_payment",
    "dismiss_notification",
    "duplicate_message",
    "entries_of",
    "establishment_view",
    "get",
    "locked",
    "manual_fields",
    "method_of",
    "notifications_of",
    "payment_view",
    "provider_for",
    "record_manual",
    "refund",
    "refundable",
    "refunds_of",
    "resolve_review",
    "review_queue",
    "search",
    "search_query",
    "split_actor",
    "succeed_or_review",
    "to_review",
]
