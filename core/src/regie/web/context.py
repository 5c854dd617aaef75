"""What a view knows about its request: the runtime, the database session, the establishment
of the URL and the signed-in user's permissions there."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import Session

from regie.db.models import Establishment


def current_runtime():
    return current_app.extensions["regie"]


def db_session() -> Session:
    """The request's session, opened on first use and closed at the end of the request."""
    if "_regie_session" not in g:
        g._regie_session = current_runtime().db.session()
    return g._regie_session


def write_session() -> Session:
    """A session for a request that writes: on SQLite it takes the write lock up front."""
    if "_regie_session" in g:
        g._regie_session.close()
    g._regie_session = current_runtime().db.write_sessionmaker()
    return g._regie_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("_regie_session", None)
    if session is not None:
        session.close()


def current_establishment() -> Establishment:
    """The establishment named by the URL (``/<slug>/…``); 404 outside such a URL."""
    establishment = g.get("establishment")
    if establishment is None:
        abort(404)
    return establishment


def plugin_settings(plugin: str) -> dict[str, Any]:
    """The settings of ``plugin`` in the current establishment."""
    return g.enabled_plugins[plugin]


def permissions() -> frozenset[str]:
    """The signed-in user's permissions in the current establishment (cached per request)."""
    granted = g.get("permissions")
    if granted is None:
        granted = g.permissions = _permissions()
    return granted


def _permissions() -> frozenset[str]:
    from regie.services import users

    visitor = current_user._get_current_object()
    establishment = g.get("establishment")
    if not visitor.is_authenticated or establishment is None:
        return frozenset()
    if visitor.is_superuser:
        return frozenset({"*"})
    looked_up = g.get("member_roles")
    if looked_up is not None and looked_up[0] == establishment.id and (
            looked_up[1] is visitor.user):
        roles = looked_up[2]
    else:
        roles = users.roles_of(db_session(), visitor.user, establishment)
    g.is_member = bool(roles)
    return users.permissions(current_runtime().engine, roles, g.enabled_plugins)


def page_key() -> tuple:
    """What every part of a page that the application keeps (top bar, widgets, fragments)
    depends on: host, script root, language, and the URL's establishment (id and version) with
    the user's permissions there. Built once per request: the page's language must not change
    after the first kept part is used."""
    key = g.get("_regie_page_key")
    if key is None:
        establishment = g.get("establishment")
        place = (establishment.id, establishment.settings_version, permissions()) \
            if establishment is not None else None
        key = g._regie_page_key = (request.host, request.script_root, str(get_locale()), place)
    return key


def page_language() -> str:
    """The code of the page's language (see :func:`page_key`)."""
    return page_key()[2]


def is_member() -> bool:
    permissions()
    return bool(g.get("is_member")) or (current_user.is_authenticated
                                        and current_user.is_superuser)


def can(permission: str) -> bool:
    granted = permissions()
    return "*" in granted or permission in granted


def require_permission(permission: str | None = None) -> Callable:
    """Decorate a view: sign-in required; 404 for users with no role in the establishment
    (its pages do not exist for them), 403 when the role lacks ``permission``."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            current_establishment()
            if not is_member():
                abort(404)
            if permission is not None and not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
