"""Sign in and sign out. One message for every refusal, so nobody learns which accounts exist."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from regie.db.models import User
from regie.i18n import LOCALES
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import users
from regie.web.context import current_runtime, db_session, write_session

bp = Blueprint("auth", __name__)


class LoginUser:
    """The Flask-Login view of a :class:`User` row of the request's session."""

    is_active = True
    is_anonymous = False
    is_authenticated = True

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str):
        return getattr(self.user, name)

    @classmethod
    def load(cls, user_id: str) -> LoginUser | None:
        try:
            user = db_session().get(User, int(user_id))
        except ValueError:
            return None
        if user is None or not user.active:
            return None
        return cls(user)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=150)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute URL elsewhere (open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_runtime().config
        session_db = write_session()
        with session_db.begin():
            user = users.authenticate(
                session_db, form.username.data, form.password.data,
                max_failures=config["security.max_failed_logins"],
                lockout=dt.timedelta(minutes=config["security.lockout_minutes"]),
                ip=request.remote_addr or "")
        if user is not None:
            _renew_session()
            login_user(LoginUser(user))
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
        refused = _("Sign-in refused: check the username and the password. After %(n)d failed "
                    "attempts in a row an account is locked for %(minutes)d minutes.",
                    n=config["security.max_failed_logins"],
                    minutes=config["security.lockout_minutes"])
        return render_template("auth/login.html", form=form, refused=refused), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _renew_session() -> None:
    """A new session (no fixation), keeping only the language chosen before."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    _renew_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Show the pages in language ``code`` for the rest of the visit (the account page saves
    a lasting choice)."""
    if code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


__all__ = ["LoginUser", "bp"]
