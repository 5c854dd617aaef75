"""Establishments: list, create, edit (slug checked by the service, logo PNG or JPEG)."""

from __future__ import annotations

import functools
import zoneinfo

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from regie.db.models import Establishment, EstablishmentPlugin
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import establishments
from regie.services.errors import Invalid
from regie.web.admin import bp, superuser_required
from regie.web.context import current_runtime, db_session, write_session
from regie.web.filters import LANGUAGE_NAMES
from regie.web.forms import choices, looks_like_email, show_errors

LOGO_MAX_BYTES = 512 * 1024
_LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def read_logo(field: FileField) -> tuple[bytes, str] | None:
    """The uploaded logo and its content type, or ``None`` when no file was chosen.

    The type comes from the file's first bytes, not from its name.
    """
    upload = field.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    content = upload.read(LOGO_MAX_BYTES + 1)
    if len(content) > LOGO_MAX_BYTES:
        raise ValidationError(_("is larger than %(size)d KB", size=LOGO_MAX_BYTES // 1024))
    for signature, content_type in _LOGO_SIGNATURES.items():
        if content.startswith(signature):
            return content, content_type
    raise ValidationError(_("must be a PNG or JPEG image"))


@functools.cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class EstablishmentEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()), default="fr")
    timezone = StringField(_l("Time zone"), default="Europe/Paris",
                           validators=[DataRequired(), Length(max=64)],
                           render_kw={"list": "timezones", "autocomplete": "off"})
    currency = StringField(_l("Currency"), default="EUR",
                           description=_l("ISO 4217 code, e.g. EUR or UAH."),
                           validators=[DataRequired(), Length(min=3, max=3)],
                           render_kw={"autocapitalize": "characters", "maxlength": 3})
    address = TextAreaField(_l("Postal address"), validators=[Length(max=1000)],
                            render_kw={"rows": 3})
    email = StringField(_l("E-mail address"), validators=[Length(max=254), looks_like_email],
                        render_kw={"type": "email", "autocomplete": "off"})
    logo = FileField(_l("Logo"), description=_l("PNG or JPEG, up to 512 KB."),
                     render_kw={"accept": "image/png,image/jpeg"})
    remove_logo = BooleanField(_l("Remove the current logo"))

    def validate_logo(self, field):
        self.logo_upload = read_logo(field)

    def fields(self) -> dict:
        values = {name: (self[name].data or "").strip() for name in
                  ("name", "timezone", "address", "email")}
        values["locale"] = self.locale.data
        values["currency"] = (self.currency.data or "").strip().upper()
        upload = getattr(self, "logo_upload", None)
        if upload:
            values["logo"], values["logo_type"] = upload
        elif "remove_logo" in self and self.remove_logo.data:
            values["logo"], values["logo_type"] = None, ""
        return values


class EstablishmentCreateForm(EstablishmentEditForm):
    slug = StringField(_l("Slug"), validators=[DataRequired(), Length(max=63)],
                       description=_l("The address of its pages (/slug/): lowercase letters, "
                                      "digits and hyphens. It cannot be changed later."),
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    remove_logo = None


@bp.route("/establishments")
@superuser_required
def establishments_list():
    session = db_session()
    enabled = (select(EstablishmentPlugin.establishment_id,
                      func.count().label("modules"))
               .where(EstablishmentPlugin.enabled)
               .group_by(EstablishmentPlugin.establishment_id).subquery())
    rows = session.execute(
        select(Establishment, func.coalesce(enabled.c.modules, 0))
        .outerjoin(enabled, enabled.c.establishment_id == Establishment.id)
        .order_by(Establishment.name)).all()
    return render_template("admin/establishments.html", rows=rows)


@bp.route("/establishments/new", methods=["GET", "POST"])
@superuser_required
def establishment_create():
    form = EstablishmentCreateForm()
    if form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                created = establishments.create(
                    session, current_runtime().engine, slug=form.slug.data,
                    actor=current_user.user, **form.fields())
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Establishment “%(name)s” created.", name=created.name), "success")
            return redirect(url_for("admin.establishments_list"))
    return _render_form(form, None), 200 if not form.errors else 422


@bp.route("/establishments/<slug>", methods=["GET", "POST"])
@superuser_required
def establishment_edit(slug: str):
    establishment = _get(slug)
    form = EstablishmentEditForm(obj=establishment)
    if form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                target = session.get(Establishment, establishment.id)
                establishments.update(session, target, form.fields(), actor=current_user.user)
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Establishment “%(name)s” saved.", name=form.name.data.strip()), "success")
            return redirect(url_for("admin.establishments_list"))
    return _render_form(form, establishment), 200 if not form.errors else 422


def _get(slug: str) -> Establishment:
    establishment = db_session().scalar(select(Establishment).where(Establishment.slug == slug))
    if establishment is None:
        abort(404)
    return establishment


def _render_form(form: FlaskForm, establishment: Establishment | None):
    return render_template("admin/establishment_form.html", form=form,
                           edited=establishment, time_zones=time_zones())
