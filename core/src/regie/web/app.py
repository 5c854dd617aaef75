"""The Flask application factory."""

from __future__ import annotations

import functools
import logging
from typing import Any

from babel import Locale
from flask import Flask, Response, g, request
from flask.templating import Environment
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from regie.config import Config
from regie.i18n import lazy_gettext as _l
from regie.i18n import translation_directories
from regie.runtime import Runtime
from regie.web import context, security
from regie.web.auth import LoginUser

log = logging.getLogger("regie.web")


def create_app(config: Config | None = None, *, runtime: Runtime | None = None,
               check_migrations: bool = False, **overrides: Any) -> Flask:
    """Build the WSGI app of one instance.

    ``check_migrations`` makes start-up refuse when the database is behind the code, as
    ``regie serve`` wants; tests build their schema themselves.
    """
    if runtime is None:
        from regie.config import load_config

        runtime = Runtime(config or load_config(**overrides))
    if check_migrations:
        from regie.db.migrations import assert_up_to_date

        assert_up_to_date(runtime)

    app = Flask("regie.web", static_folder="static", template_folder="templates")
    app.jinja_environment = _Environment
    app.extensions["regie"] = runtime
    cfg = runtime.config
    app.config.update(
        SECRET_KEY=cfg["secret_key"] or _refuse_empty_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="regie_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=cfg["default_locale"],
        BABEL_TRANSLATION_DIRECTORIES=";".join(translation_directories(
            plugin.module for plugin in runtime.engine.plugins.values())),
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        PREFERRED_URL_SCHEME="https" if cfg["base_url"].startswith("https") else "http",
    )
    if cfg["security.force_https_cookies"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)

    Babel(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Sign in to open this page.")
    login.login_message_category = "info"
    login.user_loader(LoginUser.load)
    login.session_protection = "basic"
    app.session_interface = security.CallbackAwareSessionInterface()

    from regie.web import (
        account,
        admin,
        auth,
        documents,
        errors,
        establishment,
        establishment_admin,
        filters,
        fragments,
        home,
        imports,
        mail,
        mounting,
        payments,
        topbar,
    )

    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    mounting.mount_plugins(app, runtime.engine, csrf)
    app.register_blueprint(establishment.bp)
    app.register_blueprint(establishment_admin.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(mail.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(payments.callbacks)
    errors.register(app)
    filters.register(app)
    topbar.register(app)
    fragments.register(app)
    security.register(app)
    app.teardown_appcontext(context.close_session)
    return app


class _Environment(Environment):
    """Each template's globals in one plain dict, not Jinja's chain of the template's and the
    environment's: building a page's context and importing macros went through the chain for
    every global. The globals are all set before the first page, as Jinja asks anyway."""

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def _refuse_empty_secret():
    from regie.config import ConfigError

    raise ConfigError("regie.toml: key 'secret_key' is empty; run `regie init` to create one")


def _select_locale() -> Locale:
    from regie.i18n import LOCALES

    chosen = request.args.get("lang") or _session_lang()
    if chosen in LOCALES:
        return _locale(chosen)
    from flask_login import current_user

    if not security.is_callback() and getattr(current_user, "locale", "") in LOCALES:
        return _locale(current_user.locale)
    establishment = g.get("establishment")
    if establishment is not None:
        return _locale(establishment.locale)
    return _locale(context.current_runtime().config["default_locale"])


@functools.cache
def _locale(code: str) -> Locale:
    """Parsed once per language (parsing looks for the locale's data file on disk)."""
    return Locale.parse(code)


def _session_lang() -> str | None:
    from flask import session

    return session.get("lang")


def _select_timezone() -> str:
    establishment = g.get("establishment")
    if establishment is not None:
        return establishment.timezone
    return context.current_runtime().config["default_timezone"]


def healthz() -> Response:
    return Response("ok\n", mimetype="text/plain")
