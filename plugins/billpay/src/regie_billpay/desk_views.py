"""Pages of the desks' day: reports (consolidated register, register per payee, DBF per
payee), closing the day, and the supervisor's desks, cashiers and certificates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.dates import get_day_names
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
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from regie.api import (
    User,
    Veto,
    can,
    current_establishment,
    current_runtime,
    db_session,
    get_for,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_billpay import closing, desk_details, desk_guard
from regie_billpay.bills import local_now
from regie_billpay.certificates import (
    CertificateAuthority,
    issue_for_desk,
    revoke_for_desk,
    revoke_serial,
)
from regie_billpay.models import City, Desk, DeskCashier, DeskDay, Payee
from regie_billpay.reports import exports, pdf, registers

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("consolidated", "payees", "dbf")
MIN_PKCS12_PASSWORD = 8


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_billpay_desk", __name__, template_folder=str(TEMPLATES),
                   static_folder=str(TEMPLATES.parent / "desk_static"),
                   static_url_path="/desk-static")
    for rule, view, methods in (
        ("/desk/reports", reports_page, ["GET"]),
        ("/desk/reports/consolidated.pdf", consolidated_pdf, ["GET"]),
        ("/desk/reports/payees.pdf", payees_pdf, ["GET"]),
        ("/desk/reports/dbf/<int:payee_id>", payee_dbf, ["GET"]),
        ("/desk/close", close_day, ["POST"]),
        ("/desk/desks", desks_page, ["GET", "POST"]),
        ("/desk/desks/<int:desk_id>", desk_page, ["GET"]),
        ("/desk/desks/<int:desk_id>/details", edit_desk, ["POST"]),
        ("/desk/desks/<int:desk_id>/cashiers", desk_cashiers, ["POST"]),
        ("/desk/desks/<int:desk_id>/certificate", desk_certificate, ["POST"]),
        ("/desk/desks/<int:desk_id>/revoke", desk_revoke, ["POST"]),
    ):
        bp.add_url_rule(rule, view.__name__, view, methods=methods)
    return bp


# --- scope of a report: which day, which desks ---------------------------------------------


class _Scope:
    """The day and desks a report covers, read from the query string, with what is wrong."""

    def __init__(self) -> None:
        establishment = current_establishment()
        session = db_session()
        self.today = local_now(establishment).date()
        self.first = self.today.replace(day=1)
        self.error = ""
        self.supervisor = can("billpay.supervisor")
        self.day = self._day(request.values.get("day", ""))
        if self.supervisor:
            self.all_desks = list(session.scalars(select_for(establishment, Desk)
                                                  .order_by(Desk.code)))
            chosen = request.values.get("desk", "")
            self.desk = next((desk for desk in self.all_desks if str(desk.id) == chosen), None)
            self.desks = [self.desk] if self.desk else self.all_desks
        else:
            self.desk = desk_guard.current_desk(session, establishment, current_user)
            self.all_desks = [self.desk]
            self.desks = [self.desk]

    def _day(self, text: str) -> dt.date:
        if not text:
            return self.today
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            self.error = _("'%(text)s' is not a date.", text=text)
            return self.today
        if not self.first <= day <= self.today:
            self.error = _("Reports cover the days of the current month up to today "
                           "(%(first)s – %(today)s).", first=self.first.strftime("%d.%m.%Y"),
                           today=self.today.strftime("%d.%m.%Y"))
            return self.today
        return day

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=offset)
                for offset in range((self.today - self.first).days + 1)]

    def query(self, **extra) -> dict:
        values = {"day": self.day.isoformat(), **extra}
        if self.desk is not None and self.supervisor:
            values["desk"] = self.desk.id
        return values


def _locale() -> str:
    return str(get_locale() or "uk")


def _closed_days(scope: _Scope) -> dict[int, DeskDay]:
    rows = db_session().scalars(select_for(
        current_establishment(), DeskDay, DeskDay.day == scope.day,
        DeskDay.desk_id.in_([desk.id for desk in scope.desks]),
        DeskDay.closed_at.is_not(None)))
    return {row.desk_id: row for row in rows}


@require_permission("billpay.cashier")
def reports_page():
    establishment = current_establishment()
    scope = _Scope()
    kind = request.args.get("kind", "consolidated")
    if kind not in KINDS:
        kind = "consolidated"
    session = db_session()
    context = {"scope": scope, "kind": kind, "closed": _closed_days(scope)}
    if kind == "consolidated":
        context["register"] = registers.consolidated(session, establishment, scope.day,
                                                     scope.desks)
    elif kind == "payees":
        context["registers"] = registers.per_payee(session, establishment, scope.day,
                                                   scope.desks)
    else:
        context["payees"] = registers.payees_paid(session, establishment, scope.day,
                                                  scope.desks)
    status = 400 if scope.error else 200
    return render_template("billpay/desk/reports.html", **context), status


def _refuse_bad_scope(scope: _Scope):
    if scope.error:
        flash(scope.error, "error")
        return redirect(url_for(".reports_page"))
    return None


@require_permission("billpay.cashier")
def consolidated_pdf():
    scope = _Scope()
    if (refused := _refuse_bad_scope(scope)) is not None:
        return refused
    establishment = current_establishment()
    register = registers.consolidated(db_session(), establishment, scope.day, scope.desks)
    return _download(pdf.consolidated_pdf(establishment, register, _locale()),
                     f"register-{scope.day:%Y%m%d}.pdf", "application/pdf",
                     inline=request.args.get("print") == "1")


@require_permission("billpay.cashier")
def payees_pdf():
    scope = _Scope()
    if (refused := _refuse_bad_scope(scope)) is not None:
        return refused
    establishment = current_establishment()
    payee_registers = registers.per_payee(db_session(), establishment, scope.day, scope.desks)
    return _download(pdf.payees_pdf(establishment, scope.day, scope.desks, payee_registers,
                                    _locale()),
                     f"payees-{scope.day:%Y%m%d}.pdf", "application/pdf",
                     inline=request.args.get("print") == "1")


@require_permission("billpay.cashier")
def payee_dbf(payee_id: int):
    scope = _Scope()
    if (refused := _refuse_bad_scope(scope)) is not None:
        return refused
    establishment = current_establishment()
    session = db_session()
    payee = get_for(session, establishment, Payee, payee_id)
    if payee is None:
        abort(404)
    try:
        filename, content = exports.payee_dbf(session, establishment, scope.day, scope.desks,
                                              payee)
    except Veto as error:
        flash(_("The DBF file of %(payee)s was not made: %(error)s", payee=payee.name,
                error=error), "error")
        return redirect(url_for(".reports_page", kind="dbf", **scope.query()))
    return _download(content, filename, "application/x-dbf")


def _download(content: bytes, filename: str, content_type: str, *, inline: bool = False):
    disposition = "inline" if inline else "attachment"
    return Response(content, content_type=content_type, headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "no-store"})


# --- closing the day -----------------------------------------------------------------------


@require_permission("billpay.cashier")
def close_day():
    establishment = current_establishment()
    scope = _Scope()
    if scope.error:
        flash(scope.error, "error")
        return redirect(url_for(".reports_page"))
    if scope.supervisor and scope.desk is None:
        flash(_("Choose the desk whose day to close."), "error")
        return redirect(url_for(".reports_page", **scope.query()))
    try:
        with current_runtime().db.transaction() as session:
            desk = get_for(session, establishment, Desk, scope.desk.id)
            closing.close_day(session, establishment, desk, scope.day,
                              user=session.get(User, current_user.id), today=scope.today)
    except Veto as refusal:
        flash(str(refusal), "error")
        return redirect(url_for(".reports_page", **scope.query()))
    flash(_("The day %(day)s of desk %(desk)s is closed: it takes no more payments or "
            "cancellations.", day=scope.day.strftime("%d.%m.%Y"), desk=scope.desk.code),
          "success")
    return redirect(url_for(".reports_page", **scope.query()))


# --- the supervisor's desks ----------------------------------------------------------------


def _time(text: str, errors: dict, field: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        errors[field] = _("Give a time such as 08:30.")
        return None


@require_permission("billpay.supervisor")
def desks_page():
    establishment = current_establishment()
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        code, name = form.get("code", "").strip(), form.get("name", "").strip()
        for field, value, longest in (("code", code, 20), ("name", name, 200),
                                      ("bank", form.get("bank", "").strip(), 200)):
            if field != "bank" and not value:
                errors[field] = _("is required")
            elif len(value) > longest:
                errors[field] = _("At most %(count)s characters.", count=longest)
        opens = _time(form.get("opens_at", ""), errors, "opens_at")
        closes = _time(form.get("closes_at", ""), errors, "closes_at")
        if opens and closes and opens >= closes:
            errors["closes_at"] = _("The desk must close after it opens.")
        with current_runtime().db.transaction() as session:
            city = get_for(session, establishment, City, _int(form.get("city_id")))
            if city is None:
                errors["city_id"] = _("Choose a city.")
            elif code and session.scalar(select_for(establishment, Desk, Desk.code == code)):
                errors["code"] = _("Desk %(code)s already exists.", code=code)
            if not errors:
                session.add(Desk(establishment_id=establishment.id, code=code, name=name,
                                 bank=form.get("bank", "").strip(), city_id=city.id,
                                 inter_city=form.get("inter_city") == "on", opens_at=opens,
                                 closes_at=closes))
        if not errors:
            flash(_("Desk %(code)s created.", code=code), "success")
            return redirect(url_for(".desks_page"))
    session = db_session()
    desks = list(session.scalars(select_for(establishment, Desk).order_by(Desk.code)))
    cities = list(session.scalars(select_for(establishment, City).order_by(City.name)))
    counts = {desk.id: 0 for desk in desks}
    for row in session.scalars(select_for(establishment, DeskCashier)):
        counts[row.desk_id] = counts.get(row.desk_id, 0) + 1
    return render_template("billpay/desk/desks.html", desks=desks, cities=cities,
                           counts=counts, errors=errors, form=form), 400 if errors else 200


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def _desk_or_404(session, desk_id: int) -> Desk:
    desk = get_for(session, current_establishment(), Desk, desk_id)
    if desk is None:
        abort(404)
    return desk


@require_permission("billpay.supervisor")
def desk_page(desk_id: int):
    session = db_session()
    return _desk_page(session, _desk_or_404(session, desk_id))


def _desk_page(session, desk: Desk, errors: dict[str, str] | None = None):
    cashiers = list(session.scalars(select(User).join(
        DeskCashier, DeskCashier.user_id == User.id).where(
        DeskCashier.establishment_id == desk.establishment_id, DeskCashier.desk_id == desk.id)
        .order_by(User.username)))
    weekdays = get_day_names("wide", locale=get_locale())
    return render_template(
        "billpay/desk/desk.html", desk=desk, cashiers=cashiers, revoked=_revoked_serials(),
        weekdays=[(day, weekdays[day - 1].capitalize()) for day in desk_details.WEEKDAYS],
        errors=errors or {}, form=request.form if errors else None), 400 if errors else 200


@require_permission("billpay.supervisor")
def edit_desk(desk_id: int):
    with current_runtime().db.transaction() as session:
        desk = _desk_or_404(session, desk_id)
        errors = desk_details.change(desk, request.form)
        code = desk.code
    if errors:
        session = db_session()
        return _desk_page(session, _desk_or_404(session, desk_id), errors)
    flash(_("Desk %(code)s saved.", code=code), "success")
    return redirect(url_for(".desk_page", desk_id=desk_id))


def _revoked_serials() -> dict:
    authority = CertificateAuthority.of_instance(current_runtime().config.instance)
    return authority.revoked() if authority.exists() else {}


@require_permission("billpay.supervisor")
def desk_cashiers(desk_id: int):
    establishment = current_establishment()
    username = request.form.get("username", "").strip()
    remove = request.form.get("remove", "")
    with current_runtime().db.transaction() as session:
        desk = _desk_or_404(session, desk_id)
        if remove:
            row = session.scalar(select_for(establishment, DeskCashier,
                                            DeskCashier.desk_id == desk.id,
                                            DeskCashier.user_id == _int(remove)))
            if row is not None:
                session.delete(row)
                flash(_("Cashier removed from desk %(desk)s.", desk=desk.code), "success")
        else:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                flash(_("No user '%(username)s'.", username=username), "error")
            elif session.scalar(select_for(establishment, DeskCashier,
                                           DeskCashier.desk_id == desk.id,
                                           DeskCashier.user_id == user.id)):
                flash(_("%(username)s is already a cashier of desk %(desk)s.",
                        username=username, desk=desk.code), "info")
            else:
                session.add(DeskCashier(establishment_id=establishment.id, desk_id=desk.id,
                                        user_id=user.id))
                flash(_("%(username)s is now a cashier of desk %(desk)s. Grant them the "
                        "cashier role if they do not hold it.", username=username,
                        desk=desk.code), "success")
    return redirect(url_for(".desk_page", desk_id=desk_id))


@require_permission("billpay.supervisor")
def desk_certificate(desk_id: int):
    """Issue the desk a new certificate and send its PKCS#12 bundle, protected by the password
    the supervisor typed (the previous certificate is revoked)."""
    establishment = current_establishment()
    password = request.form.get("password", "")
    if len(password) < MIN_PKCS12_PASSWORD:
        flash(_("Choose a password of at least %(count)s characters for the certificate "
                "file: the cashier types it when installing it.", count=MIN_PKCS12_PASSWORD),
              "error")
        return redirect(url_for(".desk_page", desk_id=desk_id))
    authority = CertificateAuthority.of_instance(current_runtime().config.instance)
    with current_runtime().db.transaction() as session:
        desk = _desk_or_404(session, desk_id)
        user = session.get(User, current_user.id)
        issued, previous = issue_for_desk(session, authority, establishment, desk, user=user,
                                          pkcs12_password=password)
        code = desk.code
    revoke_serial(authority, previous, f"replaced by {issued.serial}")
    return _download(issued.pkcs12, f"{establishment.slug}-desk-{code}.p12",
                     "application/x-pkcs12")


@require_permission("billpay.supervisor")
def desk_revoke(desk_id: int):
    establishment = current_establishment()
    authority = CertificateAuthority.of_instance(current_runtime().config.instance)
    with current_runtime().db.transaction() as session:
        desk = _desk_or_404(session, desk_id)
        user = session.get(User, current_user.id)
        try:
            serial = revoke_for_desk(session, authority, establishment, desk, user=user,
                                     reason=request.form.get("reason", ""))
        except Veto as error:
            flash(str(error), "error")
        else:
            flash(_("Certificate %(serial)s revoked: desk %(desk)s has no certificate now.",
                    serial=serial, desk=desk.code), "success")
    return redirect(url_for(".desk_page", desk_id=desk_id))
