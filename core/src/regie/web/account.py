"""The signed-in user's own account: name, e-mail, language, password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from regie.db.models import User
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import users
from regie.services.errors import Invalid
from regie.web.context import write_session
from regie.web.filters import LANGUAGE_NAMES
from regie.web.forms import choices, looks_like_email, show_errors

bp = Blueprint("account", __name__, url_prefix="/account")


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=200)],
                            render_kw={"autocomplete": "name"})
    email = StringField(_l("E-mail address"), validators=[Length(max=254), looks_like_email],
                        render_kw={"type": "email", "autocomplete": "email"})
    locale = SelectField(_l("Language"), choices=choices(
        [("", _l("The establishment's language")), *LANGUAGE_NAMES.items()]))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)],
                        description=_l("At least %(n)d characters; a few words make a good "
                                       "one.", n=users.MIN_PASSWORD_LENGTH),
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", _l("does not match"))],
                            render_kw={"autocomplete": "new-password"})

    def validate_current(self, field):
        if not users.verify_password(current_user.user, field.data):
            raise ValidationError(_("is not your current password"))


def _render(profile: ProfileForm | None = None, password: PasswordForm | None = None):
    return render_template(
        "account/index.html",
        profile=profile or ProfileForm(obj=current_user.user, formdata=None),
        password=password or PasswordForm(formdata=None))


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = ProfileForm(obj=current_user.user)
    if form.validate_on_submit():
        db = write_session()
        try:
            with db.begin():
                users.update(db, db.get(User, current_user.id), {
                    "full_name": form.full_name.data, "email": form.email.data,
                    "locale": form.locale.data}, actor=current_user.user)
        except Invalid as error:
            show_errors(form, error)
        else:
            if form.locale.data:
                session["lang"] = form.locale.data
            else:
                session.pop("lang", None)
            refresh()  # the confirmation below speaks the language just chosen
            flash(_("Your account is saved."), "success")
            return redirect(url_for("account.index"))
    return _render(profile=form), 422 if form.errors else 200


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        db = write_session()
        try:
            with db.begin():
                users.set_password(db, db.get(User, current_user.id), form.new.data,
                                   actor=current_user.user)
        except Invalid as error:
            show_errors(form, error, {"password": "new"})
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("account.index"))
    return _render(password=form), 422
