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
    return make_establishment(SLUG, name="Mairie de Lunel", plugins={"markets": markets_settings},
                              locale="en")


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


# --- back office (OFFICE) ------------------------------------------------------------------

OCTOBER = dt.date(2026, 10, 1)
AFTER_OCTOBER = dt.date(2026, 11, 5)


@pytest.fixture
def small_month(transaction):
    """October 2026 in two markets: Dupont (7) trades mostly at Les Halles, Martin (3) and
    Bernard (5) at Marché Bas; Zola (9) only has a November ticket. Returns trader ids."""
    from regie_markets.tickets import create_ticket

    with transaction() as (session, place):
        halles = Market(establishment_id=place.id, name="Les Halles", weekdays="1234567",
                        tariff_standard=150, tariff_demonstrator=200, tariff_surcharge=100)
        bas = Market(establishment_id=place.id, name="Marché Bas", weekdays="1234567",
                     tariff_standard=100, tariff_demonstrator=200, tariff_surcharge=100)
        session.add_all([halles, bas])
        found = {}
        for number, name, serial in ((7, "DUPONT", "04A1B2C3D4"), (3, "MARTIN", "04FFEE0011"),
                                     (5, "BERNARD", None), (9, "ZOLA", None)):
            trader = Trader(establishment_id=place.id, number=number, last_name=name,
                            first_name="A", legal_name=name, address=f"{number} rue du Marché",
                            postcode="34400", city="Lunel", siret="73282932000074",
                            badge_serial=serial, badge_token=f"office-{place.id}-{number}")
            session.add(trader)
            found[name.lower()] = trader
        session.flush()
        day = OCTOBER.replace
        for when in (2, 9, 16):
            create_ticket(session, place, trader=found["dupont"], market=halles, day=day(day=when),
                          metres=4)
        create_ticket(session, place, trader=found["dupont"], market=bas, day=day(day=3),
                      metres=2, badge_surcharge=True)
        create_ticket(session, place, trader=found["martin"], market=bas, day=day(day=3),
                      metres=6)
        create_ticket(session, place, trader=found["martin"], market=bas, day=day(day=10),
                      metres=6, demonstrator=True)
        create_ticket(session, place, trader=found["bernard"], market=bas, day=day(day=31),
                      metres=3)
        create_ticket(session, place, trader=found["zola"], market=bas, day=dt.date(2026, 11, 2),
                      metres=3)
        return {name: trader.id for name, trader in found.items()}


@pytest.fixture
def run_invoicing(regie_runtime, transaction, town):
    """``run_invoicing(month, today)``: prepare and run the month's invoicing job now."""
    from regie.api import TaskContext
    from regie_markets.invoicing import treatment

    def run(month=OCTOBER, today=AFTER_OCTOBER) -> int:
        with transaction() as (session, place):
            run_id = treatment.prepare_run(session, place, month, today=today,
                                           actor="regie").id
        with regie_runtime.db.session() as session:
            place = session.get(Establishment, town.id)
            context = TaskContext(regie_runtime, "markets.invoicing", place)
        treatment.invoice_month(context, run_id, actor="regie")
        return run_id

    return run
