"""The establishment's Paybox page (``/<slug>/payments_paybox/``): the account in use, and the
weekly reconciliation with the back office's export, with one click to record what Paybox
took and Régie missed (through the core's notification path, like ``--apply``)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from flask import Blueprint, abort, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, TextAreaField
from wtforms.validators import Optional

from regie.api import (
    Money,
    current_establishment,
    current_runtime,
    format_money,
    plugin_settings,
    require_permission,
)
from regie.api import lazy_gettext as _l
from regie_paybox import operations, reconcile
from regie_paybox import settings as paybox_settings
from regie_paybox.reconcile import ExportError

PLUGIN = "payments_paybox"
PERMISSION = "payments.manage"
MAX_EXPORT = 5 * 1024 * 1024


class ExportForm(FlaskForm):
    export = FileField(_l("Back-office export (CSV)"), validators=[FileRequired()],
                       description=_l("Transactions of the period, exported from the Paybox "
                                      "back office; ';' separated, UTF-8 or Latin-1."))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])
    cents = BooleanField(_l("Amounts are in cents (1250 rather than 12,50)"))
    mapping = TextAreaField(_l("Columns"), validators=[Optional()],
                            description=_l("Only when the headers are unusual: one per line, "
                                           "e.g. reference=Ref. commande (reference, amount, "
                                           "date, state, transaction, currency)."))


class ApplyForm(FlaskForm):
    content = HiddenField()
    start = HiddenField()
    end = HiddenField()
    cents = HiddenField()
    mapping = HiddenField()


def _mapping(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in (text or "").splitlines() if line.strip())
    return {name.strip(): header.strip() for name, _sep, header in pairs if header.strip()}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        abort(400)


def index():
    establishment = current_establishment()
    config = paybox_settings.load(plugin_settings(PLUGIN), establishment.locale)
    form = ExportForm()
    report = apply_form = None
    error = ""
    if form.validate_on_submit():
        content = form.export.data.read(MAX_EXPORT + 1)
        if len(content) > MAX_EXPORT:
            error = _l("The file is larger than 5 MB: export a shorter period.")
        else:
            report, error = _run(content, form.start.data, form.end.data, form.cents.data,
                                 form.mapping.data, apply=False)
            apply_form = ApplyForm(formdata=None, data={
                "content": base64.b64encode(content).decode(),
                "start": form.start.data.isoformat() if form.start.data else "",
                "end": form.end.data.isoformat() if form.end.data else "",
                "cents": "1" if form.cents.data else "", "mapping": form.mapping.data or ""})
    return _page(config, form, report, apply_form, error, applied=False)


def apply():
    establishment = current_establishment()
    config = paybox_settings.load(plugin_settings(PLUGIN), establishment.locale)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        content = base64.b64decode(form.content.data, validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    report, error = _run(content, _day(form.start.data), _day(form.end.data),
                         bool(form.cents.data), form.mapping.data, apply=True)
    return _page(config, ExportForm(formdata=None), report, None, error, applied=True)


def _page(config, form, report, apply_form, error, *, applied: bool):
    establishment = current_establishment()

    def money(amount: int) -> str:
        return format_money(Money(amount, establishment.currency), establishment.locale)

    missing = len(reconcile.to_apply(report)) if report is not None else 0
    return render_template("payments_paybox/office.html", config=config, form=form,
                           report=report, apply_form=apply_form, error=error, applied=applied,
                           missing=missing, money=money)


def _run(content: bytes, start, end, cents: bool, mapping: str, *, apply: bool):
    try:
        report = operations.reconcile_export(
            current_runtime(), current_establishment().slug, content, first=start, last=end,
            mapping=_mapping(mapping), minor_units=cents, apply=apply,
            actor=current_user.username)
    except ExportError as exc:
        return None, str(exc)
    return report, ""


def office() -> Blueprint:
    blueprint = Blueprint(f"plugin_{PLUGIN}_office", __name__, template_folder="templates")
    blueprint.add_url_rule("/", "index", require_permission(PERMISSION)(index),
                           methods=["GET", "POST"])
    blueprint.add_url_rule("/apply", "apply", require_permission(PERMISSION)(apply),
                           methods=["POST"])
    return blueprint
