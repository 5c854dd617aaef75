"""Fixtures for the school canteen: a school with the plugin on, its individuals, and a write
transaction in it.

The engine offers the core's fake online method (:data:`regie.testing.payments.FAKE_METHOD`)
as the school's online method, so top-ups are paid through the core flow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import contextmanager

import pytest

from regie.api import Establishment
from regie.testing.payments import engine_with_fake_method
from regie_reservation import individuals
from regie_reservation.individuals import IndividualData

SLUG = "college-jean-moulin"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def regie_engine():
    return engine_with_fake_method(["reservation", "mail_smtp"])


@pytest.fixture
def school_settings() -> dict:
    """The plugin's settings in :func:`school` (override in a module for others)."""
    return {"reservation_enabled": True}


@pytest.fixture
def school(make_establishment, school_settings) -> Establishment:
    return make_establishment(SLUG, name="Collège Jean Moulin",
                              plugins={"reservation": school_settings}, locale="en")


@pytest.fixture
def transaction(regie_runtime, school):
    """``with transaction() as (session, place):`` a write transaction in the school."""

    @contextmanager
    def open_():
        with regie_runtime.db.transaction() as session:
            yield session, session.get(Establishment, school.id)

    return open_


@pytest.fixture
def make_individual(transaction) -> Callable[..., int]:
    """A pupil (by default) of the school; keyword arguments are :class:`IndividualData`
    fields. Returns the individual's id."""

    def make(**fields) -> int:
        number = next(_numbers)
        data = {"external_id": f"E{number}", "last_name": f"Martin{number}",
                "first_name": "Léa", "class_name": "6A", **fields}
        with transaction() as (session, place):
            return individuals.upsert(session, place, IndividualData(**data)).id

    return make


# --- back-office sync (SYNC) ---------------------------------------------------------------


@pytest.fixture
def sync_token(transaction) -> str:
    """The text of an active agent token of the school."""
    from regie_reservation.sync import tokens

    with transaction() as (session, place):
        return tokens.create(session, place, label="Test agent")[1]


@pytest.fixture
def sync_api(client, school, sync_token):
    """``sync_api("get", "payments", after=0)`` or ``sync_api("post", "individuals", json=…)``:
    the test client calling the school's sync API with its token."""

    def call(method: str, path: str, *, token: str | None = sync_token, json=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"/callbacks/{SLUG}/reservation/sync/v1/{path}"
        if method == "get":
            return client.get(url, query_string=params, headers=headers)
        return client.post(url, json=json, headers=headers)

    return call


@pytest.fixture
def live_server(regie_runtime):
    """The base URL of the instance's web app, served by werkzeug on 127.0.0.1."""
    import threading

    from werkzeug.serving import make_server

    from regie.web import create_app

    server = make_server("127.0.0.1", 0, create_app(runtime=regie_runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sync-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
