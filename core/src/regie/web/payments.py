"""Payment pages of an establishment.

Back office (``/<slug>/payments/…``, ``/<slug>/accounts/…``): the payments list with its filters,
a payment's detail with its notifications and audit trail, the review queue, the manual entry
form, payment requests, and account statements.

Payer pages (``/<slug>/pay/…``, no sign-in): a payment request's page, where the payer chooses
an online method, and the return pages, which show the state the server knows and never
confirm money. ``/callbacks/<slug>/payments/notify/<method>`` is the generic notification
endpoint of online methods (see :class:`regie.services.providers.ReturnUrls`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.db.money import LedgerAccount, Payment, PaymentRequest
from regie.db.tenancy import get_for, select_for
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import ledger, payments, payments_notifications, payments_requests
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.mail import settings as mail_settings
from regie.services.money import Money, MoneyError, parse
from regie.services.providers import AutoSubmitForm, RawRequest
from regie.web.context import can, current_runtime, db_session, require_permission, write_session
from regie.web.forms import ActionForm, choices, looks_like_email, show_errors
from regie.web.mail import SEND as MAIL_SEND
from regie.web.mounting import establishment_blueprint
from regie.web.pagination import paginate
from regie.web.security import allow_form_action

bp = establishment_blueprint("payments", __name__)
callbacks = Blueprint("payments_callbacks", __name__,
                      url_prefix="/callbacks/<establishment_slug>/payments")

VIEW = "payments.view"
MANAGE = "payments.manage"
REVIEW = "payments.review"

STATE_LABELS = {
    "pending": _l("pending"),
    "succeeded": _l("paid"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "refunded": _l("refunded"),
    "needs_review": _l("to review"),
}
STATE_BADGES = {"succeeded": "success", "failed": "danger", "needs_review": "danger",
                "pending": "info", "refunded": "info"}


# --- template helpers ----------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.app_template_filter("money")
def money_filter(amount: int | None, currency: str) -> str:
    """``{{ payment.amount|money(payment.currency) }}``: the amount in the page's language."""
    return "" if amount is None else Money(amount, currency).format(_locale())


@bp.app_template_global()
def payment_state(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@bp.app_template_global()
def payment_state_badge(state: str) -> Markup:
    style = STATE_BADGES.get(state)
    return Markup('<span class="badge{}">{}</span>').format(
        f" badge-{style}" if style else "", payment_state(state))


@bp.app_template_global()
def request_state(item: PaymentRequest) -> str:
    if item.state == "open" and not payments_requests.is_payable(item):
        return _("expired")
    return {"open": _("waiting for payment"), "paid": _("paid"),
            "cancelled": _("cancelled")}.get(item.state, item.state)


@bp.app_template_global()
def payments_menu() -> bool:
    """Whether the establishment's menu shows Payments."""
    return g.get("establishment") is not None and can(VIEW)


def _place(session) -> Establishment:
    return session.get(Establishment, g.establishment.id)


def _actor():
    return current_user.user


def _amount(form: FlaskForm, field: str, currency: str) -> int | None:
    """The amount typed in ``field`` (in the page's language), or ``None`` with the error put
    beside the field."""
    text = (getattr(form, field).data or "").strip()
    try:
        return parse(text, currency, _locale()).amount
    except MoneyError as exc:
        getattr(form, field).errors = [*getattr(form, field).errors, str(exc)]
        return None


def _method_labels() -> dict[str, str]:
    return {method.code: str(method.label)
            for method in payments.available_methods(current_runtime(), g.establishment)}


# --- payments list -------------------------------------------------------------------------


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    method = SelectField(_l("Method"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=250)])


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zoneinfo.ZoneInfo(g.establishment.timezone))


@bp.route("/payments/")
@require_permission(VIEW)
def index():
    form = FilterForm(request.args)
    form.method.choices = choices([("", _("All")), *_method_labels().items()])
    form.state.choices = choices([("", _("All")), *((code, str(label))
                                                     for code, label in STATE_LABELS.items())])
    form.validate()
    session = db_session()
    query = payments.search_query(
        g.establishment,
        start=_local_midnight(form.start.data) if form.start.data and not form.start.errors
        else None,
        end=_local_midnight(form.end.data + dt.timedelta(days=1))
        if form.end.data and not form.end.errors else None,
        method=form.method.data or None, state=form.state.data or None,
        reference=form.reference.data or None)
    waiting, unmatched = payments.review_queue(session, g.establishment)
    return render_template("payments/index.html", form=form, page=paginate(session, query),
                           methods=_method_labels(), review_count=len(waiting) + len(unmatched))


# --- one payment ---------------------------------------------------------------------------


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount"), description=_l("Empty: all that was not refunded yet."))
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    record_only = BooleanField(_l("Already given back outside Régie (do not ask the provider)"))


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices([
        ("accept", _l("Accept: the money was received")),
        ("reject", _l("Reject: no money was received"))]))
    amount = StringField(_l("Amount received"),
                         description=_l("Empty: what the provider reported."))
    note = TextAreaField(_l("What was checked"), validators=[DataRequired(), Length(max=2000)])


def _payment(session, payment_id: int) -> Payment:
    payment = get_for(session, g.establishment, Payment, payment_id)
    if payment is None:
        abort(404)
    return payment


def _detail(payment: Payment, **forms):
    session = db_session()
    method = payments.method_of(current_runtime(), g.establishment, payment.method) if (
        payment.method in _method_labels()) else None
    forms.setdefault("cancel_form", CancelForm(prefix="cancel"))
    forms.setdefault("refund_form", RefundForm(prefix="refund"))
    forms.setdefault("review_form", ReviewForm(prefix="review"))
    received = (payment.review_evidence or {}).get("received", {}).get("amount")
    if received is not None and not forms["review_form"].amount.data:
        forms["review_form"].amount.data = Money(received, payment.currency).format(_locale())
    return render_template(
        "payments/detail.html", payment=payment, method=method,
        account=session.get(LedgerAccount, payment.account_id),
        entries=payments.entries_of(session, payment),
        refunds=payments.refunds_of(session, payment),
        notifications=payments.notifications_of(session, payment),
        trail=payments.audit_trail(session, payment),
        refundable=payments.refundable(session, payment), **forms)


@bp.route("/payments/<int:payment_id>")
@require_permission(VIEW)
def detail(payment_id: int):
    return _detail(_payment(db_session(), payment_id))


@bp.route("/payments/<int:payment_id>/cancel", methods=["POST"])
@require_permission(MANAGE)
def cancel(payment_id: int):
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _detail(_payment(db_session(), payment_id), cancel_form=form), 400
    session = write_session()
    try:
        payments.cancel(session, current_runtime(), _place(session), payment_id,
                        reason=form.reason.data, actor=_actor())
    except (Veto, NotFound) as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".detail", payment_id=payment_id))
    session.commit()
    flash(_("The payment was cancelled."), "success")
    return redirect(url_for(".detail", payment_id=payment_id))


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@require_permission(REVIEW)
def refund(payment_id: int):
    form = RefundForm(prefix="refund")
    payment = _payment(db_session(), payment_id)
    if not form.validate_on_submit():
        return _detail(payment, refund_form=form), 400
    amount = _amount(form, "amount", payment.currency) if form.amount.data else None
    if form.amount.errors:
        return _detail(payment, refund_form=form), 400
    try:
        made = payments.refund(current_runtime(), g.establishment.id, payment_id, amount,
                               reason=form.reason.data, actor=_actor(),
                               through_provider=False if form.record_only.data else None)
    except Invalid as exc:
        show_errors(form, exc)
        return _detail(payment, refund_form=form), 400
    except Veto as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", payment_id=payment_id))
    if made.state == "succeeded":
        flash(_("Refund of %(amount)s recorded.", amount=money_filter(made.amount,
                                                                        payment.currency)),
              "success")
    else:
        flash(_("The provider refused the refund: %(reason)s",
                reason=made.provider_message or "-"), "error")
    return redirect(url_for(".detail", payment_id=payment_id))


@bp.route("/payments/<int:payment_id>/review", methods=["POST"])
@require_permission(REVIEW)
def review(payment_id: int):
    form = ReviewForm(prefix="review")
    payment = _payment(db_session(), payment_id)
    if not form.validate_on_submit():
        return _detail(payment, review_form=form), 400
    accept = form.decision.data == "accept"
    amount = _amount(form, "amount", payment.currency) if accept and form.amount.data else None
    if form.amount.errors:
        return _detail(payment, review_form=form), 400
    session = write_session()
    try:
        payments.resolve_review(session, current_runtime(), _place(session), payment_id,
                                accept=accept, note=form.note.data, amount=amount,
                                actor=_actor())
    except Invalid as exc:
        session.rollback()
        show_errors(form, exc)
        return _detail(_payment(db_session(), payment_id), review_form=form), 400
    except Veto as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".detail", payment_id=payment_id))
    session.commit()
    flash(_("The payment was accepted.") if accept else _("The payment was rejected."),
          "success")
    return redirect(url_for(".detail", payment_id=payment_id))


# --- review queue --------------------------------------------------------------------------


class DismissForm(FlaskForm):
    note = StringField(_l("What was checked"), validators=[DataRequired(), Length(max=2000)])


class AdoptForm(FlaskForm):
    account = StringField(_l("Account"), validators=[DataRequired()],
                          description=_l("Its number, or KIND:OWNER."))
    note = StringField(_l("What was checked"), validators=[DataRequired(), Length(max=2000)])


@bp.route("/payments/review")
@require_permission(VIEW)
def review_queue():
    waiting, unmatched = payments.review_queue(db_session(), g.establishment)
    return render_template("payments/review.html", waiting=waiting, unmatched=unmatched,
                           dismiss_form=DismissForm(), adopt_form=AdoptForm(),
                           methods=_method_labels())


@bp.route("/payments/notifications/<int:notification_id>/adopt", methods=["POST"])
@require_permission(REVIEW)
def adopt(notification_id: int):
    """Record the money of an unmatched notification for the account staff found."""
    form = AdoptForm()
    if not form.validate_on_submit():
        flash(_("Give the account and say what was checked."), "error")
        return redirect(url_for(".review_queue"))
    try:
        account = ledger.find_account(db_session(), g.establishment, form.account.data)
        result = payments_notifications.adopt(current_runtime(), g.establishment.id,
                                              notification_id, account.id,
                                              note=form.note.data, actor=_actor())
    except (Invalid, NotFound, Veto) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".review_queue"))
    flash(_("The payment was recorded from the notification."), "success")
    return redirect(url_for(".detail", payment_id=result.payment_id))


@bp.route("/payments/notifications/<int:notification_id>/dismiss", methods=["POST"])
@require_permission(REVIEW)
def dismiss(notification_id: int):
    form = DismissForm()
    if not form.validate_on_submit():
        flash(_("Say what was checked before taking it out of the queue."), "error")
        return redirect(url_for(".review_queue"))
    session = write_session()
    try:
        payments.dismiss_notification(session, _place(session), notification_id,
                                      note=form.note.data, actor=_actor())
    except NotFound:
        session.rollback()
        abort(404)
    session.commit()
    flash(_("The notification was taken out of the queue."), "success")
    return redirect(url_for(".review_queue"))


# --- manual entry --------------------------------------------------------------------------


class ManualForm(FlaskForm):
    account = StringField(
        _l("Account"), validators=[DataRequired()],
        description=_l("Its number, or KIND:OWNER (e.g. reservation.pupil:1234)."))
    amount = StringField(_l("Amount"), render_kw={"inputmode": "decimal", "autocomplete": "off",
                                                  "required": True})
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=250)],
                            description=_l("Unique for the method; empty: the next number."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    send_receipt = BooleanField(_l("Send the receipt by mail"),
                                description=_l("The mail assistant opens once it is recorded."))


def _manual_form(provider) -> ManualForm:
    """The manual entry form with the method's own fields (``detail_<name>``), checked by the
    service so that every problem is shown at once."""

    class Form(ManualForm):
        pass

    for name, label, required in provider.fields():
        setattr(Form, f"detail_{name}", StringField(label, render_kw={"required": required}))
    return Form()


def _record(form: ManualForm, method, provider) -> tuple[int, int] | None:
    """Record the payment the validated form describes: its number and receipt number, or
    ``None`` with every problem put beside its field."""
    session = write_session()
    place = _place(session)
    fields = {name: form[f"detail_{name}"].data or ""
              for name, _label, _required in provider.fields()}
    mapping = {name: f"detail_{name}" for name in fields}
    account = None
    if form.account.data:
        try:
            account = ledger.find_account(session, place, form.account.data)
        except NotFound as exc:
            form.account.errors = [*form.account.errors, str(exc)]
    amount = _amount(form, "amount", (account or place).currency)
    if form.errors or account is None or amount is None:
        problems = payments.manual_fields(provider, fields)[1]
        if problems:
            show_errors(form, Invalid(problems), mapping)
        return None
    try:
        payment = payments.record_manual(
            session, current_runtime(), place, account=account, method=method.code,
            amount=amount, reference=form.reference.data or "", fields=fields,
            note=form.note.data or "", actor=_actor())
    except Invalid as exc:
        session.rollback()
        show_errors(form, exc, mapping)
        return None
    except Veto as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return None
    recorded = payment.id, payment.receipt_number
    session.commit()
    return recorded


@bp.route("/payments/new", methods=["GET", "POST"])
@require_permission(MANAGE)
def new():
    manual = payments.available_methods(current_runtime(), g.establishment, online=False)
    chosen = next((m for m in manual if m.code == request.args.get("method")), manual[0])
    provider = payments.provider_for(current_runtime(), g.establishment, chosen)
    form = _manual_form(provider)
    may_mail = can(MAIL_SEND)
    if request.method == "GET":
        form.account.data = request.args.get("account") or form.account.data
        form.send_receipt.data = may_mail and mail_settings.of_establishment(
            db_session(), g.establishment).receipt_by_mail
    if request.method == "POST":
        form.validate()
        recorded = _record(form, chosen, provider)
        if recorded:
            flash(_("Payment recorded: receipt no. %(number)s.", number=recorded[1]),
                  "success")
            if may_mail and form.send_receipt.data:
                return redirect(url_for("mail.send_receipt", payment_id=recorded[0]))
            return redirect(url_for(".detail", payment_id=recorded[0]))
    status = 400 if request.method == "POST" else 200
    detail_fields = [form[f"detail_{name}"] for name, _label, _required in provider.fields()]
    return render_template("payments/new.html", form=form, methods=manual, chosen=chosen,
                           detail_fields=detail_fields, may_mail=may_mail), status


# --- accounts ------------------------------------------------------------------------------


@bp.route("/accounts/")
@require_permission(VIEW)
def accounts():
    search = request.args.get("q", "").strip()
    page = paginate(db_session(), ledger.accounts_query(g.establishment, search=search))
    return render_template("payments/accounts.html", page=page, search=search)


@bp.route("/accounts/<int:account_id>")
@require_permission(VIEW)
def statement(account_id: int):
    session = db_session()
    account = get_for(session, g.establishment, LedgerAccount, account_id)
    if account is None:
        abort(404)
    return render_template("payments/statement.html", account=account,
                           entries=ledger.statement(session, account),
                           online=bool(payments.available_methods(
                               current_runtime(), g.establishment, online=True)))


# --- payment requests ----------------------------------------------------------------------


class RequestForm(FlaskForm):
    account = StringField(_l("Account"), validators=[DataRequired()],
                          description=_l("Its number, or KIND:OWNER."))
    amount = StringField(_l("Amount"), validators=[DataRequired()],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    description = StringField(_l("What it is for"), validators=[DataRequired(), Length(max=250)],
                              description=_l("The payer sees it, e.g. Canteen, November."))
    payer_email = StringField(_l("Payer's e-mail"),
                              validators=[Optional(), Length(max=254), looks_like_email])
    expires_in_days = IntegerField(_l("Valid for (days)"),
                                   validators=[Optional(), NumberRange(1, 365)])


@bp.route("/payments/requests/")
@require_permission(VIEW)
def requests():
    query = select_for(g.establishment, PaymentRequest).order_by(
        PaymentRequest.created_at.desc(), PaymentRequest.id.desc())
    return render_template("payments/requests.html", page=paginate(db_session(), query))


@bp.route("/payments/requests/new", methods=["GET", "POST"])
@require_permission(MANAGE)
def new_request():
    runtime = current_runtime()
    form = RequestForm()
    if request.method == "GET" and request.args.get("account"):
        form.account.data = request.args["account"]
    online = payments.available_methods(runtime, g.establishment, online=True)
    if online and form.validate_on_submit():
        session = write_session()
        place = _place(session)
        try:
            account = ledger.find_account(session, place, form.account.data)
        except NotFound as exc:
            form.account.errors = [str(exc)]
        else:
            amount = _amount(form, "amount", account.currency)
            if amount is not None:
                days = form.expires_in_days.data
                try:
                    created = payments_requests.create_request(
                        session, runtime, place, account=account, amount=amount,
                        description=form.description.data, payer_email=form.payer_email.data,
                        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
                        actor=_actor())
                except Invalid as exc:
                    session.rollback()
                    show_errors(form, exc)
                else:
                    request_id = created.id
                    session.commit()
                    flash(_("Payment request created: send the payer its link."), "success")
                    return redirect(url_for(".request_detail", request_id=request_id))
    status = 400 if request.method == "POST" else 200
    return render_template("payments/request_new.html", form=form, online=online), status


def _request(session, request_id: int) -> PaymentRequest:
    found = get_for(session, g.establishment, PaymentRequest, request_id)
    if found is None:
        abort(404)
    return found


@bp.route("/payments/requests/<int:request_id>")
@require_permission(VIEW)
def request_detail(request_id: int):
    session = db_session()
    found = _request(session, request_id)
    return render_template(
        "payments/request_detail.html", item=found,
        link=payments_requests.request_link(current_runtime(), g.establishment, found),
        attempts=payments_requests.attempts(session, found), action=ActionForm())


@bp.route("/payments/requests/<int:request_id>/cancel", methods=["POST"])
@require_permission(MANAGE)
def cancel_request(request_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    session = write_session()
    try:
        payments_requests.cancel_request(session, _place(session), request_id, actor=_actor())
    except NotFound:
        session.rollback()
        abort(404)
    except Veto as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".request_detail", request_id=request_id))
    session.commit()
    flash(_("The payment request was cancelled: its link no longer works."), "success")
    return redirect(url_for(".request_detail", request_id=request_id))


# --- the payer's pages ---------------------------------------------------------------------


def _request_by_token(token: str) -> PaymentRequest:
    found = payments_requests.by_token(db_session(), g.establishment, token)
    if found is None:
        abort(404)
    return found


@bp.route("/pay/<token>", methods=["GET", "POST"])
def pay(token: str):
    found = _request_by_token(token)
    runtime = current_runtime()
    online = payments.available_methods(runtime, g.establishment, online=True)
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        code = request.form.get("method", "")
        if code not in {method.code for method in online}:
            error = _("Choose one of the payment methods below.")
        else:
            try:
                _payment_row, action = payments_requests.pay_request(runtime, g.establishment,
                                                                     token, code)
            except (Veto, NotFound, Invalid) as exc:
                error = str(exc)
            else:
                if isinstance(action, AutoSubmitForm):
                    target = urlsplit(action.action)
                    allow_form_action(f"{target.scheme}://{target.netloc}")
                    return render_template("payments/redirect.html", action=action)
                return redirect(action.url, code=303)
    return render_template("payments/pay.html", item=found, methods=online, form=form,
                           error=error, payable=payments_requests.is_payable(found),
                           payee=g.establishment), 400 if error else 200


@bp.route("/pay/return/<token>/<outcome>", methods=["GET", "POST"])
def payment_return(token: str, outcome: str):
    if outcome not in payments_requests.RETURN_OUTCOMES:
        abort(404)
    raw = RawRequest(method=request.method, query_string=request.query_string,
                     body=request.get_data(cache=False) if request.method == "POST" else b"",
                     remote_addr=request.remote_addr or "")
    view = payments_notifications.payment_return(current_runtime(), g.establishment, token, raw)
    if view is None:
        abort(404)
    return render_template("payments/return.html", view=view, outcome=outcome,
                           payee=g.establishment)


@bp.record_once
def _exempt_return_from_csrf(state) -> None:
    """Providers may bring the payer back with a POST of their own: it carries no CSRF token
    and changes nothing."""
    state.app.extensions["csrf"].exempt(payment_return)


@callbacks.record_once
def _exempt_callbacks_from_csrf(state) -> None:
    state.app.extensions["csrf"].exempt(callbacks)


@callbacks.route("/notify/<method>", methods=["GET", "POST"])
def notify(method: str) -> Response:
    """The generic notification endpoint: stores and applies, then answers 200 with an empty
    body whatever came of it (refused deliveries are kept with their reason)."""
    raw = RawRequest(method=request.method, query_string=request.query_string,
                     body=request.get_data(cache=False) if request.method == "POST" else b"",
                     remote_addr=request.remote_addr or "",
                     headers={name: value for name, value in request.headers.items()
                              if name in ("User-Agent", "Content-Type", "X-Forwarded-For")})
    try:
        payments_notifications.receive_notification(current_runtime(), g.establishment, method,
                                                    raw)
    except (NotFound, Veto):
        abort(404)
    return Response(b"", status=200, content_type="text/plain")
