"""The family portal's pages, mobile first: sign in with the pupil's login; balance (as the
back office last confirmed it), last passages, payments, top-up; the Account tab (login,
password, contact e-mail); the Reservation tab when the school uses it."""

from __future__ import annotations

import datetime as dt
import math

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time, get_locale

from regie.api import (
    Establishment,
    Invalid,
    NotFound,
    Veto,
    current_establishment,
    current_runtime,
    db_session,
    find_payments,
    ngettext,
    plugin_settings,
    utcnow,
)
from regie.api import gettext as _
from regie_reservation import bookings, individuals, logins, planning, topups
from regie_reservation.planning import Refused
from regie_reservation.portal import signin, throttle
from regie_reservation.portal.signin import family_required

PLUGIN = "reservation"
PAYMENTS_SHOWN = 20


def _settings() -> dict:
    return dict(plugin_settings(PLUGIN))


def _locale() -> str:
    return str(get_locale() or current_establishment().locale)


def _write():
    return current_runtime().db.transaction()


def _place(session) -> Establishment:
    return session.get(Establishment, current_establishment().id)


def _mine(session, individual):
    """The signed-in individual again, in a write session."""
    found = individuals.get(session, current_establishment(), individual.id)
    if found is None:
        abort(404)
    return found


def _page(template: str, status: int = 200, **context):
    settings = _settings()
    return render_template(template, school=current_establishment(),
                           reservation_on=bool(settings.get("reservation_enabled")),
                           **context), status


def sign_in():
    if signin.current_individual() is not None and request.method == "GET":
        return redirect(url_for(".home"))
    error = None
    if request.method == "POST":
        try:
            with _write() as session:
                individual = throttle.authenticate(
                    session, _place(session), request.form.get("login", ""),
                    request.form.get("password", ""), address=request.remote_addr or "",
                    policy=throttle.Policy.from_config(current_runtime().config))
                if individual is not None:
                    signin.remember(individual)
                    return redirect(url_for(".home"))
            error = _("Wrong login or password. Lost them? Ask the school for new ones.")
        except throttle.Throttled as exc:
            return _page("reservation/portal/sign_in.html", 429, error=_throttled(exc.until),
                         login=request.form.get("login", ""))
    return _page("reservation/portal/sign_in.html", 401 if error else 200, error=error,
                 login=request.form.get("login", ""))


def _throttled(until: dt.datetime) -> str:
    wait = until - utcnow()
    if wait <= dt.timedelta(minutes=1):
        return ngettext("Too many failed sign-ins: wait %(num)d second, then try again.",
                        "Too many failed sign-ins: wait %(num)d seconds, then try again.",
                        max(1, math.ceil(wait.total_seconds())))
    next_minute = (until + dt.timedelta(seconds=59)).replace(second=0, microsecond=0)
    return _("Too many failed sign-ins: try again after %(time)s.",
             time=format_time(next_minute, "short"))


def sign_out():
    signin.forget()
    flash(_("You are signed out."), "success")
    return redirect(url_for(".sign_in"))


@family_required
def home(individual):
    session = db_session()
    place = current_establishment()
    today = bookings.local_now(place).date()
    low, high = topups.limits(place, _settings())
    payments = find_payments(session, place, account_id=individual.account_id,
                             limit=PAYMENTS_SHOWN)
    return _page("reservation/portal/home.html", individual=individual,
                 balance=individuals.balance(session, place, individual),
                 passages=individuals.last_passages(session, place, individual, today=today),
                 payments=payments, low=low, high=high, errors={}, form={})


@family_required
def top_up(individual):
    place = current_establishment()
    errors: dict = {}
    try:
        amount = topups.parse_amount(place, _settings(), request.form.get("amount", ""),
                                     _locale())
        with _write() as session:
            link = topups.start(session, current_runtime(), _place(session),
                                _mine(session, individual), amount)
        return redirect(link)
    except (Invalid, Veto, NotFound) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"amount": str(exc)}
    session = db_session()
    low, high = topups.limits(place, _settings())
    return _page("reservation/portal/home.html", 422, individual=individual,
                 balance=individuals.balance(session, place, individual),
                 passages=individuals.last_passages(
                     session, place, individual, today=bookings.local_now(place).date()),
                 payments=find_payments(session, place, account_id=individual.account_id,
                                        limit=PAYMENTS_SHOWN),
                 low=low, high=high, errors=errors, form=request.form)


@family_required
def account(individual):
    errors: dict = {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            with _write() as session:
                mine = _mine(session, individual)
                if action == "login":
                    logins.change_login(session, _place(session), mine,
                                        request.form.get("login", ""))
                    message = _("Your login is now %(login)s.", login=mine.login)
                elif action == "password":
                    logins.change_password(mine, request.form.get("current", ""),
                                           request.form.get("new", ""),
                                           request.form.get("confirm", ""))
                    message = _("Your password is changed.")
                elif action == "email":
                    mine.contact_email = _checked_email(request.form.get("email", ""))
                    message = _("Your contact e-mail is saved.")
                else:
                    abort(400)
                signin.remember(mine)
            flash(message, "success")
            return redirect(url_for(".account"))
        except Invalid as exc:
            errors = exc.errors
        individual = signin.current_individual() or individual
    return _page("reservation/portal/account.html", 422 if errors else 200,
                 individual=individual, errors=errors, form=request.form,
                 action=request.form.get("action"))


def _checked_email(text: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    text = text.strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid({"email": _("this is not an e-mail address")}) from None


@family_required
def reservation(individual):
    settings = _settings()
    if not settings.get("reservation_enabled"):
        abort(404)
    place = current_establishment()
    errors: dict = {}
    if request.method == "POST":
        try:
            day = _day(request.form.get("day", ""))
            with _write() as session:
                school = _place(session)
                rules = bookings.rules_for(session, school, settings)
                now = bookings.local_now(school)
                mine = _mine(session, individual)
                if request.form.get("action") == "cancel":
                    bookings.cancel(session, school, mine, rules, day, now=now)
                    message = _("The meal of %(day)s is cancelled.", day=day.isoformat())
                else:
                    booked = bookings.book(session, school, mine, rules, day, now=now)
                    message = _("The meal of %(day)s is reserved.", day=booked.day.isoformat())
            flash(message, "success")
            return redirect(url_for(".reservation"))
        except Refused as exc:
            errors["_form"] = str(exc)
    session = db_session()
    rules = bookings.rules_for(session, place, settings)
    now = bookings.local_now(place)
    booked = bookings.booked(session, place, individual, since=now.date())
    return _page("reservation/portal/reservation.html", 422 if errors else 200,
                 individual=individual, errors=errors, rules=rules,
                 bookable=planning.bookable_days(rules, now),
                 booked=[(row, _cancellable(rules, row.day, now)) for row in booked],
                 deadline=lambda day: planning.deadline(rules, day))


def _cancellable(rules, day: dt.date, now: dt.datetime) -> bool:
    try:
        planning.check_cancellation(rules, day, now)
    except Refused:
        return False
    return True


def _day(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(_("Choose a day in the list.")) from None


def logo():
    place = current_establishment()
    if not place.logo:
        abort(404)
    response = Response(place.logo, mimetype=place.logo_type)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_reservation_portal", __name__, template_folder="../templates")
    bp.add_url_rule("/portal/", "sign_in", sign_in, methods=["GET", "POST"])
    bp.add_url_rule("/portal/sign-out", "sign_out", sign_out, methods=["POST"])
    bp.add_url_rule("/portal/home", "home", home)
    bp.add_url_rule("/portal/top-up", "top_up", top_up, methods=["POST"])
    bp.add_url_rule("/portal/account", "account", account, methods=["GET", "POST"])
    bp.add_url_rule("/portal/reservation", "reservation", reservation,
                    methods=["GET", "POST"])
    bp.add_url_rule("/portal/logo", "logo", logo)
    return bp
