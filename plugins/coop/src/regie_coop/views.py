"""Web pages of the co-op: members order and see their account; coordinators manage
distributions, validate them, count the till and follow everyone's balance."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from regie.api import (
    Establishment,
    Invalid,
    MoneyError,
    NotFound,
    User,
    Veto,
    can,
    csv_response,
    current_establishment,
    current_runtime,
    db_session,
    get_for,
    parse_money,
    plugin_settings,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_coop import accounts, reports
from regie_coop.models import Distribution, Member, Operation, Order, Product
from regie_coop.reminders import remind_debtors

PLUGIN = "coop"


# --- helpers -------------------------------------------------------------------------------


def _actor() -> str:
    return current_user.username


def _settings() -> dict:
    return dict(plugin_settings(PLUGIN))


def _amount(field: str, errors: dict, *, signed: bool = False) -> int | None:
    """The amount typed in ``field``, in minor units; a problem goes into ``errors``."""
    place = current_establishment()
    text = request.form.get(field, "").strip()
    if not text:
        errors[field] = _("is required")
        return None
    try:
        amount = parse_money(text, place.currency, place.locale).amount
    except MoneyError as exc:
        errors[field] = str(exc)
        return None
    if not signed and amount <= 0:
        errors[field] = _("must be more than zero")
        return None
    return amount


def _quantity(text: str) -> int | None:
    """A quantity typed by a person (``1,5``) in thousandths, or ``None`` if not a number."""
    try:
        value = Decimal(text.strip().replace(",", ".") or "0")
    except InvalidOperation:
        return None
    milli = value * 1000
    return int(milli) if milli == milli.to_integral_value() else None


def _get(session, model, row_id):
    row = get_for(session, current_establishment(), model, row_id)
    if row is None:
        abort(404)
    return row


def _own_member(session) -> Member | None:
    return accounts.member_of_user(session, current_establishment(), current_user.id)


def _write():
    """A write transaction and the establishment loaded in it."""
    return current_runtime().db.transaction()


def _place(session) -> Establishment:
    return session.get(Establishment, current_establishment().id)


def _failed(exc: Invalid | Veto | NotFound, errors: dict) -> None:
    if isinstance(exc, Invalid):
        errors.update(exc.errors)
    else:
        errors["_form"] = str(exc)


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_establishment().timezone)


# --- pages ---------------------------------------------------------------------------------


def index():
    session = db_session()
    place = current_establishment()
    member = _own_member(session)
    today = accounts.local_now(place).date()
    upcoming = list(session.scalars(select_for(place, Distribution, Distribution.date >= today)
                                    .order_by(Distribution.date).limit(5)))
    return render_template(
        "coop/index.html", member=member, upcoming=upcoming,
        coordinator=can("coop.manage"),
        blocked=accounts.ordering_blocked(session, place),
        rows=accounts.statement(session, place, member)[-10:] if member else [])


def own_account():
    session = db_session()
    member = _own_member(session)
    if member is None:
        flash(_("You have no member account in this group yet: ask a coordinator."), "warning")
        return redirect(url_for(".index"))
    return _account_page(session, member, own=True)


def _account_page(session, member: Member, *, own: bool, errors: dict | None = None,
                  status: int = 200):
    place = current_establishment()
    orders = list(session.scalars(select_for(place, Order, Order.member_id == member.id)
                                  .order_by(Order.id.desc())))
    return render_template("coop/account.html", member=member, own=own, orders=orders,
                           rows=accounts.statement(session, place, member),
                           online=bool(_settings().get("method_online")),
                           errors=errors or {}, form=request.form), status


def pay_debt():
    member = _own_member(db_session())
    if member is None:
        abort(404)
    errors: dict = {}
    amount = _amount("amount", errors)
    if not _settings().get("method_online"):
        errors["_form"] = _("This group does not take payments online.")
    if not errors:
        try:
            with _write() as session:
                operation = accounts.pay_debt_online(session, current_runtime(),
                                                     _place(session), _own_member(session),
                                                     amount, actor=_actor())
                return _to_payment_page(operation)
        except (Invalid, Veto) as exc:
            _failed(exc, errors)
    return _account_page(db_session(), member, own=True, errors=errors, status=422)


def _to_payment_page(operation: Operation):
    """Send the member to the core's payment page of the operation's request."""
    return redirect(operation.details["pay_link"])


def distributions():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    if request.method == "POST":
        if not can("coop.manage"):
            abort(403)
        errors = _new_distribution(place)
        if not errors:
            flash(_("Distribution created."), "success")
            return redirect(url_for(".distributions"))
    rows = list(session.scalars(select_for(place, Distribution)
                                .order_by(Distribution.date.desc()).limit(100)))
    return render_template("coop/distributions.html", distributions=rows, errors=errors,
                           form=request.form, coordinator=can("coop.manage"),
                           blocked=accounts.ordering_blocked(session, place)
                           ), 422 if errors else 200


def _new_distribution(place) -> dict:
    errors: dict = {}
    form = request.form
    try:
        date = dt.date.fromisoformat(form.get("date", ""))
    except ValueError:
        errors["date"] = _("a date such as 2026-11-28")
    place_name = form.get("place", "").strip()
    if not place_name:
        errors["place"] = _("is required")
    moments = {}
    for field in ("orders_open_at", "orders_close_at"):
        try:
            moments[field] = dt.datetime.fromisoformat(form.get(field, "")).replace(
                tzinfo=_zone()).astimezone(dt.UTC)
        except ValueError:
            errors[field] = _("a date and time such as 2026-11-20T08:00")
    if len(moments) == 2 and moments["orders_close_at"] <= moments["orders_open_at"]:
        errors["orders_close_at"] = _("must be after the opening of orders")
    if errors:
        return errors
    with _write() as session:
        session.add(Distribution(establishment_id=place.id, date=date, place=place_name[:100],
                                 opening_float=0, validated_by="", **moments))
    return {}


def order_page(distribution_id: int):
    session = db_session()
    place = current_establishment()
    distribution = _get(session, Distribution, distribution_id)
    member = _own_member(session)
    if member is None:
        flash(_("You have no member account in this group yet: ask a coordinator."), "warning")
        return redirect(url_for(".index"))
    errors: dict = {}
    if request.method == "POST":
        quantities = {}
        for key, text in request.form.items():
            if key.startswith("product_"):
                quantity = _quantity(text)
                if quantity is None:
                    errors[key] = _("a number such as 2 or 1.5")
                else:
                    quantities[int(key.removeprefix("product_"))] = quantity
        if not errors:
            try:
                with _write() as write:
                    _order, operation = accounts.place_order(
                        write, current_runtime(), _place(write),
                        _get(write, Member, member.id), _get(write, Distribution,
                                                             distribution_id),
                        quantities, method=request.form.get("method", ""),
                        settings=_settings(), actor=_actor())
            except (Invalid, Veto) as exc:
                _failed(exc, errors)
            else:
                if operation is not None and operation.request_id is not None:
                    return _to_payment_page(operation)
                flash(_("Your order is saved."), "success")
                return redirect(url_for(".order_page", distribution_id=distribution_id))
    order = accounts.order_of(session, place, distribution, member)
    products = list(session.scalars(select_for(place, Product, Product.active.is_(True))
                                    .order_by(Product.name)))
    ordered = {line.product_id: line for line in order.lines} if order else {}
    offered = accounts.offered_methods(_settings())
    return render_template("coop/order.html", distribution=distribution, member=member,
                           order=order, products=products, ordered=ordered, offered=offered,
                           methods=accounts.METHODS, errors=errors, form=request.form,
                           reference=accounts.reference_code(distribution, member)
                           ), 422 if errors else 200


def distribution_page(distribution_id: int):
    session = db_session()
    place = current_establishment()
    distribution = _get(session, Distribution, distribution_id)
    orders = list(session.scalars(select_for(place, Order,
                                             Order.distribution_id == distribution.id)
                                  .order_by(Order.id)))
    return render_template(
        "coop/distribution.html", distribution=distribution, orders=orders,
        pending={order.member_id: accounts.pending_of(session, place, distribution,
                                                      order.member) for order in orders},
        paid={order.id: accounts.paid_for(session, order) for order in orders},
        unresolved=reports.unresolved(session, place, distribution),
        validate_from=accounts.can_validate_from(place, distribution))


def validate(distribution_id: int):
    try:
        with _write() as session:
            recorded = accounts.validate(session, current_runtime(), _place(session),
                                         _get(session, Distribution, distribution_id),
                                         actor=_actor())
    except (Invalid, Veto) as exc:
        flash(str(exc), "error")
    else:
        flash(_("Distribution validated: %(n)d payment(s) recorded.", n=recorded), "success")
    return redirect(url_for(".distribution_page", distribution_id=distribution_id))


def undo(distribution_id: int):
    try:
        with _write() as session:
            accounts.undo_validation(session, _place(session),
                                     _get(session, Distribution, distribution_id))
    except Veto as exc:
        flash(str(exc), "error")
    else:
        flash(_("Validation undone: the distribution can be corrected. Payments already "
                "recorded stay; correct them with a refund or a new payment."), "success")
    return redirect(url_for(".distribution_page", distribution_id=distribution_id))


def member_validation(distribution_id: int, member_id: int):
    """Per-member validation: resolve pending payments, add a payment or a refund."""
    errors: dict = {}
    if request.method == "POST":
        errors = _member_action(distribution_id, member_id)
        if not errors:
            return redirect(url_for(".member_validation", distribution_id=distribution_id,
                                    member_id=member_id))
    session = db_session()
    place = current_establishment()
    distribution = _get(session, Distribution, distribution_id)
    member = _get(session, Member, member_id)
    order = accounts.order_of(session, place, distribution, member)
    return render_template(
        "coop/member_validation.html", distribution=distribution, member=member, order=order,
        paid=accounts.paid_for(session, order) if order else 0,
        overpaid=accounts.overpaid(session, order),
        pending=accounts.pending_of(session, place, distribution, member),
        methods=accounts.METHODS, manual=accounts.MANUAL, errors=errors, form=request.form,
        action=request.form.get("action", "")), 422 if errors else 200


FIELDS = ("number", "bank", "transfer_reference", "slip_number")


def _member_action(distribution_id: int, member_id: int) -> dict:
    errors: dict = {}
    action = request.form.get("action")
    fields = {name: request.form.get(name, "") for name in FIELDS}
    amount = None
    if action in ("payment", "refund"):
        amount = _amount("amount", errors)
    if errors:
        return errors
    try:
        with _write() as session:
            place = _place(session)
            distribution = _get(session, Distribution, distribution_id)
            member = _get(session, Member, member_id)
            order = accounts.order_of(session, place, distribution, member)
            if action == "resolve":
                operation = _get(session, Operation, request.form.get("operation", 0, type=int))
                if (operation.member_id, operation.distribution_id) != (member.id,
                                                                        distribution.id):
                    abort(404)
                method = request.form.get("real_type", "")
                accounts.resolve(operation, method, _fields_for(method, fields))
                message = _("Payment type saved.")
            elif action == "payment":
                method = request.form.get("method", "")
                accounts.add_payment(session, current_runtime(), place, member, method=method,
                                     amount=amount, fields=_fields_for(method, fields),
                                     distribution=distribution, order=order, actor=_actor())
                message = _("Payment recorded.")
            elif action == "refund":
                accounts.add_refund(session, place, member, amount,
                                    label=request.form.get("label", ""),
                                    distribution=distribution, order=order, actor=_actor())
                message = _("Refund recorded.")
            else:
                abort(400)
    except (Invalid, Veto, NotFound) as exc:
        _failed(exc, errors)
        return errors
    flash(message, "success")
    return {}


def _fields_for(method: str, fields: dict) -> dict:
    wanted = {"cheque": ("number", "bank"), "transfer": ("transfer_reference",),
              "card_on_site": ("slip_number",)}.get(method, ())
    return {name: fields[name] for name in wanted}


def counter_page(distribution_id: int):
    errors: dict = {}
    if request.method == "POST":
        amount = _amount("opening_float", errors, signed=True)
        if amount is not None and amount < 0:
            errors["opening_float"] = _("cannot be negative")
        if not errors:
            with _write() as session:
                _get(session, Distribution, distribution_id).opening_float = amount
            flash(_("Opening float saved."), "success")
            return redirect(url_for(".counter_page", distribution_id=distribution_id))
    session = db_session()
    distribution = _get(session, Distribution, distribution_id)
    return render_template("coop/counter.html",
                           counter=reports.counter(session, current_establishment(),
                                                   distribution),
                           methods=accounts.METHODS, errors=errors, form=request.form
                           ), 422 if errors else 200


def counter_csv(distribution_id: int):
    session = db_session()
    distribution = _get(session, Distribution, distribution_id)
    counter = reports.counter(session, current_establishment(), distribution)
    rows = [[_("Opening float"), counter.distribution.opening_float],
            [_("Cash taken"), counter.cash],
            [_("The drawer should hold"), counter.expected_drawer],
            [_("Cheques"), counter.cheque_count], [_("Cheque total"), counter.cheque_total],
            [_("Online gross"), counter.online_gross]]
    rows += [[str(accounts.METHODS.get(code, code)), total]
             for code, total in sorted(counter.per_type.items())]
    rows += [[_("Irregular: %(kind)s", kind=item.kind), item.member.name, item.order.total,
              item.paid] for item in counter.irregularities]
    return csv_response(f"counter-{distribution.date.isoformat()}.csv",
                        [_("Item"), _("Amount (minor units)")], rows)


def _balances_args():
    sort = request.args.get("sort", "name")
    return dict(sort=sort if sort in reports.SORTS else "name",
                descending=request.args.get("desc") == "1",
                show=request.args.get("show", "all") if request.args.get(
                    "show") in reports.FILTERS else "all",
                search=request.args.get("q", ""))


def balances():
    session = db_session()
    args = _balances_args()
    query = reports.balances_query(current_establishment(), **args)
    page = max(1, request.args.get("page", 1, type=int))
    total = reports.count(session, query)
    pages = max(1, -(-total // reports.PAGE_SIZE))
    return render_template("coop/balances.html", members=reports.members_in(session, query,
                                                                             page),
                           total=total, page=page, pages=pages, args=args,
                           filters=reports.FILTERS)


def balances_csv():
    session = db_session()
    query = reports.balances_query(current_establishment(), **_balances_args())
    rows = ([member.id, member.name, member.email, member.balance]
            for member in session.scalars(query))
    return csv_response("balances.csv", [_("Member"), _("Name"), _("E-mail"),
                                         _("Balance (minor units)")], rows)


def remind():
    try:
        with _write() as session:
            reminded = remind_debtors(session, current_runtime(), _place(session),
                                      user=session.get(User, current_user.id))
    except (Invalid, Veto) as exc:
        flash(_("No reminder was sent: %(why)s", why=exc), "error")
    else:
        flash(_("%(n)d reminder(s) queued.", n=reminded.queued), "success")
        if reminded.without_email:
            flash(_("No e-mail address for: %(names)s.",
                    names=", ".join(reminded.without_email)), "warning")
    return redirect(url_for(".balances", show="debt"))


def member_page(member_id: int):
    errors: dict = {}
    if request.method == "POST":
        errors = _member_operation(member_id)
        if not errors:
            return redirect(url_for(".member_page", member_id=member_id))
    session = db_session()
    return _account_page(session, _get(session, Member, member_id), own=False, errors=errors,
                         status=422 if errors else 200)


def _member_operation(member_id: int) -> dict:
    errors: dict = {}
    action = request.form.get("action")
    amount = _amount("amount", errors, signed=action == "carry_over")
    if errors:
        return errors
    try:
        with _write() as session:
            place = _place(session)
            member = _get(session, Member, member_id)
            if action == "carry_over":
                accounts.add_carry_over(session, place, member, amount, actor=_actor())
            elif action in ("membership", "subscription"):
                accounts.add_debt(session, place, member, action, amount,
                                  label=request.form.get("label", ""), actor=_actor())
            else:
                abort(400)
    except (Invalid, Veto) as exc:
        _failed(exc, errors)
        return errors
    flash(_("Operation recorded."), "success")
    return {}


def new_member():
    errors: dict = {}
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            with _write() as session:
                user = None
                if username:
                    user = session.scalar(select(User).where(User.username == username))
                    if user is None:
                        raise Invalid({"username": _(
                            "no user '%(name)s': create the user first, or leave it empty",
                            name=username)})
                member = accounts.add_member(
                    session, _place(session), name=request.form.get("name", ""),
                    email=request.form.get("email", ""), user_id=user.id if user else None)
                member_id = member.id
        except Invalid as exc:
            errors.update(exc.errors)
        if not errors:
            flash(_("Member added."), "success")
            return redirect(url_for(".member_page", member_id=member_id))
    return render_template("coop/member_new.html", errors=errors,
                           form=request.form), 422 if errors else 200


def products():
    errors: dict = {}
    place = current_establishment()
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            errors["name"] = _("is required")
        price = _amount("unit_price", errors)
        if not errors:
            with _write() as session:
                session.add(Product(establishment_id=place.id, name=name[:200],
                                    unit=request.form.get("unit", "").strip()[:20],
                                    unit_price=price, active=True))
            flash(_("Product added."), "success")
            return redirect(url_for(".products"))
    rows = list(db_session().scalars(select_for(place, Product).order_by(Product.name)))
    return render_template("coop/products.html", products=rows, errors=errors,
                           form=request.form), 422 if errors else 200


# --- routing -------------------------------------------------------------------------------

ROUTES = (
    ("/", index, "coop.view", ("GET",)),
    ("/account", own_account, "coop.order", ("GET",)),
    ("/account/pay", pay_debt, "coop.order", ("POST",)),
    ("/distributions", distributions, "coop.view", ("GET", "POST")),
    ("/distributions/<int:distribution_id>/order", order_page, "coop.order", ("GET", "POST")),
    ("/distributions/<int:distribution_id>", distribution_page, "coop.manage", ("GET",)),
    ("/distributions/<int:distribution_id>/validate", validate, "coop.manage", ("POST",)),
    ("/distributions/<int:distribution_id>/undo", undo, "coop.manage", ("POST",)),
    ("/distributions/<int:distribution_id>/members/<int:member_id>", member_validation,
     "coop.manage", ("GET", "POST")),
    ("/distributions/<int:distribution_id>/counter", counter_page, "coop.manage",
     ("GET", "POST")),
    ("/distributions/<int:distribution_id>/counter.csv", counter_csv, "coop.manage", ("GET",)),
    ("/balances", balances, "coop.manage", ("GET",)),
    ("/balances.csv", balances_csv, "coop.manage", ("GET",)),
    ("/balances/remind", remind, "coop.manage", ("POST",)),
    ("/members/new", new_member, "coop.manage", ("GET", "POST")),
    ("/members/<int:member_id>", member_page, "coop.manage", ("GET", "POST")),
    ("/products", products, "coop.manage", ("GET", "POST")),
)


def blueprint() -> Blueprint:
    pages = Blueprint("plugin_coop", __name__, template_folder="templates")
    for rule, view, permission, methods in ROUTES:
        pages.add_url_rule(rule, view.__name__, require_permission(permission)(view),
                           methods=list(methods))
    return pages
