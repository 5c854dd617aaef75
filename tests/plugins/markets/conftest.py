"""Fixtures for Markets: a town with the plugin on, its markets and traders, and users of the
four profiles."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from contextlib import contextmanager

import pytest

from regie.api import Establishment
from regie_markets import traders
from regie_markets.models import Authorisation, Market, Trader

SLUG = "lunel"
VALID_SIRETS = ("73282932000074", "35600000000048", "35600000049837", "55210055400013",
                "44306184100047", "40483304800022", "38012986646850")
_sirets = itertools.count()


def siret() -> str:
    """A valid SIRET (the same few repeat: the SIRET is not unique among traders)."""
    return VALID_SIRETS[next(_sirets) % len(VALID_SIRETS)]


@pytest.fixture
def markets_settings() -> dict:
    """The Markets settings of :func:`town` (override in a module to change thresholds)."""
    return {}


@pytest.fixture
def town(make_establishment, markets_settings) -> Establishment:
    return make_establishment(SLUG, name="Mairie de Lunel", plugins={"markets": markets_settings})


@pytest.fixture
def transaction(regie_runtime, town):
    """``with transaction() as (session, place):`` a write transaction in the town."""

    @contextmanager
    def open_():
        with regie_runtime.db.transaction() as session:
            yield session, session.get(Establishment, town.id)

    return open_


@pytest.fixture
def make_market(transaction) -> Callable[..., int]:
    def make(name="Marché du Mercredi", weekdays="1234567", standard=150, demonstrator=300,
             surcharge=100) -> int:
        with transaction() as (session, place):
            market = Market(establishment_id=place.id, name=name, place="Place de la Mairie",
                            weekdays=weekdays, tariff_standard=standard,
                            tariff_demonstrator=demonstrator, tariff_surcharge=surcharge)
            session.add(market)
            session.flush()
            return market.id

    return make


@pytest.fixture
def make_trader(transaction) -> Callable[..., int]:
    """A trader with a valid record (K-bis and insurance valid for long), optionally authorised
    on markets and with a badge; returns its id."""

    def make(last_name="MARTIN", first_name="Paul", *, badge: str | None = None,
             markets=(), **fields) -> int:
        data = {"last_name": last_name, "first_name": first_name, "address": "1 rue Haute",
                "postcode": "34400", "city": "Lunel", "siret": siret(),
                "kbis_checked_on": dt.date.today().isoformat(),
                "insurance_until": (dt.date.today() + dt.timedelta(days=365)).isoformat()}
        data.update({k: v for k, v in fields.items() if k in traders.TEXT_FIELDS
                     or k in traders.DATE_FIELDS or k == "siret"})
        with transaction() as (session, place):
            trader = traders.create_trader(session, place, data)
            for name, value in fields.items():
                if name in ("blocked", "blocked_reason", "badge_token"):
                    setattr(trader, name, value)
            if badge:
                traders.associate_badge(session, place, trader, badge)
            for market_id in markets:
                session.add(Authorisation(establishment_id=place.id, trader_id=trader.id,
                                          market_id=market_id, weekday=0))
            return trader.id

    return make


@pytest.fixture
def load(transaction):
    """``load(Model, id)``: a fresh copy of a row, read in its own transaction."""

    def read(model, row_id):
        with transaction() as (session, _place):
            row = session.get(model, row_id)
            session.expunge(row)
            return row

    return read


@pytest.fixture
def placier(make_user, town):
    return make_user("placier1", roles={town: ["markets.placier"]})


def trader_row(session, trader_id) -> Trader:
    return session.get(Trader, trader_id)
