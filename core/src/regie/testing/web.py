"""A test client that submits forms the way a browser does, CSRF token included."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask.testing import FlaskClient


class _FormParser(HTMLParser):
    """What a browser would send: inputs (checked boxes only), the selected option of each
    select (else its first), the text of each textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.fields.setdefault(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in attributes:
                self.fields.setdefault(self._select, value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if self._first_option is not None:
                self.fields.setdefault(self._select, self._first_option)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.setdefault(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would submit from the named fields of a page (hidden ones
    included)."""
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
