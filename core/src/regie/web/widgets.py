"""Dashboard widgets whose markup may be kept for a while.

Most panels of an establishment's home show the same thing to every member who holds the same
permissions there (counts, statistics, a form): rendering them for each visit of the home page
costs far more than the page itself. A plugin marks such a widget's ``render`` with
:func:`cached_widget`; its markup is then kept by the web process for ``ttl`` seconds per
establishment, language and permission set, and rendered again as soon as the establishment's
plugins or settings change (:attr:`~regie.db.models.Establishment.settings_version`).

Do not use it for a widget that shows something of the signed-in user alone (their name, their
own balance) or that holds a form with a CSRF token.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from flask import current_app

from regie.db.models import Establishment
from regie.web.context import page_key

#: Entries kept per application before the cache starts again.
CACHE_SIZE = 2048


class WidgetCache:
    """Markup by key, each with the monotonic time after which it is stale."""

    def __init__(self) -> None:
        self.entries: dict[tuple, tuple[float, str]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: tuple, markup: str, ttl: float) -> None:
        with self.lock:
            if len(self.entries) >= CACHE_SIZE:
                self.entries.clear()
            self.entries[key] = (time.monotonic() + ttl, markup)


def cached_widget(ttl: float) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Decorate a ``DashboardWidget.render(establishment, user)`` whose markup depends only on
    the establishment, the page's language and the user's permissions there: it is rendered at
    most once per ``ttl`` seconds for each of them (and again after a change of the
    establishment's plugins or settings)."""

    def decorator(render: Callable[..., str]) -> Callable[..., str]:
        @functools.wraps(render)
        def cached(establishment: Establishment, user) -> str:
            cache = current_app.extensions.setdefault("regie_widgets", WidgetCache())
            key = (render, establishment.id, establishment.settings_version, page_key())
            markup = cache.get(key)
            if markup is None:
                markup = str(render(establishment, user))
                cache.put(key, markup, ttl)
            return markup

        return cached

    return decorator
