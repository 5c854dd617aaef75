"""Real services for tests: skipped with the reason on a laptop, mandatory in CI.

``REGIE_REQUIRE=postgres,redis,browser`` turns a missing service into a failure: CI sets it so
a green run cannot hide a skipped check.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

DEFAULTS = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "redis": "redis://127.0.0.1:6379/15",
}


def required() -> set[str]:
    return {name.strip() for name in os.environ.get("REGIE_REQUIRE", "").split(",") if name}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str) -> str:
    """The URL of service ``name`` (``postgres``, ``redis``) or the browser's executable path.

    Skips the test when the service is missing, unless ``REGIE_REQUIRE`` names it.
    """
    if name == "browser":
        path = os.environ.get("REGIE_CHROMIUM", shutil.which("chromium") or "")
        available, where = bool(path) and os.path.exists(path), path or "chromium"
        value = path
    else:
        value = os.environ.get(f"REGIE_TEST_{name.upper()}_URL", DEFAULTS[name])
        from sqlalchemy.engine import make_url

        url = make_url(value.replace("redis://", "redis+x://", 1)) if name == "redis" else (
            make_url(value))
        where = f"{url.host}:{url.port}"
        available = _reachable(url.host or "127.0.0.1", url.port or 0)
    if not available:
        message = f"{name} is not available at {where}"
        if name in required():
            pytest.fail(f"{message} and REGIE_REQUIRE names it")
        pytest.skip(message)
    return value
