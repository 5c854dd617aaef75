"""Security headers, and sessions that provider callbacks never open or set."""

from __future__ import annotations

import functools

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface

CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def allow_form_action(*origins: str) -> None:
    """Let the page being rendered post a form to ``origins`` (a payment provider's page)."""
    g.setdefault("csp_form_action", []).extend(origins)


def _csp() -> str:
    return _policy(tuple(g.get("csp_form_action", ())))


@functools.lru_cache(maxsize=64)
def _policy(form_actions: tuple[str, ...]) -> str:
    """The header for a page that may also post to ``form_actions`` (written once each: a
    payment page names its provider, every other page has none)."""
    directives = {name: list(values) for name, values in CSP.items()}
    directives["form-action"] += form_actions
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


#: What every answer gets unless its view set it: (lowercase name, name, value).
HEADERS = tuple((name.lower(), name, value) for name, value in (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)"),
))
HSTS = ("strict-transport-security", "Strict-Transport-Security", "max-age=31536000")
NO_STORE = ("cache-control", "Cache-Control", "no-store")


def _headers(response):
    """Add the security headers the view did not set (one pass over the answer's headers:
    ``setdefault`` for each looked them all up three times)."""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    wanted = [("content-security-policy", "Content-Security-Policy", _csp()), *HEADERS]
    if request.is_secure:
        wanted.append(HSTS)
    if response.mimetype == "text/html":
        wanted.append(NO_STORE)
    for lower, name, value in wanted:
        if lower not in present:
            headers.add(name, value)
    return response


def register(app: Flask) -> None:
    app.after_request(_headers)


def is_callback() -> bool:
    return request.path.startswith("/callbacks/")


class CallbackAwareSessionInterface(SecureCookieSessionInterface):
    """Provider callbacks get an empty session that is never saved: no cookie is read or set.
    The cookie is ``Secure`` whenever the request came over TLS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def open_session(self, app, request):
        if request.path.startswith("/callbacks/"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.path.startswith("/callbacks/"):
            return
        super().save_session(app, session, response)
