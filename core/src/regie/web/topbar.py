"""The top bar of every page (brand, establishment, user menu, language switch, the
establishment's navigation), rendered once and kept by the application.

It was half the time of rendering a page, and it is the same for every page of a blueprint that
the same user sees in the same language, establishment version and permissions: those make
the key. The two things that differ per request, the CSRF token of its forms and the page's
path (where the language switch comes back to), are rendered as placeholders and put in
afterwards.
"""

from __future__ import annotations

import secrets
import threading

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup, escape

from regie.web.context import page_key

#: Top bars kept per application before the cache starts again.
CACHE_SIZE = 1024
TOKEN = f"csrf-{secrets.token_hex(16)}"
PATH = f"/path-{secrets.token_hex(16)}"


class TopBars:
    def __init__(self) -> None:
        self.rendered: dict[tuple, str] = {}
        self.lock = threading.Lock()

    def markup(self, establishment, user) -> Markup:
        key = self._key(establishment, user)
        html = self.rendered.get(key)
        if html is None:
            html = render_template("_topbar.html", csrf_token=lambda: TOKEN, page_path=PATH)
            with self.lock:
                if len(self.rendered) >= CACHE_SIZE:
                    self.rendered.clear()
                self.rendered[key] = html
        path = escape(request.full_path.rstrip("?"))
        return Markup(html.replace(TOKEN, generate_csrf()).replace(PATH, path))  # noqa: S704

    @staticmethod
    def _key(establishment, user) -> tuple:
        who = (user.id, user.username, user.full_name, user.is_superuser) \
            if user is not None and user.is_authenticated else None
        return (request.blueprint, request.endpoint, who, establishment is not None, page_key())


@pass_context
def topbar(context) -> Markup:
    """The page's top bar; ``establishment`` is the one the page shows (``None`` on pages of an
    establishment the user is not a member of)."""
    return current_app.extensions["regie_topbars"].markup(context.get("establishment"),
                                                         context.get("current_user"))


def register(app: Flask) -> None:
    app.extensions["regie_topbars"] = TopBars()
    app.jinja_env.globals["topbar"] = topbar
