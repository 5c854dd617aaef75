"""Fixtures for the co-op: a group offering methods, its members, products and distributions.

The engine offers the core's fake online method (:data:`regie.testing.payments.FAKE_METHOD`)
as the establishment's online method, so online payments are paid through the core flow.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from regie.api import Establishment
from regie.testing.clock import midday_timezone
from regie.testing.payments import engine_with_fake_method
from regie_coop import accounts
from regie_coop.models import Distribution, Member, Product

SLUG = "amap-du-marais"
ON_SITE = {"method_cash": True, "method_cheque": True, "method_card_on_site": True,
           "method_transfer": True, "method_online": True}
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def regie_engine():
    return engine_with_fake_method(["coop", "mail_smtp"])


@pytest.fixture
def group_settings() -> dict:
    """The co-op's settings in :func:`group` (override in a module for other methods)."""
    return dict(ON_SITE)


@pytest.fixture
def group(make_establishment, group_settings) -> Establishment:
    return make_establishment(SLUG, name="AMAP du Marais", plugins={"coop": group_settings},
                              locale="en", timezone=midday_timezone())


@pytest.fixture
def transaction(regie_runtime, group):
    """``with transaction() as (session, place):`` a write transaction in the group."""
    from contextlib import contextmanager

    @contextmanager
    def open_():
        with regie_runtime.db.transaction() as session:
            yield session, session.get(Establishment, group.id)

    return open_


@pytest.fixture
def make_member(transaction) -> Callable[..., int]:
    def make(name: str | None = None, user_id: int | None = None, **operations) -> int:
        with transaction() as (session, place):
            member = accounts.add_member(session, place, name=name or f"Member {next(_numbers)}",
                                         email="member@example.org", user_id=user_id)
            if operations.get("carry_over"):
                accounts.add_carry_over(session, place, member, operations["carry_over"])
            return member.id

    return make


@pytest.fixture
def products(transaction) -> dict[str, int]:
    with transaction() as (session, place):
        rows = [Product(establishment_id=place.id, name="Eggs (6)", unit="box", unit_price=250),
                Product(establishment_id=place.id, name="Carrots", unit="kg", unit_price=333),
                Product(establishment_id=place.id, name="Bread", unit="loaf", unit_price=420)]
        session.add_all(rows)
        session.flush()
        return {"eggs": rows[0].id, "carrots": rows[1].id, "bread": rows[2].id}


def today_in(place) -> dt.date:
    return accounts.local_now(place).date()


@pytest.fixture
def make_distribution(transaction) -> Callable[..., int]:
    """A distribution ``days`` from today (negative: past), open for orders now unless
    ``open_now=False``."""

    def make(days: int = 0, place_name: str = "Halle Saint-Jean", open_now: bool = True,
             validated: bool = False) -> int:
        with transaction() as (session, place):
            now = dt.datetime.now(dt.UTC)
            distribution = Distribution(
                establishment_id=place.id, date=today_in(place) + dt.timedelta(days=days),
                place=place_name, orders_open_at=now - dt.timedelta(days=30),
                orders_close_at=now + dt.timedelta(days=1 if open_now else -1),
                opening_float=0, validated_at=now if validated else None)
            session.add(distribution)
            session.flush()
            return distribution.id

    return make


def load(session, model, row_id):
    return session.get(model, row_id)


def member_balance(regie_runtime, member_id: int) -> int:
    with regie_runtime.db.session() as session:
        return session.get(Member, member_id).balance
