"""Fixtures for the utility cashier: a settlement centre's town (Kremenchuk) with payees,
services, subscribers and accruals, a desk and its cashier.

Accruals are for the three months before the current one, so "previous month" and the
prepayment months follow the calendar the tests run in.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from regie.api import Establishment
from regie_billpay import bills
from regie_billpay.accruals import add_months, month_start
from regie_billpay.models import (
    Accrual,
    City,
    Desk,
    DeskCashier,
    Payee,
    Service,
    Subscriber,
    search_key,
)
from regie_billpay.search import address_part, street_key

SLUG = "kremenchuk"
TOWN = {"billpay": {"require_client_certificate": False}}


@pytest.fixture
def town(make_establishment) -> Establishment:
    return make_establishment(SLUG, name="Розрахунковий центр Кременчука", plugins=TOWN,
                              locale="uk", currency="UAH", timezone="Europe/Kyiv")


@pytest.fixture
def transaction(regie_runtime, town):
    """``with transaction() as (session, place):`` a write transaction in the town."""

    @contextmanager
    def open_():
        with regie_runtime.db.transaction() as session:
            yield session, session.get(Establishment, town.id)

    return open_


def today_in(place) -> dt.date:
    return bills.local_now(place).date()


def subscriber_row(place, city, account, surname, street, house, apartment="") -> Subscriber:
    return Subscriber(establishment_id=place.id, city_id=city.id, account_number=account,
                      surname=surname, street=street, house=address_part(house),
                      apartment=address_part(apartment), street_key=street_key(street),
                      surname_key=search_key(surname))


@pytest.fixture
def centre(transaction) -> dict:
    """The centre's data: ids of the city, services (by code), subscribers (by account) and
    the three accrued months, oldest first."""
    with transaction() as (session, place):
        city = City(establishment_id=place.id, code="KRM", name="Кременчук")
        other_city = City(establishment_id=place.id, code="HOR", name="Горішні Плавні")
        water = Payee(establishment_id=place.id, code="VK", name="КП Кременчукводоканал",
                      edrpou="03356128")
        heat = Payee(establishment_id=place.id, code="TE", name="Кременчуцька ТЕЦ",
                     dbf_encoding="cp1251")
        session.add_all([city, other_city, water, heat])
        session.flush()
        services = {
            "HOUSE": Service(establishment_id=place.id, code="HOUSE",
                             name="Експл. витрати, ліфт, сміття", payee_id=water.id, priority=3),
            "HEAT": Service(establishment_id=place.id, code="HEAT", name="Опалення",
                            payee_id=heat.id, priority=1),
            "WATER": Service(establishment_id=place.id, code="WATER",
                             name="Вода та каналізація", payee_id=water.id, priority=2),
        }
        session.add_all(services.values())
        subscribers = {
            "100001": subscriber_row(place, city, "100001", "Петренко", "50 лет Октября", "12",
                                     "5"),
            "100002": subscriber_row(place, city, "100002", "Петрів", "50 лет Октября", "12",
                                     "6"),
            "100003": subscriber_row(place, city, "100003", "Іваненко", "вул. Соборна", "3"),
            "100004": subscriber_row(place, city, "100004", "Коваль", "50 років Перемоги", "1"),
            "200001": subscriber_row(place, other_city, "200001", "Петренко",
                                     "50 лет Октября", "12", "5"),
        }
        session.add_all(subscribers.values())
        session.flush()
        this_month = month_start(today_in(place))
        months = [add_months(this_month, -3), add_months(this_month, -2),
                  add_months(this_month, -1)]
        amounts = {"HOUSE": 15050, "HEAT": 120000, "WATER": 23075}
        for account in ("100001", "100002", "100003", "200001"):
            for code, service in services.items():
                for period in months:
                    session.add(Accrual(establishment_id=place.id,
                                        subscriber_id=subscribers[account].id,
                                        service_id=service.id, period=period,
                                        amount=amounts[code]))
        return {"city": city.id, "other_city": other_city.id,
                "services": {code: s.id for code, s in services.items()},
                "subscribers": {account: s.id for account, s in subscribers.items()},
                "months": months, "amounts": amounts,
                "payees": {"VK": water.id, "TE": heat.id}}


@pytest.fixture
def desk(transaction, centre) -> int:
    with transaction() as (session, place):
        row = Desk(establishment_id=place.id, code="K-01", name="Каса 1",
                   bank="АТ Ощадбанк, відділення 10022", city_id=centre["city"],
                   inter_city=False, opens_at=dt.time(0, 0), closes_at=dt.time(23, 59))
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def cashier(make_user, town, desk, transaction):
    user = make_user("kasirka", roles={town: ["billpay.cashier"]}, full_name="Олена Коваль")
    with transaction() as (session, place):
        session.add(DeskCashier(establishment_id=place.id, desk_id=desk, user_id=user.id))
    return user


@pytest.fixture
def cashier_client(client, cashier):
    from regie.testing.plugin import PASSWORD

    client.sign_in(cashier.username, PASSWORD)
    return client
