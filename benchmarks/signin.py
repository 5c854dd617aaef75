"""Signing in to a running Régie server the way a browser does, to get a session cookie."""

from __future__ import annotations

import httpx

from benchmarks.load import USER_AGENT
from regie.testing.web import form_fields


def session_cookie(base: str, username: str, password: str, page: str) -> str:
    """The ``Cookie`` header of a browser that signed in and then opened ``page``.

    ``page`` is opened twice so that whatever it adds to the session (a CSRF token) is in the
    cookie, and the load then measures steady pages, not the first one.
    """
    with httpx.Client(base_url=base, timeout=30, headers={"User-Agent": USER_AGENT}) as client:
        fields = form_fields(client.get("/login").text)
        fields.update(username=username, password=password)
        answer = client.post("/login", data=fields)
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in as {username} refused ({answer.status_code})")
        for _ in range(2):
            client.get(page).raise_for_status()
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())
