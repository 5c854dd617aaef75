"""The cashier's pages (seed): main screen, "New bill" (options, search, account card,
distribution of a sum, payment), "Prepayment bill", receipts, and "Paid bills" with duplicates
and same-day cancellation. Every page works at the desk the client certificate proves."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    MoneyError,
    User,
    Veto,
    current_establishment,
    current_runtime,
    db_session,
    get_for,
    get_payment,
    plugin_settings,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_billpay import accruals, bills, desk_guard, distribution, prepayment, receipts
from regie_billpay.accruals import ServiceDebt, month_start
from regie_billpay.amounts import read
from regie_billpay.cashier.options import Options
from regie_billpay.models import (
    BILL,
    CASHIER_EXPLANATION,
    CLIENT_REQUEST,
    PREPAYMENT,
    Bill,
    City,
    Desk,
    Subscriber,
)
from regie_billpay.search import LIMIT, Criteria, Match, find

PLUGIN = "billpay"
DEFAULT_CITY = "Кременчук"
CASHIER = "billpay.cashier"


# --- helpers -------------------------------------------------------------------------------


def _desk(session: Session) -> Desk:
    return desk_guard.current_desk(session, current_establishment(), current_user)


def _write():
    return current_runtime().db.transaction()


def _cities(session: Session, desk: Desk) -> list[City]:
    """The cities the desk takes payments for: all of them with an inter-city contract."""
    if not desk.inter_city:
        return [desk.city]
    return list(session.scalars(select_for(current_establishment(), City).order_by(City.name)))


def _options(session: Session, desk: Desk) -> Options:
    return Options.read(request.args, default_city=desk.city_id,
                        cities={city.id for city in _cities(session, desk)})


def _subscriber(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = get_for(session, current_establishment(), Subscriber, subscriber_id)
    if subscriber is None:
        abort(404)
    return subscriber


def _bill(session: Session, bill_id: int) -> Bill:
    bill = get_for(session, current_establishment(), Bill, bill_id)
    if bill is None:
        abort(404)
    return bill


def _today() -> dt.date:
    return bills.local_now(current_establishment()).date()


def _chrome(session: Session, desk: Desk) -> dict:
    """What every cashier page shows: who, which desk, today's hours and the server clock."""
    now = bills.local_now(current_establishment())
    hours = desk.hours_on(now.date())
    return {"desk": desk, "now": now, "cashier_name": current_user.full_name
            or current_user.username, "hours": hours,
            "desk_open": hours is not None
            and hours[0] <= now.time().replace(tzinfo=None) < hours[1],
            "reports_url": _reports_url()}


def _reports_url() -> str | None:
    """DESK's reports page, when it is there."""
    endpoint = "plugin_billpay_desk.reports_page"
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def _user(session: Session) -> User:
    return session.get(User, current_user.id)


# --- main screen ---------------------------------------------------------------------------


def index():
    session = db_session()
    desk = _desk(session)
    return render_template("billpay/index.html", **_chrome(session, desk))


# --- search --------------------------------------------------------------------------------


def _search(mode: str):
    session = db_session()
    desk = _desk(session)
    options = _options(session, desk)
    criteria = Criteria(city_id=options.city_id, account=request.args.get("account", ""),
                        street=request.args.get("street", ""),
                        house=request.args.get("house", ""),
                        apartment=request.args.get("apartment", ""),
                        surname=request.args.get("surname", ""))
    searched = "find" in request.args
    found, error = [], None
    if searched:
        if criteria.empty:
            error = _("Enter the personal account, a street or the beginning of a surname.")
        else:
            found = find(session, current_establishment(), criteria)
            if criteria.account.strip() and len(found) == 1:
                return redirect(_card_url(found[0], mode, options))
            if not found:
                error = (_("Personal account %(account)s was not found in this city.",
                           account=criteria.account.strip()) if criteria.account.strip()
                         else _("No subscriber matches: check the street, house and "
                                "apartment, or enter fewer details."))
    return render_template(
        "billpay/new.html", mode=mode, options=options, criteria=criteria, searched=searched,
        found=found[:LIMIT], more=len(found) > LIMIT, limit=LIMIT, error=error,
        cities=_cities(session, desk), services=accruals.services(session,
                                                                  current_establishment()),
        card_url=lambda subscriber: _card_url(subscriber, mode, options),
        **_chrome(session, desk))


def _card_url(subscriber: Match, mode: str, options: Options) -> str:
    endpoint = "plugin_billpay.prepayment_card" if mode == PREPAYMENT else "plugin_billpay.card"
    return url_for(endpoint, subscriber_id=subscriber.id, **options.args())


def new_bill():
    return _search(BILL)


def new_prepayment():
    return _search(PREPAYMENT)


# --- account card --------------------------------------------------------------------------


def _picked_amounts(lines: list[ServiceDebt], *, typed: bool,
                    errors: dict) -> dict[int, int]:
    """Amount per ticked service: typed (correction) or the whole debt of the service.
    An amount above the debt gets the seed's warning."""
    picked = {int(value) for value in request.form.getlist("pick") if value.isdigit()}
    amounts = {}
    for line in lines:
        if line.service.id not in picked:
            continue
        amount = line.amount
        if typed:
            field = f"amount_{line.service.id}"
            try:
                amount = read(request.form.get(field, ""))
            except MoneyError as exc:
                errors[field] = str(exc) or _("Enter an amount.")
                continue
            if amount > line.amount:
                errors[field] = bills.above_debt_message(line.service.name, amount,
                                                         line.amount)
                continue
        amounts[line.service.id] = amount
    return amounts


def card(subscriber_id: int):
    session = db_session()
    desk = _desk(session)
    options = _options(session, desk)
    subscriber = _subscriber(session, subscriber_id)
    place = current_establishment()
    lines = accruals.debts(session, place, subscriber, service_ids=options.chosen,
                           periods=options.period, today=_today())
    errors: dict[str, str] = {}
    split, typed = None, options.correct
    values = {f"amount_{line.service.id}": receipts.amount_text(line.amount) for line in lines}
    picked = {line.service.id for line in lines} if not options.correct else set()
    if request.method == "POST":
        values = dict(request.form)
        picked = {int(value) for value in request.form.getlist("pick") if value.isdigit()}
        if request.form.get("action") == "distribute":
            split, typed = _distribute(lines, values, errors), True
            if split is not None:
                picked = {share.debt.service.id for share in split}
        else:
            typed = typed or request.form.get("distributed") == "1"
            amounts = _picked_amounts(lines, typed=typed, errors=errors)
            if not errors:
                response = _pay(subscriber_id, desk.id, lines, amounts, BILL, errors)
                if response is not None:
                    return response
    return render_template(
        "billpay/card.html", subscriber=subscriber, lines=lines, options=options,
        errors=errors, values=values, picked=picked, typed=typed, split=split,
        request_key=request.form.get("request_key") or uuid.uuid4().hex,
        policy=plugin_settings(PLUGIN).get("distribution_order", distribution.OLDEST_FIRST),
        **_chrome(session, desk))


def _distribute(lines: list[ServiceDebt], values: dict, errors: dict):
    """The split of the sum the client gives, shown before paying; fills the amounts."""
    try:
        amount = read(request.form.get("lump_sum", ""))
        split = distribution.distribute(amount, lines, plugin_settings(PLUGIN).get(
            "distribution_order", distribution.OLDEST_FIRST))
    except MoneyError as exc:
        errors["lump_sum"] = str(exc) or _("Enter an amount.")
        return None
    except Veto as exc:
        errors["lump_sum"] = str(exc)
        return None
    for line in lines:
        share = sum(s.amount for s in split if s.debt.service.id == line.service.id)
        values[f"amount_{line.service.id}"] = receipts.amount_text(share)
    return split


def _pay(subscriber_id: int, desk_id: int, lines: list, amounts: dict[int, int], kind: str,
         errors: dict) -> Response | None:
    """Pay in one transaction; the receipt page, or ``None`` with the reason in ``errors``."""
    if kind == BILL:
        by_service = {line.service.id: line for line in lines}
        parts = [bills.Part(share.debt.service.id, share.debt.period, share.amount)
                 for service_id, amount in amounts.items()
                 for share in distribution.spread_over_months(amount, by_service[service_id])]
    else:
        parts = [part for line in lines if line.service.id in amounts
                 for part in _prepaid_parts(line, amounts[line.service.id])]
    try:
        with _write() as session:
            place = session.get(Establishment, current_establishment().id)
            bill = bills.pay(session, place, desk=session.get(Desk, desk_id),
                             cashier=_user(session),
                             subscriber=session.get(Subscriber, subscriber_id), parts=parts,
                             kind=kind, request_key=request.form.get("request_key", ""))
            bill_id = bill.id
    except Veto as exc:
        errors["_form"] = str(exc)
        return None
    return redirect(url_for("plugin_billpay.receipt", bill_id=bill_id, first=1))


def _prepaid_parts(line: prepayment.PrepaidService, amount: int) -> list[bills.Part]:
    """A prepaid service's amount over its months: each month its monthly amount, the last
    one what is left (a corrected amount may be more or less)."""
    parts, left = [], amount
    for index, period in enumerate(line.periods):
        last = index == len(line.periods) - 1
        part = left if last else min(left, line.monthly)
        if part:
            parts.append(bills.Part(line.service.id, period, part))
        left -= part
    return parts


def prepayment_card(subscriber_id: int):
    session = db_session()
    desk = _desk(session)
    options = _options(session, desk)
    subscriber = _subscriber(session, subscriber_id)
    errors: dict[str, str] = {}
    refused, lines = None, []
    try:
        lines = prepayment.propose(session, current_establishment(), subscriber, options.months,
                                   service_ids=options.chosen)
    except Veto as exc:
        refused = str(exc)
    values = {f"amount_{line.service.id}": receipts.amount_text(line.amount) for line in lines}
    picked: set[int] = set()
    if request.method == "POST" and refused is None:
        values = dict(request.form)
        picked = {int(value) for value in request.form.getlist("pick") if value.isdigit()}
        amounts = {}
        for line in lines:
            if line.service.id not in picked:
                continue
            field = f"amount_{line.service.id}"
            try:
                amounts[line.service.id] = read(request.form.get(field, ""))
            except MoneyError as exc:
                errors[field] = str(exc) or _("Enter an amount.")
        if not errors:
            response = _pay(subscriber_id, desk.id, lines, amounts, PREPAYMENT, errors)
            if response is not None:
                return response
    return render_template(
        "billpay/prepayment.html", subscriber=subscriber, lines=lines, options=options,
        refused=refused, errors=errors, values=values, picked=picked,
        request_key=request.form.get("request_key") or uuid.uuid4().hex,
        **_chrome(session, desk))


# --- receipts ------------------------------------------------------------------------------


def _receipt(session: Session, bill: Bill, duplicate: bool) -> receipts.Receipt:
    place = current_establishment()
    payment = get_payment(session, place, bill.payment_id)
    cashier = session.get(User, bill.cashier_id) if bill.cashier_id else None
    return receipts.receipt_of(
        bill, receipt_number=payment.receipt_number or bill.id,
        cashier=(cashier.full_name or cashier.username) if cashier else "",
        establishment_name=place.name, timezone=place.timezone, duplicate=duplicate)


def _own_bill(session: Session, bill_id: int) -> tuple[Desk, Bill]:
    desk = _desk(session)
    bill = _bill(session, bill_id)
    if bill.desk_id != desk.id:
        abort(404)
    return desk, bill


def receipt(bill_id: int):
    """The receipt after payment (the original, once) or a duplicate; the print dialog opens
    after 2 seconds."""
    with _write() as session:
        desk, bill = _own_bill(session, bill_id)
        duplicate = not (request.args.get("first") and bill.printed_count == 0)
        bill.printed_count += 1
        shown = _receipt(session, bill, duplicate)
        text = "\n".join(receipts.text_lines(shown))
        chrome = _chrome(session, desk)
    return render_template("billpay/receipt.html", bill_id=bill_id, text=text,
                           duplicate=duplicate, **chrome)


def _receipt_file(bill_id: int) -> tuple[Bill, receipts.Receipt]:
    session = db_session()
    bill = _own_bill(session, bill_id)[1]
    duplicate = request.args.get("duplicate") == "1" or bill.printed_count > 1
    return bill, _receipt(session, bill, duplicate)


def receipt_text(bill_id: int):
    bill, shown = _receipt_file(bill_id)
    return Response(receipts.text_receipt(shown), content_type="text/plain; charset=cp866",
                    headers={"Content-Disposition": f'inline; filename="receipt-{bill.id}.txt"'})


def receipt_pdf(bill_id: int):
    bill, shown = _receipt_file(bill_id)
    return Response(receipts.pdf_receipt(shown), mimetype="application/pdf",
                    headers={"Content-Disposition":
                             f'inline; filename="receipt-{bill.id}.pdf"'})


# --- paid bills and cancellation -----------------------------------------------------------


def _day_of_month() -> dt.date:
    """The day asked for, within the current month (today otherwise)."""
    today = _today()
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today
    return day if month_start(day) == month_start(today) and day <= today else today


def paid():
    session = db_session()
    desk = _desk(session)
    day = _day_of_month()
    today = _today()
    days = [today.replace(day=n) for n in range(today.day, 0, -1)]
    return render_template("billpay/paid.html", day=day, days=days, today=today,
                           bills=bills.day_bills(session, current_establishment(), desk, day),
                           **_chrome(session, desk))


def cancel(bill_id: int):
    session = db_session()
    desk, bill = _own_bill(session, bill_id)
    errors: dict[str, str] = {}
    values = {"reason": "", "document": ""}
    if request.method == "POST":
        values = {"reason": request.form.get("reason", "").strip(),
                  "document": request.form.get("document", "")}
        if not values["reason"]:
            errors["reason"] = _("Give the reason of the cancellation.")
        if values["document"] not in bills.DOCUMENT_KINDS:
            errors["document"] = _("Choose the supporting document of the cancellation.")
        if not errors:
            try:
                with _write() as writing:
                    place = writing.get(Establishment, current_establishment().id)
                    bills.cancel(writing, place, writing.get(Bill, bill.id),
                                 user=_user(writing), reason=values["reason"],
                                 document=values["document"])
            except Veto as exc:
                errors["_form"] = str(exc)
            else:
                flash(_("Bill %(number)s is cancelled.", number=bill.id), "success")
                return redirect(url_for("plugin_billpay.paid", day=bill.day.isoformat()))
    return render_template("billpay/cancel.html", bill=bill, errors=errors, values=values,
                           documents=((CLIENT_REQUEST, _("Client's written request with "
                                                         "passport details and the original "
                                                         "receipt")),
                                      (CASHIER_EXPLANATION, _("Cashier's written explanation "
                                                              "and the original receipt"))),
                           **_chrome(session, desk))


def register(bp: Blueprint) -> None:
    cashier = require_permission(CASHIER)
    bp.add_url_rule("/", "index", cashier(index))
    bp.add_url_rule("/new", "new_bill", cashier(new_bill))
    bp.add_url_rule("/prepayment", "new_prepayment", cashier(new_prepayment))
    bp.add_url_rule("/accounts/<int:subscriber_id>", "card", cashier(card),
                    methods=["GET", "POST"])
    bp.add_url_rule("/accounts/<int:subscriber_id>/prepayment", "prepayment_card",
                    cashier(prepayment_card), methods=["GET", "POST"])
    bp.add_url_rule("/bills/<int:bill_id>/receipt", "receipt", cashier(receipt))
    bp.add_url_rule("/bills/<int:bill_id>/receipt.txt", "receipt_text", cashier(receipt_text))
    bp.add_url_rule("/bills/<int:bill_id>/receipt.pdf", "receipt_pdf", cashier(receipt_pdf))
    bp.add_url_rule("/paid", "paid", cashier(paid))
    bp.add_url_rule("/bills/<int:bill_id>/cancel", "cancel", cashier(cancel),
                    methods=["GET", "POST"])
