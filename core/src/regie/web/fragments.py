"""Parts of a page kept by the application once rendered: ``{% call kept("name") %}…{% endcall %}``.

A kept part is rendered once for each establishment (and version), language, permission set,
host and script root, and then taken as it is: the cards of the modules on an establishment's
home cost more to render than the rest of the page. Put in one only what those decide: no CSRF
token, no name of the user, no path of the page (see :mod:`regie.web.topbar` for those).
"""

from __future__ import annotations

import threading

from flask import Flask, current_app
from markupsafe import Markup

from regie.web.context import page_key

#: Parts kept per application before the store starts again.
CACHE_SIZE = 2048


class Fragments:
    def __init__(self) -> None:
        self.rendered: dict[tuple, Markup] = {}
        self.lock = threading.Lock()

    def markup(self, name: str, caller) -> Markup:
        key = (name, page_key())
        html = self.rendered.get(key)
        if html is None:
            html = Markup(caller())  # noqa: S704 (rendered by the template, escaped there)
            with self.lock:
                if len(self.rendered) >= CACHE_SIZE:
                    self.rendered.clear()
                self.rendered[key] = html
        return html


def kept(name: str, *, caller) -> Markup:
    """The template's part ``name``, rendered the first time and then kept (see the module)."""
    return current_app.extensions["regie_fragments"].markup(name, caller)


def register(app: Flask) -> None:
    app.extensions["regie_fragments"] = Fragments()
    app.jinja_env.globals["kept"] = kept
