"""Driving the placier's phone pages from a test client."""

from __future__ import annotations

HOME = "/lunel/markets/field/"


def post(client, url, data=None, page=HOME):
    """POST ``data`` to ``url`` with the CSRF token of ``page``."""
    return client.post(url, data={"csrf_token": client.csrf_token(page), **(data or {})})


def choose(client, market_id, mode):
    """Pick the market of the day and the mode, as the placier does first."""
    assert post(client, "/lunel/markets/field/market",
                {"market_id": str(market_id)}).status_code == 302
    assert post(client, "/lunel/markets/field/mode", {"mode": mode}).status_code == 302
