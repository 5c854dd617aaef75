"""Member accounts: the rules of balances, payment methods, orders and validation.

A member's balance is their core ledger account's: debts (order, subscription, membership)
are negative entries, payments positive, refunds negative, carry-overs either sign. A payment
promised for the distribution or started online is a *pending* :class:`Operation` with no
ledger entry, so it does not count until the money is there. Corrections are new operations,
never edits.

Every function works in the caller's transaction and raises :class:`regie.api.Veto` (a rule)
or :class:`regie.api.Invalid` (a field) with a message saying what to do.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Money,
    Veto,
    account_by_id,
    create_payment_request,
    format_money,
    gettext,
    lock,
    open_account,
    payment_request_link,
    post_entry,
    record_payment,
    select_for,
    utcnow,
)
from regie.api import lazy_gettext as _l
from regie_coop.models import (
    ACCOUNT_KIND,
    CARRY_OVER,
    MEMBERSHIP,
    ON_THE_SPOT,
    ORDER,
    PAYMENT,
    REFUND,
    SUBSCRIPTION,
    Distribution,
    Member,
    Operation,
    Order,
    OrderLine,
    Product,
)

_ = gettext

ON_SITE = ("cash", "cheque", "card_on_site")
MANUAL = ("cash", "cheque", "transfer", "card_on_site")
MONEY_POT, ONLINE = "money_pot", "online"
METHODS = {
    "cheque": _l("Cheque"),
    "cash": _l("Cash"),
    "transfer": _l("Bank transfer"),
    "card_on_site": _l("Card on site"),
    MONEY_POT: _l("Money pot"),
    ONLINE: _l("Online card payment"),
}
"""The methods a group may offer, by setting ``method_<code>``."""

BLOCKING_UNVALIDATED = 4
"""Ordering stops when this many of the latest past distributions are all unvalidated."""

VALIDATION_FROM = dt.time(6, 0)
"""A distribution can be validated from this local time on its day (the morning)."""


# --- settings ------------------------------------------------------------------------------


def offered_methods(settings: Mapping[str, object]) -> list[str]:
    """The codes of the methods the group enabled, in :data:`METHODS` order."""
    return [code for code in METHODS if settings.get(f"method_{code}")]


def check_settings(settings: Mapping[str, object]) -> None:
    """Refuse the money pot together with another method (seed: the two bookkeepings
    conflict)."""
    offered = offered_methods(settings)
    if MONEY_POT in offered and len(offered) > 1:
        others = ", ".join(str(METHODS[code]) for code in offered if code != MONEY_POT)
        raise Veto(_("The money pot cannot be offered together with other payment methods "
                     "(%(others)s): untick either the money pot or the other methods.",
                     others=others))


# --- members and their accounts ------------------------------------------------------------


def add_member(session: Session, establishment: Establishment, *, name: str, email: str = "",
               user_id: int | None = None) -> Member:
    errors = {}
    if not name.strip():
        errors["name"] = _("is required")
    if user_id is not None and member_of_user(session, establishment, user_id) is not None:
        errors["username"] = _("this user is already a member of the group")
    if errors:
        raise Invalid(errors)
    member = Member(establishment_id=establishment.id, name=name.strip()[:200],
                    email=email.strip()[:254], user_id=user_id, balance=0)
    session.add(member)
    session.flush()
    account = open_account(session, establishment, kind=ACCOUNT_KIND, owner_key=str(member.id),
                           label=member.name)
    member.account_id = account.id
    return member


def member_of_user(session: Session, establishment: Establishment | int,
                   user_id: int) -> Member | None:
    return session.scalar(select_for(establishment, Member, Member.user_id == user_id))


def account_of(session: Session, establishment: Establishment | int, member: Member):
    return account_by_id(session, establishment, member.account_id)


def refresh_balance(session: Session, establishment: Establishment | int,
                    member: Member) -> int:
    """Copy the ledger account's balance onto the member (the balances page sorts on it)."""
    member.balance = account_of(session, establishment, member).balance
    return member.balance


def _post(session: Session, establishment: Establishment, member: Member, amount: int, *,
          kind: str, label: str, actor: str, **links: object) -> Operation:
    entry = post_entry(session, account_of(session, establishment, member), amount,
                       kind=f"coop.{kind}", label=label, actor=actor)
    operation = Operation(establishment_id=establishment.id, member_id=member.id, kind=kind,
                          amount=amount, label=label[:200], entry_id=entry.id, pending=False,
                          created_by=actor[:150], details={}, **links)
    session.add(operation)
    refresh_balance(session, establishment, member)
    session.flush()
    return operation


def _positive(amount: int, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are int minor units")
    if amount <= 0:
        raise Invalid({field: _("must be more than zero")})
    return amount


def add_debt(session: Session, establishment: Establishment, member: Member, kind: str,
             amount: int, *, label: str = "", actor: str = "") -> Operation:
    """A subscription or membership fee the member owes (``amount`` > 0 is debited)."""
    if kind not in (SUBSCRIPTION, MEMBERSHIP):
        raise Invalid({"kind": _("must be a subscription or a membership fee")})
    _positive(amount)
    default = _("Subscription") if kind == SUBSCRIPTION else _("Membership fee")
    return _post(session, establishment, member, -amount, kind=kind,
                 label=label.strip() or default, actor=actor)


def add_carry_over(session: Session, establishment: Establishment, member: Member,
                   amount: int, *, actor: str = "") -> Operation:
    """"Reprise de solde": the balance the member had before, credit (> 0) or debt (< 0)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are int minor units")
    if amount == 0:
        raise Invalid({"amount": _("a carry-over of zero changes nothing: type the balance "
                                   "the member had, negative if they owed")})
    return _post(session, establishment, member, amount, kind=CARRY_OVER,
                 label=_("Balance carry-over"), actor=actor)


def add_payment(session: Session, runtime, establishment: Establishment, member: Member, *,
                method: str, amount: int, fields: Mapping[str, str] | None = None,
                distribution: Distribution | None = None, order: Order | None = None,
                actor: str = "") -> Operation:
    """Money the coordinator received (cash, cheque, transfer, card on site), recorded as a
    core payment that credits the member's account."""
    if method not in MANUAL:
        raise Invalid({"method": _("choose cash, cheque, transfer or card on site")})
    _positive(amount)
    payment = record_payment(session, runtime, establishment,
                             account=account_of(session, establishment, member), method=method,
                             amount=amount, fields=dict(fields or {}), actor=actor)
    operation = Operation(
        establishment_id=establishment.id, member_id=member.id, kind=PAYMENT, amount=amount,
        label=_("Payment (%(method)s)", method=METHODS[method]), payment_type=method,
        pending=False, payment_id=payment.id, details={"fields": dict(fields or {})},
        distribution_id=distribution.id if distribution else None,
        order_id=order.id if order else None, created_by=actor[:150])
    session.add(operation)
    refresh_balance(session, establishment, member)
    session.flush()
    return operation


def add_refund(session: Session, establishment: Establishment, member: Member, amount: int, *,
               label: str = "", distribution: Distribution | None = None,
               order: Order | None = None, actor: str = "") -> Operation:
    """Money handed back to the member in cash (``amount`` > 0 is debited)."""
    _positive(amount)
    return _post(session, establishment, member, -amount, kind=REFUND,
                 label=label.strip() or _("Refund"), actor=actor, payment_type="cash",
                 distribution_id=distribution.id if distribution else None,
                 order_id=order.id if order else None)


def operations(session: Session, establishment: Establishment | int,
               member: Member) -> list[Operation]:
    return list(session.scalars(select_for(establishment, Operation,
                                           Operation.member_id == member.id)
                                .order_by(Operation.id)))


def statement(session: Session, establishment: Establishment | int,
              member: Member) -> list[tuple[Operation, int | None]]:
    """The member's operations, oldest first, each with the running balance after it
    (``None`` for a pending payment, which does not count)."""
    rows, running = [], 0
    for operation in operations(session, establishment, member):
        if operation.pending:
            rows.append((operation, None))
        else:
            running += operation.amount
            rows.append((operation, running))
    return rows


# --- distributions and orders --------------------------------------------------------------


def local_now(establishment: Establishment, now: dt.datetime | None = None) -> dt.datetime:
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(establishment.timezone))


def reference_code(distribution: Distribution, member: Member) -> str:
    """The cheque / transfer reference ``YYYY-MM-DD-place-member``."""
    place = unicodedata.normalize("NFKD", distribution.place).encode("ascii", "ignore").decode()
    place = re.sub(r"[^A-Za-z0-9]+", "-", place).strip("-").lower() or "place"
    return f"{distribution.date.isoformat()}-{place}-{member.id}"


def ordering_blocked(session: Session, establishment: Establishment,
                     now: dt.datetime | None = None) -> bool:
    """Whether the :data:`BLOCKING_UNVALIDATED` latest past distributions are all
    unvalidated (the coordinator must catch up before members order again)."""
    today = local_now(establishment, now).date()
    latest = list(session.scalars(select_for(establishment, Distribution,
                                             Distribution.date < today)
                                  .order_by(Distribution.date.desc())
                                  .limit(BLOCKING_UNVALIDATED)))
    return (len(latest) == BLOCKING_UNVALIDATED
            and all(distribution.validated_at is None for distribution in latest))


def line_total(quantity_milli: int, unit_price: int) -> int:
    """quantity × unit price rounded half up to the minor unit, per line."""
    return (quantity_milli * unit_price * 2 + 1000) // 2000


def order_of(session: Session, establishment: Establishment | int, distribution: Distribution,
             member: Member) -> Order | None:
    return session.scalar(select_for(establishment, Order,
                                     Order.distribution_id == distribution.id,
                                     Order.member_id == member.id))


def place_order(session: Session, runtime, establishment: Establishment, member: Member,
                distribution: Distribution, quantities: Mapping[int, int], *, method: str,
                settings: Mapping[str, object], actor: str = "",
                now: dt.datetime | None = None) -> tuple[Order, Operation | None]:
    """Order ``quantities`` (product id → quantity in thousandths) for the distribution and
    start paying what it adds with ``method``; returns the order and the payment operation
    (pending, or ``None`` for the money pot and when nothing was added)."""
    now = now or utcnow()
    # One order change per member at a time: a second submission waits here and then sees
    # the order the first one created (SQLite write transactions are already serial).
    session.scalar(lock(select_for(establishment, Member, Member.id == member.id)))
    offered = offered_methods(settings)
    if not distribution.orders_open_at <= now < distribution.orders_close_at:
        raise Veto(_("Orders for this distribution are closed: they are taken from %(start)s "
                     "to %(end)s.", start=_local_text(establishment, distribution.orders_open_at),
                     end=_local_text(establishment, distribution.orders_close_at)))
    if distribution.validated_at is not None:
        raise Veto(_("This distribution is validated: orders cannot change any more."))
    if ordering_blocked(session, establishment, now):
        raise Veto(_("Ordering is suspended: the last %(n)d distributions are not validated. "
                     "The coordinator must validate them first.", n=BLOCKING_UNVALIDATED))
    if offered and method not in offered:
        raise Invalid({"method": _("choose one of the payment methods offered")})
    order = order_of(session, establishment, distribution, member)
    current = {line.product_id: line for line in order.lines} if order else {}
    errors = {}
    for product_id, quantity in quantities.items():
        if quantity < 0:
            errors[f"product_{product_id}"] = _("a quantity cannot be negative")
        elif offered and quantity < (current[product_id].quantity_milli
                                     if product_id in current else 0):
            errors[f"product_{product_id}"] = _(
                "an ordered quantity cannot be reduced once payments are enabled: keep it, "
                "or ask the coordinator")
    if errors:
        raise Invalid(errors)
    if order is None:
        order = Order(establishment_id=establishment.id, distribution_id=distribution.id,
                      member_id=member.id, total=0, paid=False)
        session.add(order)
        session.flush()
    products = {product.id: product for product in session.scalars(select_for(
        establishment, Product, Product.id.in_(list(quantities))))}
    for product_id, quantity in quantities.items():
        line = current.get(product_id)
        if line is None and quantity == 0:
            continue
        if line is None:
            product = products.get(product_id)
            if product is None or not product.active:
                raise Invalid({f"product_{product_id}": _("this product is not for sale")})
            line = OrderLine(establishment_id=establishment.id, product_id=product.id,
                             unit_price=product.unit_price, quantity_milli=0, total=0)
            order.lines.append(line)
        line.quantity_milli = quantity
        line.total = line_total(quantity, line.unit_price)
    for line in [line for line in order.lines if line.quantity_milli == 0]:
        order.lines.remove(line)
        session.delete(line)
    added = sum(line.total for line in order.lines) - order.total
    if added == 0:
        return order, None
    if method == MONEY_POT and not settings.get("allow_negative_money_pot") and (
            member.balance - added < 0):
        raise Veto(_("Your money pot holds %(balance)s and this order needs %(added)s more: "
                     "credit your account first (the group does not allow a negative money "
                     "pot).", balance=_money(establishment, member.balance),
                     added=_money(establishment, added)))
    order.total += added
    label = _("Order for %(date)s (%(place)s)", date=distribution.date.isoformat(),
              place=distribution.place)
    _post(session, establishment, member, -added, kind=ORDER, label=label, actor=actor,
          distribution_id=distribution.id, order_id=order.id)
    if added < 0 or method == MONEY_POT or not offered:
        return order, None
    return order, _start_payment(session, runtime, establishment, member, distribution, order,
                                 added, method, actor)


def _start_payment(session: Session, runtime, establishment: Establishment, member: Member,
                   distribution: Distribution, order: Order, amount: int, method: str,
                   actor: str) -> Operation:
    operation = Operation(
        establishment_id=establishment.id, member_id=member.id, kind=PAYMENT, amount=amount,
        distribution_id=distribution.id, order_id=order.id, pending=True,
        payment_type=ON_THE_SPOT if method in ON_SITE else method, details={"intended": method},
        created_by=actor[:150])
    if method in ("cheque", "transfer"):
        operation.reference = reference_code(distribution, member)
    if method == ONLINE:
        request = create_payment_request(
            session, runtime, establishment, account=account_of(session, establishment, member),
            amount=amount, description=_("Order for %(date)s (%(place)s)",
                                         date=distribution.date.isoformat(),
                                         place=distribution.place),
            payer_email=member.email, actor=actor or None)
        operation.request_id = request.id
        operation.details = {**operation.details,
                             "pay_link": payment_request_link(runtime, establishment, request)}
        operation.label = _("Online payment")
    else:
        operation.label = _("Payment to make (%(method)s)", method=METHODS[method])
    session.add(operation)
    session.flush()
    return operation


def pay_debt_online(session: Session, runtime, establishment: Establishment, member: Member,
                    amount: int, *, actor: str = "") -> Operation:
    """Start paying ``amount`` of the member's debt by card; credited on the notification."""
    _positive(amount)
    request = create_payment_request(
        session, runtime, establishment, account=account_of(session, establishment, member),
        amount=amount, description=_("Payment to the co-op account of %(name)s",
                                     name=member.name),
        payer_email=member.email, actor=actor or None)
    operation = Operation(establishment_id=establishment.id, member_id=member.id, kind=PAYMENT,
                          amount=amount, pending=True, payment_type=ONLINE,
                          request_id=request.id, label=_("Online payment"),
                          details={"pay_link": payment_request_link(runtime, establishment,
                                                                    request)},
                          created_by=actor[:150])
    session.add(operation)
    session.flush()
    return operation


def confirm_online(session: Session, payment) -> Operation | None:
    """The core confirmed ``payment``: make the operation waiting for it final, in the same
    transaction (called from ``regie_payment_succeeded_precommit``)."""
    if payment.request_id is None:
        return None
    operation = session.scalar(select(Operation).where(
        Operation.establishment_id == payment.establishment_id,
        Operation.request_id == payment.request_id, Operation.pending.is_(True)))
    if operation is None:
        return None
    operation.pending = False
    operation.payment_id = payment.id
    operation.amount = payment.amount
    member = session.get(Member, operation.member_id)
    refresh_balance(session, payment.establishment_id, member)
    if operation.order_id is not None:
        order = session.get(Order, operation.order_id)
        order.paid = paid_for(session, order) >= order.total
    return operation


def _money(establishment: Establishment, amount: int) -> str:
    return format_money(Money(amount, establishment.currency), establishment.locale)


def _local_text(establishment: Establishment, moment: dt.datetime) -> str:
    return local_now(establishment, moment).strftime("%Y-%m-%d %H:%M")


def paid_for(session: Session, order: Order) -> int:
    """What the member paid for ``order``: final payments less refunds, plus on-site payments
    still to resolve (the money is at the counter)."""
    rows = session.scalars(select(Operation).where(
        Operation.order_id == order.id, Operation.kind.in_((PAYMENT, REFUND))))
    return sum(row.amount for row in rows if not row.pending or row.payment_type != ONLINE)


# --- validation ----------------------------------------------------------------------------


def pending_of(session: Session, establishment: Establishment | int,
               distribution: Distribution, member: Member | None = None) -> list[Operation]:
    query = select_for(establishment, Operation, Operation.distribution_id == distribution.id,
                       Operation.pending.is_(True))
    if member is not None:
        query = query.where(Operation.member_id == member.id)
    return list(session.scalars(query.order_by(Operation.id)))


def resolve(operation: Operation, real_type: str, fields: Mapping[str, str]) -> None:
    """Say how an on-the-spot payment was really made (and the cheque's number …)."""
    if not operation.pending or operation.payment_type == ONLINE:
        raise Veto(_("Only a pending on-site payment can be given its real type."))
    if real_type not in MANUAL:
        raise Invalid({"real_type": _("choose cash, cheque, transfer or card on site")})
    operation.payment_type = real_type
    operation.details = {**operation.details, "fields": {k: v.strip() for k, v in fields.items()
                                                         if v.strip()}}


def can_validate_from(establishment: Establishment, distribution: Distribution) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(establishment.timezone)
    return dt.datetime.combine(distribution.date, VALIDATION_FROM, tzinfo=zone)


def validate(session: Session, runtime, establishment: Establishment,
             distribution: Distribution, *, actor: str = "",
             now: dt.datetime | None = None) -> int:
    """Validate the distribution: record every pending on-site payment as a core payment,
    mark its orders paid and refresh balances. Returns how many payments were recorded."""
    now = now or utcnow()
    if distribution.validated_at is not None:
        raise Veto(_("This distribution is already validated."))
    start = can_validate_from(establishment, distribution)
    if now < start:
        raise Veto(_("A distribution can be validated from the morning of its day (%(start)s): "
                     "come back then.", start=start.strftime("%Y-%m-%d %H:%M")))
    pending = [operation for operation in pending_of(session, establishment, distribution)
               if operation.payment_type != ONLINE]
    unresolved = sorted({session.get(Member, operation.member_id).name for operation in pending
                         if operation.payment_type == ON_THE_SPOT})
    if unresolved:
        raise Veto(_("Say how these members paid on the spot before validating (open each "
                     "member's page): %(names)s.", names=", ".join(unresolved)))
    members = set()
    for operation in pending:
        member = session.get(Member, operation.member_id)
        try:
            payment = record_payment(
                session, runtime, establishment, account=account_of(session, establishment,
                                                                    member),
                method=operation.payment_type, amount=operation.amount,
                fields=operation.details.get("fields", {}), actor=actor)
        except Invalid as exc:
            problems = "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
            raise Veto(_("The payment of %(name)s cannot be recorded (%(problems)s): complete "
                         "it on the member's page.", name=member.name,
                         problems=problems)) from None
        operation.pending = False
        operation.payment_id = payment.id
        operation.label = _("Payment (%(method)s)", method=METHODS[operation.payment_type])
        members.add(member)
    for member in members:
        refresh_balance(session, establishment, member)
    for order in session.scalars(select_for(establishment, Order,
                                            Order.distribution_id == distribution.id)):
        order.paid = True
    distribution.validated_at = now
    distribution.validated_by = actor[:150]
    session.flush()
    return len(pending)


def undo_validation(session: Session, establishment: Establishment,
                    distribution: Distribution) -> None:
    """Reopen a validated distribution for corrections. Payments recorded at validation stay
    (the money was received); correct them with a refund or a new payment."""
    if distribution.validated_at is None:
        raise Veto(_("This distribution is not validated."))
    distribution.validated_at = None
    distribution.validated_by = ""
    for order in session.scalars(select_for(establishment, Order,
                                            Order.distribution_id == distribution.id)):
        order.paid = paid_for(session, order) >= order.total


def overpaid(session: Session, order: Order | None) -> int:
    return max(0, paid_for(session, order) - order.total) if order is not None else 0

