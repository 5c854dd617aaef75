"""``url_for`` in templates, remembered per application: a page's layout builds about forty
links, and the same few over and over.

A link is a function of the request's host and script root, the establishment of the URL (the
slug our ``url_defaults`` adds), the endpoint and its values. It is remembered only when nothing
else can change it: plain ``str``/``int`` values, no ``_external``-style options, no relative
endpoint and no ``url_defaults`` function beside the core's for the endpoint's blueprints.
Anything else goes to Flask's ``url_for`` every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, g, request, url_for

#: Links remembered per application before the memo starts again (a few per establishment).
MEMO_SIZE = 4096


class TemplateLinks:
    """The memo of one application; :meth:`for_request` gives the templates' ``url_for``."""

    def __init__(self, app: Flask, core_defaults: Callable) -> None:
        self.app = app
        self.core_defaults = core_defaults
        self.links: dict[tuple, str] = {}
        self.plain: dict[str, bool] = {}

    def for_request(self) -> Callable[..., str]:
        establishment = g.get("establishment")
        place = (request.host, request.script_root,
                 establishment.slug if establishment is not None else None)
        return functools.partial(self.url_for, place)

    def url_for(self, place: tuple, endpoint: str, **values) -> str:
        if not self._rememberable(endpoint, values):
            return url_for(endpoint, **values)
        key = (place, endpoint, *sorted(values.items()))
        link = self.links.get(key)
        if link is None:
            link = url_for(endpoint, **values)
            if len(self.links) >= MEMO_SIZE:
                self.links.clear()
            self.links[key] = link
        return link

    def _rememberable(self, endpoint: str, values: dict) -> bool:
        for name, value in values.items():
            if name.startswith("_") or type(value) not in (str, int):
                return False
        plain = self.plain.get(endpoint)
        if plain is None:
            plain = self.plain[endpoint] = self._plain_endpoint(endpoint)
        return plain

    def _plain_endpoint(self, endpoint: str) -> bool:
        """Whether only the core's ``url_defaults`` applies to ``endpoint``."""
        if endpoint.startswith("."):
            return False
        defaults = self.app.url_default_functions
        if any(function is not self.core_defaults for function in defaults.get(None, ())):
            return False
        parts = endpoint.split(".")[:-1]
        return not any(defaults.get(".".join(parts[:end])) for end in range(1, len(parts) + 1))
