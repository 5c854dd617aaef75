"""Users: list, create, edit, deactivate, reset password, and their roles per establishment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from regie.db.models import Establishment, Membership, User
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import users
from regie.services.errors import Invalid
from regie.web.admin import bp, superuser_required
from regie.web.context import current_runtime, db_session, write_session
from regie.web.filters import LANGUAGE_NAMES
from regie.web.forms import ActionForm, choices, looks_like_email, show_errors
from regie.web.pagination import paginate

_NEW_PASSWORD_HELP = _l("Leave empty to generate one; it is shown once, after saving.")


class UserProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=200)],
                            render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail address"), validators=[Length(max=254), looks_like_email],
                        render_kw={"type": "email", "autocomplete": "off"})
    locale = SelectField(_l("Language"), choices=choices(
        [("", _l("The establishment's language")), *LANGUAGE_NAMES.items()]))
    is_superuser = BooleanField(_l("Platform administrator (every establishment, every page)"))


class UserCreateForm(UserProfileForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=150)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"), description=_NEW_PASSWORD_HELP,
                             validators=[Length(max=1024)],
                             render_kw={"autocomplete": "new-password"})


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), description=_NEW_PASSWORD_HELP,
                             validators=[Length(max=1024)],
                             render_kw={"autocomplete": "new-password"})


class GrantForm(FlaskForm):
    establishment = SelectField(_l("Establishment"), coerce=int)
    role = SelectField(_l("Role"))


class RevokeForm(FlaskForm):
    establishment = HiddenField()
    role = HiddenField()


def role_labels() -> dict[str, str]:
    """Code → label of every role of the core and the plugins."""
    return {role.code: role.label for role in current_runtime().engine.items("regie_roles")}


@bp.route("/users")
@superuser_required
def users_list():
    query = select(User).order_by(User.username)
    search = request.args.get("q", "").strip()
    if search:
        query = query.where(or_(*(column.icontains(search, autoescape=True) for column in
                                  (User.username, User.full_name, User.email))))
    return render_template("admin/users.html", page=paginate(db_session(), query),
                           search=search)


@bp.route("/users/new", methods=["GET", "POST"])
@superuser_required
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        password = form.password.data or users.generate_password()
        session = write_session()
        try:
            with session.begin():
                user = users.create(session, form.username.data, password,
                                    email=form.email.data, full_name=form.full_name.data,
                                    is_superuser=form.is_superuser.data,
                                    actor=current_user.user)
                if form.locale.data:
                    user.locale = form.locale.data
        except Invalid as error:
            show_errors(form, error)
        else:
            if not form.password.data:
                return _show_password(user, password)
            flash(_("User “%(username)s” created.", username=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@superuser_required
def user_edit(user_id: int):
    user = _get(user_id)
    form = UserProfileForm(obj=user)
    if form.validate_on_submit():
        if user.id == current_user.id and not form.is_superuser.data:
            form.is_superuser.errors = [_("you cannot remove your own administrator rights")]
        else:
            session = write_session()
            try:
                with session.begin():
                    users.update(session, session.get(User, user.id), {
                        "full_name": form.full_name.data, "email": form.email.data,
                        "locale": form.locale.data, "is_superuser": form.is_superuser.data,
                    }, actor=current_user.user)
            except Invalid as error:
                show_errors(form, error)
            else:
                flash(_("User “%(username)s” saved.", username=user.username), "success")
                return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, profile=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@superuser_required
def user_set_active(user_id: int):
    user = _get(user_id)
    form = ActionForm()
    activate = request.form.get("active") == "1"
    if form.validate_on_submit():
        if user.id == current_user.id and not activate:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            session = write_session()
            with session.begin():
                users.update(session, session.get(User, user.id), {"active": activate},
                             actor=current_user.user)
            flash(_("“%(username)s” can sign in again.", username=user.username) if activate
                  else _("“%(username)s” can no longer sign in.", username=user.username),
                  "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@superuser_required
def user_reset_password(user_id: int):
    user = _get(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        password = form.password.data or users.generate_password()
        session = write_session()
        try:
            with session.begin():
                users.set_password(session, session.get(User, user.id), password,
                                   actor=current_user.user)
        except Invalid as error:
            show_errors(form, error)
        else:
            if not form.password.data:
                return _show_password(user, password)
            flash(_("The password of “%(username)s” is changed.", username=user.username),
                  "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, reset=form), 422


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@superuser_required
def user_grant(user_id: int):
    user = _get(user_id)
    form = _grant_form()
    if form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                establishment = session.get(Establishment, form.establishment.data)
                users.grant(session, current_runtime().engine, session.get(User, user.id),
                            establishment, form.role.data, actor=current_user.user)
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Role “%(role)s” granted in %(establishment)s.",
                    role=role_labels()[form.role.data], establishment=establishment.name),
                  "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, grant=form), 422


@bp.route("/users/<int:user_id>/roles/revoke", methods=["POST"])
@superuser_required
def user_revoke(user_id: int):
    user = _get(user_id)
    form = RevokeForm()
    if form.validate_on_submit():
        session = write_session()
        with session.begin():
            establishment = session.get(Establishment, int(form.establishment.data or 0))
            if establishment is None:
                abort(404)
            users.revoke(session, session.get(User, user.id), establishment, form.role.data,
                         actor=current_user.user)
        flash(_("Role “%(role)s” revoked in %(establishment)s.",
                role=role_labels().get(form.role.data, form.role.data),
                establishment=establishment.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _get(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _grant_form() -> GrantForm:
    form = GrantForm()
    form.establishment.choices = choices(
        (establishment.id, establishment.name) for establishment in
        db_session().scalars(select(Establishment).order_by(Establishment.name)))
    form.role.choices = choices(role_labels().items())
    return form


def _render_user(user: User, *, profile=None, reset=None, grant=None):
    session = db_session()
    memberships = session.execute(
        select(Membership, Establishment).join(Establishment)
        .where(Membership.user_id == user.id)
        .order_by(Establishment.name, Membership.role)).all()
    return render_template(
        "admin/user_edit.html", user=user,
        profile=profile or UserProfileForm(obj=user, formdata=None),
        reset=reset or PasswordResetForm(formdata=None),
        grant=grant or _grant_form_blank(), memberships=memberships, roles=role_labels())


def _grant_form_blank() -> GrantForm:
    form = _grant_form()
    form.process(formdata=None)
    return form


def _show_password(user: User, password: str):
    """The generated password, shown once on a page nobody caches and never in a cookie."""
    return render_template("admin/password_shown.html", user=user, password=password)
