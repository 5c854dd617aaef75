"""The cashier's search (:func:`regie_billpay.search.find`): each combination of criteria,
how typed text is compared, the order of the list and where it is cut."""

from __future__ import annotations

import pytest

from regie_billpay.models import City
from regie_billpay.search import LIMIT, Criteria, find

from .conftest import subscriber_row

BASE = "/kremenchuk/billpay"


@pytest.fixture
def search(transaction, centre):
    """``search(limit=…, **criteria)``: the account numbers found in the centre's city."""

    def run(limit: int = LIMIT, **criteria) -> list[str]:
        with transaction() as (session, place):
            found = find(session, place, Criteria(centre["city"], **criteria), limit=limit)
        return [match.account_number for match in found]

    return run


@pytest.fixture
def neighbours(transaction, centre):
    """More households: a house with a letter, and a Петренко on Соборна."""
    with transaction() as (session, place):
        city = session.get(City, centre["city"])
        session.add_all([
            subscriber_row(place, city, "100005", "Семенова", "вул. Соборна", "12 а", "7"),
            subscriber_row(place, city, "100006", "Петренко", "вул. Соборна", "3", "1"),
        ])


def test_partial_street_lists_the_addresses_in_order_in_the_city_only(search):
    assert search(street="50 лет") == ["100001", "100002"]
    assert search(street="50") == ["100001", "100002", "100004"]  # "лет" < "років"


def test_street_is_found_whatever_its_kind_case_and_spaces(search, neighbours):
    for typed in ("Соборна", "вул. Соборна", "улица собор", "  СОБОРНА  ", "просп. Собор"):
        assert search(street=typed) == ["100005", "100003", "100006"], typed  # "12А" < "3"


def test_house_and_apartment_narrow_the_street(search, neighbours):
    assert search(street="50 лет", house="12", apartment="6") == ["100002"]
    assert search(street="Собор", house="3") == ["100003", "100006"]
    assert search(street="Собор", house="12 А") == ["100005"]
    assert search(street="Собор", house="12а", apartment=" 7 ") == ["100005"]
    assert search(street="Собор", house="12") == []


def test_surname_prefix_alone_lists_by_surname(search, neighbours):
    assert search(surname="петр") == ["100001", "100006", "100002"]  # Петренко ×2, Петрів
    assert search(surname="ПЕТРЕНКО", house="3") == ["100006"]


def test_surname_with_the_street_lists_by_address(search, neighbours):
    assert search(street="Собор", surname="Петр") == ["100006"]
    assert search(street="Собор", house="3", surname="Іван") == ["100003"]
    assert search(street="50 лет", house="12", apartment="5", surname="Петр") == ["100001"]


def test_exact_account_ignores_the_other_criteria(search):
    assert search(account=" 100001 ", street="Собор") == ["100001"]
    assert search(account="200001") == []  # the same number is only in the other city
    assert search(account="999999") == []


def test_without_street_surname_or_account_nothing_is_searched(search):
    assert search(house="12", apartment="5") == []
    assert search(street=" ", surname=" ") == []


def test_the_list_stops_one_past_the_limit(search):
    assert search(limit=1, street="50") == ["100001", "100002"]
    assert search(limit=2, street="50 лет") == ["100001", "100002"]


def test_the_cashier_sees_the_first_fifty_and_is_told_to_narrow(cashier_client, transaction,
                                                                 centre):
    with transaction() as (session, place):
        city = session.get(City, centre["city"])
        session.add_all(subscriber_row(place, city, str(300_000 + number), "Лисенко",
                                       "вул. Шевченка", "7", str(number))
                        for number in range(1, LIMIT + 2))
    page = cashier_client.get(f"{BASE}/new", query_string={"find": 1, "street": "Шевч"}
                              ).get_data(as_text=True)
    listed = [str(300_000 + number) for number in range(1, LIMIT + 2)
              if f">{300_000 + number}</a>" in page]
    assert len(listed) == LIMIT == 50
    assert "Показано лише перші 50" in page
