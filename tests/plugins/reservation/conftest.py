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
