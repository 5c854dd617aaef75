"""From a provider's notification to the ledger, exactly once.

1. The provider object verifies and decodes the request (:meth:`parse_notification`); no
   database is involved, and a request that is not genuine is kept as ``rejected``.
2. One transaction locks the payment the notification names, stores the notification, raw,
   under a key unique per establishment, method and provider event, and applies it: an
   already-final payment is left alone; amount, currency and merchant account are checked
   here, in the core, and any mismatch sends the payment to review with the evidence. A
   second delivery of the same event finds its key taken (``INSERT … ON CONFLICT DO
   NOTHING``; a concurrent one waits on the payment's lock, then on the key) and is answered
   as a duplicate, having changed nothing.
3. The raw notification is never lost: it commits with what it changed, or, when applying
   it fails, it is stored alone as ``received`` (:func:`_keep`) and applied again in a
   transaction of its own; a notification still ``received`` after that is applied by the
   next delivery of the same event, or by :func:`apply_received`.

Why one transaction keeps "stored before processing": nothing the notification changes can
commit without the raw row (same transaction), and the raw row is written before any change
it causes; what a separate first commit added was only a window where the row existed
unprocessed, which step 3 covers for failures. A crash during the transaction answers the
provider nothing, so it delivers again (or, Paybox, warns the merchant).

A browser return never goes through steps 2–3: :func:`payment_return` only reads what the
server knows, for the payer's page.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import attrs
from sqlalchemy import Executable, bindparam, case, insert, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.db.money import Payment, PaymentNotification
from regie.db.rows import loaded_columns, persistent
from regie.db.tenancy import lock, select_for
from regie.i18n import gettext as _
from regie.services import audit, ledger
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.payments import (
    create_payment,
    method_of,
    provider_for,
    split_actor,
    succeed_or_review,
    to_review,
)
from regie.services.providers import InvalidNotification, ProviderNotification, RawRequest

log = logging.getLogger("regie.payments")

MAX_KEY = 250


@attrs.frozen
class NotificationResult:
    """What came of one delivery.

    ``status``: ``applied`` (the payment changed), ``ignored`` (nothing to change: the payment
    is already final, or the provider reports a duplicate or a pending attempt), ``duplicate``
    (this event was already received), ``rejected`` (not genuine), ``unmatched`` (no payment
    has the reference: kept for review), ``review`` (the payment went to review).
    """

    status: str
    notification_id: int | None = None
    payment_id: int | None = None
    payment_state: str | None = None
    reason: str = ""


def _establishment_id(establishment: Establishment | int) -> int:
    return establishment if isinstance(establishment, int) else establishment.id


def _raw_key(raw: RawRequest | None) -> str:
    digest = hashlib.sha256()
    if raw is not None:
        for part in (raw.method.encode(), raw.query_string, raw.body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return f"raw:{digest.hexdigest()}"


def _event_key(key: str) -> str:
    return key if len(key) <= MAX_KEY else f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def receive_notification(runtime, establishment: Establishment | int, method_code: str,
                         raw: RawRequest, *, source: str = "notification") -> NotificationResult:
    """Verify, store and apply a provider's notification received over HTTP.

    The one path every online method's callback view takes, so that each plugin gets the
    same exactly-once guarantees; the HTTP answer to the provider is the view's business.
    Never raises for bad input: forged or malformed requests come back ``rejected``.
    ``establishment`` may be an object loaded with its plugins (the request's): it is only
    read, never reloaded.
    """
    place = _loaded(runtime, establishment)
    provider = _online_provider(runtime, place, method_code)
    reason = ""
    try:
        parsed = provider.parse_notification(raw)
        if not isinstance(parsed, ProviderNotification):
            raise InvalidNotification(f"the provider returned {type(parsed).__name__}")
    except InvalidNotification as exc:
        parsed, reason = None, str(exc) or "invalid notification"
    except Exception as exc:
        log.exception("%s could not parse a notification for %s", method_code, place.id)
        parsed, reason = None, f"the provider failed to parse it: {exc!r}"
    if parsed is None:
        log.warning("rejected %s notification for establishment %s from %s: %s", method_code,
                    place.id, raw.remote_addr, reason)
    return _store_and_apply(runtime, place, method_code, parsed, raw=raw, source=source,
                            reason=reason, provider=provider)


def _place(session, establishment_id: int) -> Establishment:
    """The establishment with its plugins, in one query."""
    return session.scalar(select(Establishment).where(Establishment.id == establishment_id)
                          .options(joinedload(Establishment.plugins)))


def _loaded(runtime, establishment: Establishment | int) -> Establishment:
    """``establishment`` as an object to read (slug, plugins and their settings), loaded in a
    short session of its own when only its id is given."""
    if isinstance(establishment, Establishment):
        return establishment
    with runtime.db.session() as session:
        place = _place(session, establishment)
    if place is None:
        raise NotFound(_("no establishment %(id)s", id=establishment))
    return place


def _online_provider(runtime, place: Establishment, method_code: str):
    method = method_of(runtime, place, method_code)
    if not method.online:
        raise Veto(_("%(method)s takes no notifications", method=method.label))
    return provider_for(runtime, place, method)


def apply_notification(runtime, establishment: Establishment | int, method_code: str,
                       notification: ProviderNotification, *, source: str = "inquiry",
                       raw: RawRequest | None = None) -> NotificationResult:
    """Store and apply a statement already verified by other means: the answer of the core's
    or a plugin's own request to the provider (status inquiry, reconciliation). Same
    exactly-once rules as :func:`receive_notification`."""
    place = _loaded(runtime, establishment)
    method = method_of(runtime, place, method_code)
    return _store_and_apply(runtime, place, method.code, notification, raw=raw, source=source,
                            reason="")


def _row(establishment_id: int, method: str, parsed: ProviderNotification | None,
         raw: RawRequest | None, source: str, reason: str) -> PaymentNotification:
    row = PaymentNotification(
        establishment_id=establishment_id, method=method, source=source,
        event_key=_event_key(parsed.event_key) if parsed else _raw_key(raw),
        status="received" if parsed else "rejected", reason=reason[:2000],
        http_method=raw.method[:10] if raw else "", query_string=raw.query_string if raw else b"",
        body=raw.body if raw else b"", remote_addr=(raw.remote_addr or "")[:45] if raw else "",
        headers=dict(raw.headers) if raw else {}, details={}, received_at=utcnow())
    if parsed is not None:
        row.reference = parsed.reference[:250]
        row.outcome = parsed.outcome
        row.amount = parsed.amount
        row.currency = _fitted(parsed.currency, 3)
        row.merchant = _fitted(parsed.merchant, 100)
        row.code = parsed.code[:20]
        row.provider_reference = parsed.provider_reference[:250]
        row.details = {**parsed.details, **({"reason": parsed.reason} if parsed.reason else {})}
        stated = {name: value for name, value in (("currency", parsed.currency),
                                                  ("merchant", parsed.merchant))
                  if value is not None and value != getattr(row, name)}
        if stated:
            row.details["stated"] = stated
    return row


def _fitted(value: str | None, size: int) -> str | None:
    """``value`` when it fits its column; else a shortened form ending in "…", which can
    never equal the expected value, so the notification goes to review (the whole value is
    kept in ``details["stated"]``) instead of failing to be stored and being lost."""
    if value is None or len(value) <= size:
        return value
    return value[:size - 1] + "…"


def _store_and_apply(runtime, place: Establishment, method: str,
                     parsed: ProviderNotification | None, *, raw: RawRequest | None, source: str,
                     reason: str, provider: Any = None) -> NotificationResult:
    row = _row(place.id, method, parsed, raw, source, reason)
    if parsed is None:
        return _store_rejected(runtime, place, row)
    try:
        with runtime.db.transaction() as session:
            result = _receive(session, runtime, place, row, provider)
    except Exception:
        log.exception("%s notification %s for %s failed to apply: stored to apply again",
                      method, row.event_key, place.slug)
        stored = _keep(runtime, place.id, row)
        if isinstance(stored, NotificationResult):
            return stored
        return _apply(runtime, place.id, stored)
    if result.status == "received":  # stored earlier, never applied: apply it now
        return _apply(runtime, place.id, result.notification_id)
    return result


def _receive(session, runtime, place: Establishment, row: PaymentNotification,
             provider: Any) -> NotificationResult:
    """Step 2 in the caller's transaction: lock the payment, store ``row`` (with the status
    it will most likely end with, so the usual case writes it once), apply it. A result
    ``received`` names a stored notification still to apply."""
    row.processed_at = utcnow()
    payment, row.id = _lock_and_store(session, row)
    if row.id is None:
        return _already_stored(session, row)
    expected = (row.status, row.reason)
    if payment is None:
        row.reason = _unmatched_reason(row)
    result = _settle(session, runtime, place, row, payment, provider)
    if (row.status, row.reason) != expected:
        session.execute(update(PaymentNotification).where(PaymentNotification.id == row.id)
                        .values(status=row.status, reason=row.reason),
                        execution_options={"synchronize_session": False})
    return result


_PAYMENT_COLUMNS = loaded_columns(Payment)
#: Built once, read as a plain row: the ORM's loading cost more than the query.
_LOCK_PAYMENT = lock(select(*(column for _name, column in _PAYMENT_COLUMNS)).where(
    Payment.establishment_id == bindparam("establishment_id"),
    Payment.method == bindparam("method"), Payment.reference == bindparam("reference")))


def _locked_payment(session, establishment_id: int, method: str,
                    reference: str) -> Payment | None:
    """The establishment's payment ``reference`` by ``method``, locked until the end of the
    transaction, with the values as of the lock."""
    row = session.connection().execute(_LOCK_PAYMENT, {
        "establishment_id": establishment_id, "method": method,
        "reference": reference}).one_or_none()
    return None if row is None else persistent(session, Payment, _PAYMENT_COLUMNS, row,
                                               refresh=True)


def _lock_and_store(session, row: PaymentNotification) -> tuple[Payment | None, int | None]:
    """Lock the payment ``row`` names, then store ``row``, ``applied`` to it or
    ``unmatched`` when no payment has its reference (the reason is the caller's to write):
    the payment, and the notification's id (``None`` when its event key is already
    stored). One statement on PostgreSQL (:data:`_LOCK_AND_STORE`)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        payment = _locked_payment(session, row.establishment_id, row.method, row.reference)
        _matched(row, payment)
        return payment, _insert(session, row)
    result = connection.execute(_LOCK_AND_STORE, {
        "establishment_id": row.establishment_id, "method": row.method,
        "reference": row.reference,
        **{f"n_{name}": row.__dict__[name] for name in _STORED_COLUMNS}}).one()
    payment = None if result.id is None else persistent(
        session, Payment, _PAYMENT_COLUMNS, result[1:], refresh=True)
    _matched(row, payment)
    return payment, result.stored_id


def _matched(row: PaymentNotification, payment: Payment | None) -> None:
    """``row`` as stored by :func:`_lock_and_store`: applied to ``payment``, or unmatched."""
    row.status, row.reason = ("applied", "") if payment else ("unmatched", "")
    row.payment_id = payment.id if payment else None


def _insert(session, row: PaymentNotification) -> int | None:
    """Insert ``row``; its id, or ``None`` when its event key is already stored (after the
    transaction storing it, if still running, has ended)."""
    values = {column.key: row.__dict__[column.key] for column in _NOTIFICATIONS.columns
              if column.key in row.__dict__ and not column.primary_key}
    dialect = session.get_bind().dialect.name
    if dialect in _INSERT_NEW:
        return session.execute(_INSERT_NEW[dialect], values).scalar()
    try:
        with session.begin_nested():
            return session.execute(insert(_NOTIFICATIONS).returning(_NOTIFICATIONS.c.id),
                                   values).scalar()
    except IntegrityError:
        return None


_NOTIFICATIONS = PaymentNotification.__table__
#: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on the event key, built once; the
#: values come with each execution.
_INSERT_NEW = {
    name: dialect.insert(_NOTIFICATIONS).on_conflict_do_nothing(
        index_elements=["establishment_id", "method", "event_key"])
    .returning(_NOTIFICATIONS.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


#: The notification's columns :data:`_LOCK_AND_STORE` binds (``n_<column>``); it decides
#: ``status``, ``reason`` and ``payment_id`` itself.
_STORED_COLUMNS = tuple(column.key for column in _NOTIFICATIONS.columns
                        if not column.primary_key
                        and column.key not in ("status", "reason", "payment_id"))


def _lock_and_store_statement() -> Executable:
    """PostgreSQL: :data:`_LOCK_PAYMENT`, then the notification inserted as
    :data:`_INSERT_NEW` does, in one statement: ``stored_id`` and the locked payment's
    columns (``NULL`` when there is none). The insert reads the locked payment, so the lock
    is taken first, and a concurrent delivery of the same event waits on it, then on the
    key, as with two statements."""
    locked = _LOCK_PAYMENT.cte("locked")
    found = select(locked.c.id).scalar_subquery()
    values = select(*(bindparam(f"n_{name}", type_=_NOTIFICATIONS.c[name].type)
                      for name in _STORED_COLUMNS),
                    case((found.is_not(None), "applied"), else_="unmatched"), literal(""),
                    found)
    stored = (postgresql.insert(_NOTIFICATIONS)
              .from_select([*_STORED_COLUMNS, "status", "reason", "payment_id"], values)
              .on_conflict_do_nothing(index_elements=["establishment_id", "method",
                                                      "event_key"])
              .returning(_NOTIFICATIONS.c.id).cte("stored"))
    one = select(literal(1).label("one")).subquery("one")
    return (select(select(stored.c.id).scalar_subquery().label("stored_id"), *locked.c)
            .select_from(one.outerjoin(locked, true())))


_LOCK_AND_STORE = _lock_and_store_statement()


def _already_stored(session, row: PaymentNotification) -> NotificationResult:
    """The answer to a delivery whose event is stored: a duplicate, or ``received`` when the
    stored one was never applied."""
    existing = session.connection().execute(_STORED, {
        "establishment_id": row.establishment_id, "method": row.method,
        "event_key": row.event_key}).one()
    if existing.status == "received":
        return NotificationResult("received", existing.id)
    log.info("duplicate delivery of %s notification %s (%s)", row.method, existing.id,
             row.event_key)
    return NotificationResult("duplicate", existing.id, existing.payment_id, existing.state,
                              existing.reason)


#: What a second delivery answers, read as a plain row (a fifth of Paybox's deliveries).
_STORED = (select(PaymentNotification.id, PaymentNotification.status,
                  PaymentNotification.payment_id, PaymentNotification.reason, Payment.state)
           .outerjoin(Payment, Payment.id == PaymentNotification.payment_id)
           .where(PaymentNotification.establishment_id == bindparam("establishment_id"),
                  PaymentNotification.method == bindparam("method"),
                  PaymentNotification.event_key == bindparam("event_key")))


def _store_rejected(runtime, place: Establishment, row: PaymentNotification) -> NotificationResult:
    """Keep a request that is not genuine, with the reason, once per distinct request."""
    with runtime.db.transaction() as session:
        row.id = _insert(session, row)
        if row.id is None:
            return _already_stored(session, row)
        audit.record(session, "payment.notification_rejected", establishment=place,
                     actor=row.method, target=f"notification:{row.id}",
                     details={"reason": row.reason, "remote_addr": row.remote_addr},
                     ip=row.remote_addr)
    return NotificationResult("rejected", row.id, reason=row.reason)


def _keep(runtime, establishment_id: int, row: PaymentNotification) -> int | NotificationResult:
    """Store ``row`` alone, ``received``, after applying it failed: the id to apply again, or
    the answer when its event was stored meanwhile (by a concurrent delivery)."""
    row.status, row.reason, row.payment_id, row.processed_at = "received", "", None, None
    row.id = None
    with runtime.db.transaction() as session:
        row.id = _insert(session, row)
        if row.id is not None:
            return row.id
        result = _already_stored(session, row)
    return result.notification_id if result.status == "received" else result


def apply_received(runtime, establishment: Establishment | int) -> list[NotificationResult]:
    """Apply the establishment's notifications stored but never applied (applying them failed
    twice when they came): for :func:`apply_received_task`, or by hand once the cause is
    fixed. One that fails again stays stored; the first such failure is raised once the
    others are applied."""
    establishment_id = _establishment_id(establishment)
    with runtime.db.session() as session:
        waiting = list(session.scalars(
            select(PaymentNotification.id).where(
                PaymentNotification.establishment_id == establishment_id,
                PaymentNotification.status == "received").order_by(PaymentNotification.id)))
    results, failure = [], None
    for notification_id in waiting:
        try:
            results.append(_apply(runtime, establishment_id, notification_id))
        except Exception as exc:
            log.exception("stored notification %s still fails to apply", notification_id)
            failure = failure or exc
    if failure is not None:
        raise failure
    return results


def apply_received_task(ctx) -> None:
    """Scheduled task (every 10 minutes, per establishment): :func:`apply_received`."""
    applied = apply_received(ctx.runtime, ctx.establishment.id)
    if applied:
        log.warning("%s: %d stored notification(s) applied late: %s", ctx.establishment.slug,
                    len(applied), ", ".join(f"{result.notification_id} {result.status}"
                                            for result in applied))


def _apply(runtime, establishment_id: int, notification_id: int) -> NotificationResult:
    """Apply a stored notification in a transaction of its own (notification, then payment
    locked)."""
    with runtime.db.transaction() as session:
        notification = session.scalar(lock(select(PaymentNotification).where(
            PaymentNotification.id == notification_id)).execution_options(populate_existing=True))
        if notification.status != "received":
            payment = (session.get(Payment, notification.payment_id)
                       if notification.payment_id else None)
            return NotificationResult("duplicate", notification.id, notification.payment_id,
                                      payment.state if payment else None, notification.reason)
        place = _place(session, establishment_id)
        payment = _locked_payment(session, place.id, notification.method,
                                  notification.reference)
        notification.processed_at = utcnow()
        if payment is None:
            notification.status = "unmatched"
            notification.reason = _unmatched_reason(notification)
        else:
            notification.status, notification.payment_id = "applied", payment.id
        return _settle(session, runtime, place, notification, payment)


def _unmatched_reason(notification: PaymentNotification) -> str:
    return _("no payment has the reference '%(reference)s'", reference=notification.reference)


def _settle(session, runtime, place: Establishment, notification: PaymentNotification,
            payment: Payment | None, provider: Any = None) -> NotificationResult:
    """Decide what ``notification`` does to ``payment`` (locked), and record it; the
    notification's ``status`` and ``reason`` say what came of it."""
    if payment is None:
        log.warning("%s notification %s for unknown reference %r in %s: kept for review",
                    notification.method, notification.id, notification.reference, place.slug)
        audit.record(session, "payment.notification_unmatched", establishment=place,
                     actor=notification.method, target=f"notification:{notification.id}",
                     details={"reference": notification.reference,
                              "amount": notification.amount})
        return NotificationResult("unmatched", notification.id, reason=notification.reason)
    status, reason = _decide(session, runtime, place, payment, notification, provider)
    notification.status, notification.reason = status, reason
    return NotificationResult(status, notification.id, payment.id, payment.state, reason)


def _decide(session, runtime, place: Establishment, payment: Payment,
            notification: PaymentNotification, provider: Any = None) -> tuple[str, str]:
    actor = f"{notification.method} notification"
    outcome = notification.outcome
    money_taken = payment.succeeded_at is not None
    if outcome == "duplicate":
        return "ignored", _("the provider reports a payment already made: nothing recorded")
    if outcome == "pending":
        return "ignored", _("the provider reports the attempt as pending")
    if outcome in ("failed", "cancelled"):
        if money_taken or payment.state not in ("pending", "failed", "cancelled"):
            return "ignored", _("the payment is already %(state)s", state=payment.state)
        payment.state = outcome
        audit.record(session, f"payment.{outcome}", establishment=place, actor=actor,
                     target=f"payment:{payment.id}", details={
                         "reference": payment.reference, "code": notification.code,
                         "notification": notification.id})
        return "applied", ""
    if money_taken or payment.state == "needs_review":
        return "ignored", _("the payment is already %(state)s", state=payment.state)
    mismatches, evidence = _mismatches(runtime, place, payment, notification, provider)
    if notification.provider_reference:
        payment.provider_reference = notification.provider_reference
    payment.provider_data = {**payment.provider_data, **notification.details}
    if mismatches:
        reason = _("the provider's notification does not match the payment: %(what)s",
                   what=", ".join(mismatches))
        to_review(session, place, payment, reason, evidence, actor=actor)
        return "review", reason
    if succeed_or_review(session, runtime, place, payment, actor=actor) == "needs_review":
        return "review", payment.review_reason
    return "applied", ""


def _mismatches(runtime, place: Establishment, payment: Payment,
                notification: PaymentNotification,
                provider: Any = None) -> tuple[list[str], dict[str, Any]]:
    """What the provider stated that differs from the payment (amount, currency, merchant
    account), and the evidence for the reviewer. ``provider``: the payment method's, when the
    caller has it."""
    if provider is None:
        provider = provider_for(runtime, place, method_of(runtime, place, payment.method))
    expected_merchant = provider.merchant_account() if hasattr(
        provider, "merchant_account") else None
    mismatches = []
    if notification.amount is None:
        mismatches.append(_("no amount stated"))
    elif notification.amount != payment.amount:
        mismatches.append(_("amount"))
    if notification.currency is not None and notification.currency.upper() != payment.currency:
        mismatches.append(_("currency"))
    if notification.merchant is not None and notification.merchant != expected_merchant:
        mismatches.append(_("merchant account"))
    evidence = {
        "notification": notification.id,
        "code": notification.code,
        "expected": {"amount": payment.amount, "currency": payment.currency,
                     "merchant": expected_merchant},
        "received": {"amount": notification.amount, "currency": notification.currency,
                     "merchant": notification.merchant},
    }
    return mismatches, evidence


def adopt(runtime, establishment: Establishment | int, notification_id: int, account_id: int,
          *, note: str, actor: Any = None) -> NotificationResult:
    """Settle a notification that named no known payment, when staff have found whose money it
    is (the seed's "record it by hand with the ticket's reference"): a payment of the amount
    the provider reported is created for ``account_id`` under the notification's method and
    reference, and the stored notification goes through the normal confirm path, so every
    check runs and the money is recorded once."""
    establishment_id = _establishment_id(establishment)
    with runtime.db.transaction() as session:
        place = _place(session, establishment_id)
        notification = session.scalar(lock(select_for(
            place, PaymentNotification, PaymentNotification.id == notification_id))
            .execution_options(populate_existing=True))
        if notification is None or notification.status != "unmatched":
            raise NotFound(_("no notification %(id)s waiting for review", id=notification_id))
        if notification.outcome != "succeeded" or not notification.amount:
            raise Veto(_("this notification reports no money taken: take it out of the queue "
                         "instead"))
        if not note.strip():
            raise Invalid({"note": _("say what was checked")})
        account = ledger.account_by_id(session, place, account_id)
        created = create_payment(
            session, runtime, place, account=account, amount=notification.amount,
            method=notification.method, reference=notification.reference,
            description=_("Recorded from notification %(id)s", id=notification.id),
            actor=actor)
        created.note = note.strip()
        notification.status = "received"
        user, name = split_actor(actor)
        audit.record(session, "payment.notification_adopted", establishment=place, user=user,
                     actor=name, target=f"notification:{notification.id}",
                     details={"payment": created.id, "account": account.id,
                              "note": note.strip()})
    return _apply(runtime, establishment_id, notification_id)


# --- the payer's return page ---------------------------------------------------------------


@attrs.frozen
class ReturnView:
    """What the payer's return page shows: the state as the server knows it."""

    payment_id: int
    reference: str
    state: str
    amount: int
    currency: str
    description: str
    method: str
    request_token: str | None = None
    provider_outcome: str | None = None


def payment_return(runtime, establishment: Establishment | int, token: str,
                   raw: RawRequest | None = None) -> ReturnView | None:
    """The payment whose return token is ``token``, read only.

    A browser return is not proof of payment: whatever its query says, nothing is changed;
    ``provider_outcome`` is what it claims (verified by the provider's ``parse_return``), for
    the page's wording while the payment is still pending.
    """
    with runtime.db.session() as session:
        payment = session.scalar(select_for(_establishment_id(establishment), Payment,
                                            Payment.token == token))
        if payment is None:
            return None
        place = session.get(Establishment, payment.establishment_id)
        claimed = None
        if raw is not None and (raw.query_string or raw.body):
            try:
                method = method_of(runtime, place, payment.method)
                parsed = provider_for(runtime, place, method).parse_return(raw)
                if parsed is not None and parsed.reference == payment.reference:
                    claimed = parsed.outcome
            except Exception as exc:  # a return page must render whatever the query holds
                log.info("unreadable %s browser return for payment %s: %r", payment.method,
                         payment.id, exc)
        request_token = payment.request.token if payment.request is not None else None
        return ReturnView(payment.id, payment.reference, payment.state, payment.amount,
                          payment.currency, payment.description, payment.method,
                          request_token, claimed)


__all__ = [
    "NotificationResult",
    "ReturnView",
    "adopt",
    "apply_notification",
    "apply_received",
    "apply_received_task",
    "payment_return",
    "receive_notification",
]
