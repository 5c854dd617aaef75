"""A test client that submits forms the way a browser does, CSRF token included."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask.testing import FlaskClient


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.fields.setdefault(attributes["name"], attributes.get("value") or "")


def form_fields(html: str) -> dict[str, str]:
    """The named ``<input>`` values of a page (hidden ones included)."""
    parser = _FormParser()
    parser.feed(html)
    return parser.fields


class WebClient(FlaskClient):
    """``submit(url, data)`` GETs the page, keeps the values of its inputs (the CSRF token among
    them), overrides them with ``data`` and POSTs."""

    def csrf_token(self, url: str = "/login") -> str:
        html = self.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, action: str | None = None,
               **kwargs):
        page = self.get(url)
        assert page.status_code == 200, f"GET {url} answered {page.status_code}"
        fields = form_fields(page.get_data(as_text=True))
        fields.update(data or {})
        return self.post(action or url, data=fields, **kwargs)

    def sign_in(self, username: str, password: str):
        return self.submit("/login", {"username": username, "password": password})
