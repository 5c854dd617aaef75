"""The school's pages: dashboard, the logins window (individuals, logins, responsibles' e-mails,
who has connected, login mail and letters, labels, list as CSV/PDF, import), reservations per
day with printable name lists, planning and holidays, and the manual entry of a missing web
payment."""

from __future__ import annotations

import base64
import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, or_, select

from regie.api import (
    Establishment,
    Invalid,
    MoneyError,
    NotFound,
    Veto,
    account_by_id,
    can,
    csv_response,
    current_establishment,
    current_runtime,
    db_session,
    file_response,
    find_payments,
    parse_money,
    plugin_settings,
    record_payment,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_reservation import bookings, individuals, labels, letters, logins
from regie_reservation.methods import CB_INTERNET
from regie_reservation.models import Holiday, Individual, PlanningDay
from regie_reservation.planning import weekdays_planning
from regie_reservation.sync.status import stream_status

VIEW, MANAGE = "reservation.view", "reservation.manage"
PLUGIN = "reservation"
PAGE_SIZE = 100


def _write():
    return current_runtime().db.transaction()


def _place(session) -> Establishment:
    return session.get(Establishment, current_establishment().id)


def _site_address() -> str:
    return url_for("plugin_reservation_portal.sign_in", _external=True)


def _filtered(session, place, args) -> list[Individual]:
    query = select_for(place, Individual)
    if args.get("class"):
        query = query.where(Individual.class_name == args["class"])
    if args.get("q", "").strip():
        pattern = f"%{args['q'].strip().lower()}%"
        query = query.where(or_(func.lower(Individual.last_name).like(pattern),
                                func.lower(Individual.first_name).like(pattern),
                                func.lower(Individual.login).like(pattern),
                                Individual.external_id == args["q"].strip()))
    if args.get("connected") == "yes":
        query = query.where(Individual.last_login_at.is_not(None))
    elif args.get("connected") == "no":
        query = query.where(Individual.last_login_at.is_(None))
    return list(session.scalars(query.order_by(Individual.class_name, Individual.last_name,
                                               Individual.first_name)))


def _selected(session, place) -> list[Individual]:
    """The individuals ticked in the form, else those of the class chosen."""
    ids = [int(value) for value in request.form.getlist("ids") if value.isdigit()]
    if ids:
        return list(session.scalars(select_for(place, Individual, Individual.id.in_(ids))
                                    .order_by(Individual.class_name, Individual.last_name)))
    if request.form.get("class"):
        return _filtered(session, place, {"class": request.form["class"]})
    return []


# --- dashboard -----------------------------------------------------------------------------


def index():
    session = db_session()
    place = current_establishment()
    total, with_login, connected = session.execute(
        select(func.count(), func.count(Individual.login), func.count(Individual.last_login_at))
        .where(Individual.establishment_id == place.id)).one()
    today = bookings.local_now(place).date()
    return render_template("reservation/school/index.html", total=total, with_login=with_login,
                           connected=connected, streams=stream_status(session, place),
                           today_counts=bookings.counts(session, place, today, today))


# --- the logins window ---------------------------------------------------------------------


def logins_window():
    session = db_session()
    place = current_establishment()
    rows = _filtered(session, place, request.args)
    return render_template("reservation/school/logins.html", rows=rows[:PAGE_SIZE * 5],
                           shown=min(len(rows), PAGE_SIZE * 5), count=len(rows),
                           classes=individuals.classes(session, place), args=request.args,
                           layout=labels.Layout(), errors={}, site_address=_site_address())


def logins_action():
    action = request.form.get("action", "")
    if action in ("initialize", "reset", "letters") and not can(MANAGE):
        abort(403)
    with _write() as session:
        place = _place(session)
        chosen = _selected(session, place)
        if not chosen:
            flash(_("Tick individuals or choose a class first."), "error")
            return redirect(url_for(".logins_window"))
        if action in ("initialize", "reset"):
            changed = logins.initialize(session, place, chosen, reset=action == "reset")
            flash(_("%(n)d initialization logins made.", n=len(changed)), "success")
            return redirect(url_for(".logins_window", **{"class": request.form.get("class", "")}))
        if action == "letters":
            try:
                batch_id = letters.prepare(session, current_runtime(), place, chosen,
                                           site_address=_site_address(), user=current_user.user,
                                           return_url=url_for(".logins_window"))
            except Invalid as exc:
                flash("; ".join(exc.errors.values()), "error")
                return redirect(url_for(".logins_window"))
            return redirect(url_for("mail.letters_batch", batch_id=batch_id))
        if action == "labels":
            try:
                layout = labels.layout_from(request.form)
            except Invalid as exc:
                return _labels_refused(session, place, exc)
            content = labels.render(chosen, layout, _site_address(),
                                    title=str(_("Login labels")))
            return file_response(content, "labels.pdf", "application/pdf", inline=True)
        if action == "pdf":
            return file_response(letters.logins_pdf(place, chosen), "logins.pdf",
                                 "application/pdf", inline=True)
    abort(400)


def _labels_refused(session, place, exc: Invalid):
    rows = _filtered(session, place, {})
    return render_template("reservation/school/logins.html", rows=rows[:PAGE_SIZE * 5],
                           shown=min(len(rows), PAGE_SIZE * 5), count=len(rows),
                           classes=individuals.classes(session, place), args={},
                           layout=request.form, errors=exc.errors,
                           site_address=_site_address()), 422


def logins_csv():
    session = db_session()
    rows = _filtered(session, current_establishment(), request.args)
    return csv_response("logins.csv", [_("Id"), _("Name"), _("First name"), _("Class"),
                                       _("Login"), _("Password"), _("Connected on")],
                        ([row.external_id, row.last_name, row.first_name, row.class_name,
                          row.login or "", row.initial_password or "",
                          row.last_login_at.isoformat(timespec="minutes")
                          if row.last_login_at else ""] for row in rows))


def individual_page(individual_id: int):
    session = db_session()
    place = current_establishment()
    individual = individuals.get(session, place, individual_id)
    if individual is None:
        abort(404)
    errors: dict = {}
    if request.method == "POST":
        if not can(MANAGE):
            abort(403)
        try:
            with _write() as writing:
                school = _place(writing)
                mine = individuals.get(writing, school, individual_id)
                if request.form.get("action") == "reset":
                    logins.initialize(writing, school, [mine], reset=True)
                    message = _("New initialization login: %(login)s.", login=mine.login)
                elif request.form.get("action") == "mail":
                    batch_id = letters.prepare(writing, current_runtime(), school, [mine],
                                               site_address=_site_address(),
                                               user=current_user.user,
                                               return_url=request.path)
                    return redirect(url_for("mail.letters_batch", batch_id=batch_id))
                else:
                    login = request.form.get("login", "").strip()
                    if login and login != mine.login:
                        logins.change_login(writing, school, mine, login, by_family=False)
                    emails = request.form.getlist("email")
                    names = request.form.getlist("name")
                    individuals.replace_responsibles(writing, school, mine,
                                                     list(zip(names, emails, strict=False)))
                    message = _("Saved.")
            flash(message, "success")
            return redirect(url_for(".individual_page", individual_id=individual_id))
        except Invalid as exc:
            errors = exc.errors
    balance = individuals.balance(session, place, individual)
    return render_template("reservation/school/individual.html", individual=individual,
                           balance=balance, errors=errors, form=request.form,
                           site_address=_site_address()), 422 if errors else 200


def import_logins():
    result = None
    errors: dict = {}
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors["file"] = _("choose a file")
        else:
            try:
                with _write() as session:
                    imported, rejects = logins.import_csv(session, _place(session),
                                                          upload.read())
            except Invalid as exc:
                errors["file"] = "; ".join(exc.errors.values())
            else:
                result = {"imported": imported, "rejects": list(rejects),
                          "reject_file": base64.b64encode(rejects.to_csv()).decode()
                          if rejects else ""}
    return render_template("reservation/school/import.html", result=result,
                           errors=errors), 422 if errors or (result and result["rejects"]) \
        else 200


# --- reservations --------------------------------------------------------------------------


def reservations():
    session = db_session()
    place = current_establishment()
    first = _date_arg("from") or bookings.local_now(place).date()
    last = first + dt.timedelta(days=13)
    return render_template("reservation/school/reservations.html", first=first, last=last,
                           counts=bookings.counts(session, place, first, last))


def reservation_names(day: str):
    try:
        chosen = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    session = db_session()
    place = current_establishment()
    meal = request.args.get("meal", "lunch")
    return render_template("reservation/school/names.html", day=chosen, meal=meal,
                           rows=bookings.names(session, place, chosen, meal))


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# --- planning, holidays, settings ----------------------------------------------------------


def planning_page():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    if request.method == "POST":
        try:
            with _write() as writing:
                _save_planning(writing, _place(writing))
            flash(_("Planning saved."), "success")
            return redirect(url_for(".planning_page"))
        except Invalid as exc:
            errors = exc.errors
    rows = {row.weekday: row for row in session.scalars(
        select_for(place, PlanningDay, PlanningDay.meal == "lunch"))}
    defaults = {slot.weekday: slot for slot in weekdays_planning()}
    holidays = list(session.scalars(select_for(place, Holiday).order_by(Holiday.first_day)))
    return render_template("reservation/school/planning.html", rows=rows, defaults=defaults,
                           holidays=holidays, errors=errors, form=request.form,
                           settings=plugin_settings(PLUGIN)), 422 if errors else 200


def _save_planning(session, place) -> None:
    form = request.form
    if form.get("action") == "holiday":
        _add_holiday(session, place)
        return
    if form.get("action") == "delete-holiday":
        holiday = session.scalar(select_for(place, Holiday,
                                            Holiday.id == int(form.get("id", "0") or 0)))
        if holiday is not None:
            session.delete(holiday)
        return
    errors = {}
    existing = {row.weekday: row for row in session.scalars(
        select_for(place, PlanningDay, PlanningDay.meal == "lunch"))}
    for weekday in range(7):
        try:
            opens = int(form.get(f"opens-{weekday}", "7"))
            closes = int(form.get(f"closes-{weekday}", "1"))
            at = dt.time.fromisoformat(form.get(f"at-{weekday}", "10:00"))
        except ValueError:
            errors[f"day-{weekday}"] = _("type whole days and a time such as 10:00")
            continue
        if opens < closes or closes < 0:
            errors[f"day-{weekday}"] = _("the opening must come before the closing")
            continue
        row = existing.get(weekday) or PlanningDay(establishment_id=place.id, weekday=weekday,
                                                   meal="lunch")
        row.served = bool(form.get(f"served-{weekday}"))
        row.opens_days_before, row.closes_days_before, row.closes_at = opens, closes, at
        session.add(row)
    if errors:
        raise Invalid(errors)


def _add_holiday(session, place) -> None:
    try:
        first = dt.date.fromisoformat(request.form.get("first_day", ""))
        last = dt.date.fromisoformat(request.form.get("last_day", ""))
    except ValueError:
        raise Invalid({"holiday": _("type the first and last days of the holidays")}) from None
    if last < first:
        raise Invalid({"holiday": _("the last day comes before the first")})
    session.add(Holiday(establishment_id=place.id, first_day=first, last_day=last,
                        label=request.form.get("label", "").strip()[:100]))


# --- manual web payment --------------------------------------------------------------------


def manual_payment():
    errors: dict = {}
    if request.method == "POST":
        try:
            payment = _record_manual()
            flash(_("Web payment %(reference)s recorded: receipt %(number)s.",
                    reference=payment.reference, number=payment.receipt_number), "success")
            return redirect(url_for(".manual_payment"))
        except Invalid as exc:
            errors = exc.errors
        except (Veto, NotFound) as exc:
            errors = {"_form": str(exc)}
    return render_template("reservation/school/manual_payment.html", errors=errors,
                           form=request.form), 422 if errors else 200


def _record_manual():
    form = request.form
    place = current_establishment()
    errors = {}
    reference = form.get("reference", "").strip()
    if not reference:
        errors["reference"] = _("type the order reference of the payment ticket")
    try:
        amount = parse_money(form.get("amount", ""), place.currency, place.locale).amount
    except (MoneyError, ValueError):
        errors["amount"] = _("type an amount such as 20 or 12.50")
        amount = 0
    with _write() as session:
        school = _place(session)
        who = form.get("individual", "").strip()
        individual = (individuals.by_login(session, school, who)
                      or individuals.by_external_id(session, school, who)) if who else None
        if individual is None:
            errors["individual"] = _("no individual has this login or id")
        if reference:
            existing = [p for p in find_payments(session, school, reference=reference)
                        if p.reference == reference and p.state != "cancelled"]
            if existing:
                errors["reference"] = _(
                    "a payment (number %(number)s) with this reference (%(reference)s) "
                    "already exists", number=existing[0].id, reference=reference)
        if errors:
            raise Invalid(errors)
        return record_payment(session, current_runtime(), school,
                              account=account_by_id(session, school, individual.account_id),
                              method=CB_INTERNET, amount=amount, reference=reference,
                              note=form.get("note", ""), actor=current_user.user)


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_reservation", __name__, template_folder="../templates")
    routes = [
        ("/", "index", index, ["GET"], VIEW),
        ("/logins", "logins_window", logins_window, ["GET"], VIEW),
        ("/logins/action", "logins_action", logins_action, ["POST"], VIEW),
        ("/logins.csv", "logins_csv", logins_csv, ["GET"], VIEW),
        ("/logins/import", "import_logins", import_logins, ["GET", "POST"], MANAGE),
        ("/individuals/<int:individual_id>", "individual_page", individual_page,
         ["GET", "POST"], VIEW),
        ("/reservations", "reservations", reservations, ["GET"], VIEW),
        ("/reservations/<day>", "reservation_names", reservation_names, ["GET"], VIEW),
        ("/planning", "planning_page", planning_page, ["GET", "POST"], MANAGE),
        ("/payments/manual", "manual_payment", manual_payment, ["GET", "POST"], MANAGE),
    ]
    for rule, endpoint, view, methods, permission in routes:
        bp.add_url_rule(rule, endpoint, require_permission(permission)(view), methods=methods)
    return bp
