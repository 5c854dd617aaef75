"""Mail pages of an establishment (``/<slug>/mail/…``): the outbox (states, retry, abandon,
resend), the mail settings of the establishment and of each user with the "send a test mail"
button, the template editor with its placeholder picker and live preview, and the assistant that
sends a receipt by mail."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from regie.db.mail import (
    CANCELLED,
    FAILED,
    MESSAGE_STATES,
    QUEUED,
    SENT,
    MailMessage,
    MailTemplate,
)
from regie.db.models import Establishment, User
from regie.db.money import Payment
from regie.db.tenancy import get_for
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import documents
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.mail import letters, outbox, placeholders, receipts, templates
from regie.services.mail import settings as mail_settings
from regie.services.mail.checks import send_test
from regie.services.mail.rendering import TemplateProblem
from regie.web.context import can, current_runtime, db_session, require_permission, write_session
from regie.web.forms import ActionForm, choices, show_errors
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("mail", __name__)

VIEW = "mail.view"
SEND = "mail.send"
MANAGE = "mail.manage"


@bp.app_template_global()
def mail_menu() -> bool:
    """Whether the establishment's menu shows Mail: a transport is on and the user may look."""
    establishment = g.get("establishment")
    return bool(establishment is not None and can(VIEW)
                and mail_settings.transports(current_runtime().engine, establishment))


def _establishment(session) -> Establishment:
    return session.get(Establishment, g.establishment.id)


def _user(session) -> User:
    return session.get(User, current_user.user.id)


# --- outbox -------------------------------------------------------------------------------------


@bp.route("/mail/")
@require_permission(VIEW)
def outbox_page():
    state = request.args.get("state") or None
    if state not in (None, *MESSAGE_STATES):
        abort(404)
    messages = outbox.listing(db_session(), g.establishment, state=state)
    return render_template("mail/outbox.html", messages=messages, state=state,
                           states=MESSAGE_STATES, state_label=outbox.state_label)


@bp.route("/mail/<int:message_id>")
@require_permission(VIEW)
def message(message_id: int):
    found = _message(message_id)
    return render_template("mail/message.html", message=found, resend=ResendForm(),
                           action=ActionForm(), state_label=outbox.state_label)


def _message(message_id: int) -> MailMessage:
    try:
        return outbox.get(db_session(), g.establishment, message_id)
    except NotFound:
        abort(404)


class ResendForm(FlaskForm):
    to = StringField(_l("Send to"), validators=[Length(max=2000)],
                     description=_l("Several addresses: separate them with ';'. Empty: the "
                                    "same recipients."))


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
@require_permission(SEND)
def retry(message_id: int):
    refused = _change(message_id, outbox.retry)
    return refused or _sent_or_explained(message_id)


@bp.route("/mail/<int:message_id>/cancel", methods=["POST"])
@require_permission(SEND)
def cancel(message_id: int):
    refused = _change(message_id, outbox.cancel)
    if refused:
        return refused
    flash(_("The mail is abandoned; it stays listed."), "success")
    return redirect(url_for("mail.message", message_id=message_id))


def _change(message_id: int, action):
    """Apply ``action`` (retry, cancel) to the message; a redirect saying why when refused."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = write_session()
    try:
        with session.begin():
            action(session, _establishment(session), message_id, _user(session))
    except NotFound:
        abort(404)
    except Veto as error:
        flash(str(error), "error")
        return redirect(url_for("mail.message", message_id=message_id))
    return None


@bp.route("/mail/<int:message_id>/resend", methods=["POST"])
@require_permission(SEND)
def resend(message_id: int):
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    runtime = current_runtime()
    session = write_session()
    try:
        with session.begin():
            copy = outbox.resend(session, runtime, _establishment(session), message_id,
                                 _user(session), to=form.to.data)
            copy_id = copy.id
    except NotFound:
        abort(404)
    except (Invalid, Veto) as error:
        flash(_problem(error), "error")
        return redirect(url_for("mail.message", message_id=message_id))
    return _sent_or_explained(copy_id)


def _sent_or_explained(message_id: int):
    """Try to send the message now, then show its page: sent, or why not (seed: the user sees
    why, may retry or abandon, and the document stays there for a manual send)."""
    outbox.send_due(current_runtime(), ids=[message_id])
    _forget_what_was_read()
    sent = _message(message_id)
    if sent.state == SENT:
        flash(_("Mail sent to %(to)s.", to=", ".join(sent.recipients) or _("the recipients")),
              "success")
    else:
        flash(_("The mail could not be sent: %(reason)s", reason=sent.last_error), "error")
    return redirect(url_for("mail.message", message_id=message_id))


def _forget_what_was_read() -> None:
    """After work done in other sessions (sending, a test mail): end the request session's
    snapshot and drop the rows it holds, so what follows reads what that work wrote."""
    session = db_session()
    session.rollback()
    session.expire_all()


def _problem(error: Exception) -> str:
    if isinstance(error, Invalid):
        return " ".join(error.errors.values())
    return str(error)


# --- settings -----------------------------------------------------------------------------------


class SettingsForm(FlaskForm):
    transport = SelectField(_l("Send through"))
    receipt_by_mail = BooleanField(_l("Offer to send the receipt by mail when a payment is "
                                      "recorded (ticked by default)"))
    archive_letters = BooleanField(_l("Archive sent letters (view, reprint, resend)"))
    max_attachment_kb = IntegerField(_l("Largest attachments per mail (KB)"))


class UserSettingsForm(FlaskForm):
    transport = SelectField(_l("Send through"))
    sender_name = StringField(_l("Sender name"), validators=[Length(max=200)])
    sender_address = StringField(_l("Sender address"), validators=[Length(max=254)],
                                 description=_l("Empty: the establishment's sender."))


class TestForm(FlaskForm):
    to = StringField(_l("Send a test mail to"), validators=[DataRequired(), Length(max=254)])


def _transport_choices(empty_label: str | None = None) -> list:
    found = mail_settings.transports(current_runtime().engine, g.establishment)
    pairs = [(code, str(transport.label)) for code, (_plugin, transport) in found.items()]
    if empty_label:
        pairs.insert(0, ("", empty_label))
    return choices(pairs)


@bp.route("/mail/settings", methods=["GET", "POST"])
@require_permission(MANAGE)
def settings_page():
    session = db_session()
    current = mail_settings.of_establishment(session, g.establishment)
    form = SettingsForm(obj=current)
    form.transport.choices = _transport_choices()
    if form.validate_on_submit():
        write = write_session()
        try:
            with write.begin():
                mail_settings.update(write, current_runtime().engine, _establishment(write),
                                     {name: form[name].data for name in
                                      mail_settings.ESTABLISHMENT_FIELDS}, _user(write))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Mail settings saved."), "success")
            return redirect(url_for("mail.settings_page"))
    return _render_settings(form, TestForm(to=g.establishment.email or None), for_user=False)


@bp.route("/mail/settings/me", methods=["GET", "POST"])
@require_permission()
def my_settings():
    override = mail_settings.of_user(db_session(), g.establishment, current_user.user.id)
    form = UserSettingsForm(obj=override)
    form.transport.choices = _transport_choices(_("The establishment's choice"))
    if form.validate_on_submit():
        write = write_session()
        try:
            with write.begin():
                mail_settings.update_user(write, current_runtime().engine, _establishment(write),
                                          _user(write), {name: form[name].data for name in
                                                         mail_settings.USER_FIELDS})
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Your mail settings are saved: send a test mail to use them."), "success")
            return redirect(url_for("mail.my_settings"))
    return _render_settings(form, TestForm(to=current_user.user.email or None), for_user=True)


def _render_settings(form: FlaskForm, test: TestForm, *, for_user: bool, result=None):
    session = db_session()
    runtime = current_runtime()
    user_id = current_user.user.id
    try:
        chosen = mail_settings.route(session, runtime.engine, runtime.config, g.establishment,
                                     user_id, with_user=for_user)
        verified = mail_settings.is_verified(session, g.establishment, chosen,
                                             user_id if for_user else None)
        problem = None
    except Veto as error:
        chosen, verified, problem = None, False, str(error)
    status = 422 if form.errors or test.errors else 200
    return render_template("mail/settings.html", form=form, test=test, for_user=for_user,
                           route=chosen, verified=verified, problem=problem,
                           result=result), status


@bp.route("/mail/settings/test", methods=["POST"])
@require_permission(MANAGE)
def test_settings():
    return _test(for_user=False)


@bp.route("/mail/settings/me/test", methods=["POST"])
@require_permission()
def test_my_settings():
    return _test(for_user=True)


def _test(*, for_user: bool):
    test = TestForm()
    if for_user:
        form = UserSettingsForm(formdata=None, obj=mail_settings.of_user(
            db_session(), g.establishment, current_user.user.id))
        form.transport.choices = _transport_choices(_("The establishment's choice"))
    else:
        form = SettingsForm(formdata=None, obj=mail_settings.of_establishment(
            db_session(), g.establishment))
        form.transport.choices = _transport_choices()
    result = None
    if test.validate_on_submit():
        try:
            result = send_test(current_runtime(), g.establishment, test.to.data,
                               user=current_user.user, for_user=for_user)
        except Invalid as error:
            show_errors(test, error)
        _forget_what_was_read()
    return _render_settings(form, test, for_user=for_user, result=result)


# --- templates ----------------------------------------------------------------------------------


class TemplateForm(FlaskForm):
    name = StringField(_l("Letter name"), validators=[Length(max=200)],
                       description=_l("Shown in the list of letters and, when the subject is "
                                      "empty, in the subject."))
    subject = StringField(_l("Subject"), validators=[Length(max=500)],
                          description=_l("Empty: the establishment's name and the document's "
                                         "label."))
    text_body = TextAreaField(_l("Message"), render_kw={"rows": 10})
    html_body = TextAreaField(_l("Message as HTML (optional)"), render_kw={"rows": 6})
    document_body = TextAreaField(_l("Text of the letter"), render_kw={"rows": 14})
    attach_pdf = BooleanField(_l("Attach the document as a PDF (otherwise it goes in the "
                                 "message)"))
    to_payer = BooleanField(_l("Send to the payer"))
    to_main_contact = BooleanField(_l("Send to the main contact"))
    fixed_recipients = StringField(_l("Also send to"), validators=[Length(max=2000)],
                                   description=_l("Fixed addresses, separated by ';'."))


def _kinds() -> dict:
    return placeholders.document_types(current_runtime().engine, g.enabled_plugins)


def _kind(code: str):
    found = _kinds().get(code)
    if found is None:
        abort(404)
    return found


@bp.route("/mail/templates")
@require_permission(MANAGE)
def templates_page():
    saved: dict[str, list[str]] = {}
    for item in templates.list_for(db_session(), g.establishment):
        saved.setdefault(item.document_type, []).append(item.name)
    rows = [(kind, saved.get(code, [])) for code, kind in _kinds().items()]
    return render_template("mail/templates.html", rows=rows)


@bp.route("/mail/templates/<kind_code>", methods=["GET", "POST"])
@require_permission(MANAGE)
def edit_template(kind_code: str):
    kind = _kind(kind_code)
    name = request.args.get("name", "")
    if request.args.get("new"):
        current = templates.defaults(g.establishment, kind)
    else:
        current = templates.current_fields(db_session(), g.establishment, kind, name)
    form = TemplateForm(data=current)
    if form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                saved = templates.save(session, current_runtime().engine, _establishment(session),
                                       kind, form.data, _user(session), g.enabled_plugins)
                saved_name = saved.name
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Template saved."), "success")
            return redirect(url_for("mail.edit_template", kind_code=kind.code,
                                    name=saved_name or None))
    preview, problems = _preview(kind, form.data)
    return render_template(
        "mail/template_edit.html", form=form, kind=kind, preview=preview, problems=problems,
        placeholders=placeholders.for_document(current_runtime().engine, kind.code,
                                               g.enabled_plugins),
        insertion=placeholders.insertion), 422 if form.errors else 200


@bp.route("/mail/templates/<kind_code>/preview", methods=["POST"])
@require_permission(MANAGE)
def preview_template(kind_code: str):
    """The preview part of the editor, rendered by the server from the posted fields."""
    kind = _kind(kind_code)
    form = TemplateForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    preview, problems = _preview(kind, form.data)
    return render_template("mail/_preview.html", preview=preview, problems=problems, kind=kind)


def _preview(kind, fields: dict):
    """The mail the fields give with the sample values, or the problems found in them."""
    engine = current_runtime().engine
    cleaned = templates.clean(fields)
    found = templates.problems(engine, g.establishment, kind, cleaned, g.enabled_plugins)
    if found:
        return None, found
    data = templates.sample_data(engine, g.establishment, kind.code, g.enabled_plugins)
    try:
        return templates.render(cleaned, data, label=str(kind.label)), {}
    except TemplateProblem as problem:
        return None, {problem.field: problem.describe()}


# --- the receipt assistant ------------------------------------------------------------------------


class ReceiptMailForm(FlaskForm):
    recipients = StringField(_l("To"), validators=[Length(max=2000)],
                             description=_l("Several addresses: separate them with ';'."))
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=500)])
    text = TextAreaField(_l("Message"), validators=[DataRequired()], render_kw={"rows": 9})
    attachments = MultipleFileField(_l("Add attachments"))
    forget_recipients = BooleanField(_l("Do not keep this address once the mail is sent "
                                        "(customer without an account)"))


def _payment(session, payment_id: int) -> Payment:
    payment = get_for(session, g.establishment, Payment, payment_id)
    if payment is None or payment.receipt_number is None:
        abort(404)
    return payment


@bp.route("/mail/receipts/<int:payment_id>", methods=["GET", "POST"])
@require_permission(SEND)
def send_receipt(payment_id: int):
    runtime = current_runtime()
    session = db_session()
    payment = _payment(session, payment_id)
    try:
        draft = receipts.draft(session, runtime.engine, g.establishment, payment,
                               g.enabled_plugins)
    except TemplateProblem as problem:
        flash(_("The receipt template cannot be used: %(problem)s", problem=problem.describe()),
              "error")
        return redirect(url_for("mail.edit_template", kind_code="receipt"))
    form = ReceiptMailForm(data={"recipients": "; ".join(draft.recipients),
                                 "subject": draft.subject, "text": draft.text,
                                 "forget_recipients": draft.forget_recipients})
    limit_kb = mail_settings.of_establishment(session, g.establishment).max_attachment_kb
    if form.validate_on_submit():
        uploads = [outbox.Upload(item.filename, item.mimetype or "application/octet-stream",
                                 item.read())
                   for item in form.attachments.data if getattr(item, "filename", "")]
        write = write_session()
        try:
            with write.begin():
                queued = receipts.queue_receipt(
                    write, runtime, _establishment(write), _payment(write, payment_id),
                    to=form.recipients.data, subject=form.subject.data, text=form.text.data,
                    uploads=uploads, user=_user(write),
                    forget_recipients=form.forget_recipients.data)
                message_id = queued.id
        except Invalid as error:
            show_errors(form, error, {"attachments": "attachments", "to": "recipients"})
        except Veto as error:
            form.form_errors.append(str(error))
        else:
            return _sent_or_explained(message_id)
        session = db_session()  # the write session now: the first one was closed
        payment = _payment(session, payment_id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("mail/receipt.html", form=form, payment=payment, limit_kb=limit_kb,
                           receipt_name=_receipt_filename(session, payment)), status


def _receipt_filename(session, payment: Payment) -> str:
    return documents.receipt_data(session, current_runtime().engine, payment).filename()


@bp.route("/mail/receipts/<int:payment_id>/preview.pdf")
@require_permission(SEND)
def receipt_preview(payment_id: int):
    """The receipt PDF that will be attached, to look at before sending."""
    session = db_session()
    payment = _payment(session, payment_id)
    runtime = current_runtime()
    data = documents.receipt_data(session, runtime.engine, payment)
    filename, content_type, content = documents.render(runtime.engine,
                                                       receipts.MAIL_RENDERER, data)
    response = Response(content, mimetype=content_type)
    response.headers.set("Content-Disposition", "inline", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def state_badge(state: str) -> Markup:
    style = {SENT: "success", FAILED: "danger", CANCELLED: "", QUEUED: "info"}.get(state, "info")
    return Markup('<span class="badge badge-{}">{}</span>').format(style,
                                                                    outbox.state_label(state))


bp.add_app_template_global(state_badge, "mail_state_badge")


# --- letters ------------------------------------------------------------------------------------


def _batch(session, batch_id: int):
    try:
        return letters.get(session, g.establishment, batch_id)
    except NotFound:
        abort(404)


class LettersForm(FlaskForm):
    template = SelectField(_l("Letter"))
    by_mail = BooleanField(_l("Send by mail"), default=True)
    by_print = BooleanField(_l("Make one PDF to print"))


@bp.route("/mail/letters/<int:batch_id>", methods=["GET", "POST"])
@require_permission(SEND)
def letters_batch(batch_id: int):
    session = db_session()
    batch = _batch(session, batch_id)
    choices_ = [(str(item.id), item.name or batch.title)
                for item in templates.list_for(session, g.establishment, batch.document_type)]
    form = LettersForm(data={"by_mail": batch.by_mail, "by_print": batch.by_print})
    form.template.choices = choices(choices_)
    if batch.state == letters.DRAFT and form.validate_on_submit():
        runtime = current_runtime()
        write = write_session()
        try:
            with write.begin():
                draft = letters.get(write, g.establishment, batch_id)
                template = get_for(write, g.establishment, MailTemplate, int(form.template.data))
                if template is None:
                    abort(404)
                job_id = letters.start(write, runtime, _establishment(write), draft,
                                       template=template, by_mail=form.by_mail.data,
                                       by_print=form.by_print.data, user=_user(write))
        except (Invalid, Veto, TemplateProblem) as error:
            form.form_errors.append(error.describe() if isinstance(error, TemplateProblem)
                                    else _problem(error))
        else:
            letters.enqueue(runtime, letters.get(db_session(), g.establishment, batch_id))
            return redirect(url_for("establishment.job", job_id=job_id))
        batch = _batch(db_session(), batch_id)  # the write session now: the first was closed
    return render_template("mail/letters.html", batch=batch, form=form,
                           missing=letters.missing_addresses(batch),
                           address_form=ActionForm()), 422 if form.form_errors else 200


@bp.route("/mail/letters/<int:batch_id>/addresses", methods=["POST"])
@require_permission(SEND)
def letters_addresses(batch_id: int):
    """Addresses typed for recipients who had none: each checked, kept, saved by the plugin."""
    if not ActionForm().validate_on_submit():
        abort(400)
    typed = {key.removeprefix("address-"): value.strip() for key, value in request.form.items()
             if key.startswith("address-") and value.strip()}
    session = write_session()
    problems: list[str] = []
    saved = 0
    with session.begin():
        batch = letters.get(session, g.establishment, batch_id)
        establishment = _establishment(session)
        for key, address in typed.items():
            try:
                with session.begin_nested():
                    letters.set_address(session, establishment, batch, key, address)
                    saved += 1
            except (Invalid, NotFound) as error:
                problems.append(_problem(error))
    if saved:
        flash(_("%(count)d address(es) saved.", count=saved), "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("mail.letters_batch", batch_id=batch_id))


@bp.route("/mail/letters/archive")
@require_permission(SEND)
def letters_archive():
    archived = letters.archive(db_session(), g.establishment)
    return render_template("mail/letters_archive.html", letters=archived)


@bp.route("/mail/letters/archive/<int:letter_id>/resend", methods=["POST"])
@require_permission(SEND)
def letter_resend(letter_id: int):
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    runtime = current_runtime()
    session = write_session()
    try:
        with session.begin():
            message = letters.resend(session, runtime, _establishment(session), letter_id,
                                     to=form.to.data, user=_user(session))
            message_id = message.id
    except NotFound:
        abort(404)
    except (Invalid, Veto) as error:
        flash(_problem(error), "error")
        return redirect(url_for("mail.letters_archive"))
    return _sent_or_explained(message_id)
