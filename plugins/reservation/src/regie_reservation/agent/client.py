"""The agent's HTTPS client of the hosted sync API.

Every request carries the school's token (``Authorization: Bearer``). A request that meets a
network loss (refused or cut connection, timeout, 502/503/504 from a proxy) is sent again after
1, 2, 4 … 30 seconds, for at most ``retry_for`` seconds; every request is safe to repeat,
because each item carries the back office's id or the payment reference and the server answers
"already there" for what it holds. A refusal (bad token, bad payload) is not retried.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from regie.api import gettext as _

log = logging.getLogger("regie.canteen.agent")

API_VERSION = "v1"
RETRYABLE_STATUS = (502, 503, 504)


class ServerUnreachable(Exception):
    """The hosted side could not be reached for ``retry_for`` seconds."""


class ServerRefused(Exception):
    """The hosted side answered with an error it will repeat (401, 403, 404, 400 …)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Client:
    def __init__(self, base_url: str, establishment: str, token: str, *, timeout: float = 30,
                 retry_for: float = 300, sleep=time.sleep) -> None:
        self.root = (f"{base_url.rstrip('/')}/callbacks/{urllib.parse.quote(establishment)}"
                     f"/reservation/sync/{API_VERSION}")
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                        "Content-Type": "application/json",
                        "User-Agent": "regie-canteen-agent/1"}
        self.timeout = timeout
        self.retry_for = retry_for
        self.sleep = sleep
        self.retries = 0
        """Requests sent again after a network loss, since the client was made."""

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return self._send("GET", f"{path}?{query}" if query else path, None)

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, json.dumps(payload, separators=(",", ":"),
                                                   ensure_ascii=False).encode("utf-8"))

    def _send(self, method: str, path: str, body: bytes | None) -> dict[str, Any]:
        url = f"{self.root}/{path.lstrip('/')}"
        deadline, delay = None, 1.0
        while True:
            request = urllib.request.Request(url, data=body, method=method,  # noqa: S310
                                             headers=self.headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRYABLE_STATUS:
                    raise ServerRefused(exc.code, _error_of(exc)) from None
                problem = f"HTTP {exc.code}"
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                    TimeoutError, json.JSONDecodeError) as exc:
                problem = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
            deadline = deadline or time.monotonic() + self.retry_for
            if time.monotonic() + delay > deadline:
                raise ServerUnreachable(_("server unreachable (%(problem)s); the next run "
                                          "catches up", problem=problem))
            log.warning("%s %s: %s, retrying in %.0f s", method, path.split("?")[0], problem,
                        delay)
            self.retries += 1
            self.sleep(delay)
            delay = min(delay * 2, 30.0)


def _error_of(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read() or b"{}").get("error", exc.reason))
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)
