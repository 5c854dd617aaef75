"""What a cashier's desk allows: the other city only with an inter-city contract, another
establishment's rows never, past days listed without cancellation, prepayment through the page,
and a payment sent twice at once paying once."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from regie.api import User
from regie_billpay import accruals, bills
from regie_billpay.models import Bill, Desk, Subscriber

BASE = "/kremenchuk/billpay"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _key(page: str) -> str:
    return re.search(r'name="request_key" value="([0-9a-f]+)"', page).group(1)


def test_only_an_inter_city_desk_chooses_the_city(cashier_client, centre, desk, transaction):
    query = {"find": 1, "account": "200001", "city": centre["other_city"]}
    page = cashier_client.get(f"{BASE}/new", query_string=query).get_data(as_text=True)
    assert 'id="f-city"' not in page
    assert "200001" in page and "не знайдено" in page  # searched in the desk's own city

    with transaction() as (session, _place):
        session.get(Desk, desk).inter_city = True
    page = cashier_client.get(f"{BASE}/new", query_string={"find": 1})
    assert "Горішні Плавні" in page.get_data(as_text=True)
    response = cashier_client.get(f"{BASE}/new", query_string=query)
    assert response.status_code == 302
    assert f"/accounts/{centre['subscribers']['200001']}" in response.headers["Location"]


def test_another_establishments_account_and_bill_are_not_found(
        cashier_client, centre, make_establishment, regie_runtime):
    from regie.api import Establishment

    from .conftest import subscriber_row

    other = make_establishment("poltava", plugins=["billpay"])
    with regie_runtime.db.transaction() as session:
        from regie_billpay.models import City

        place = session.get(Establishment, other.id)
        city = City(establishment_id=place.id, code="PLT", name="Полтава")
        session.add(city)
        session.flush()
        stranger = subscriber_row(place, city, "555", "Чужий", "Соборна", "1")
        session.add(stranger)
        session.flush()
        stranger_id = stranger.id
    assert cashier_client.get(f"{BASE}/accounts/{stranger_id}").status_code == 404
    assert cashier_client.get(f"{BASE}/bills/999/receipt").status_code == 404
    page = cashier_client.get(f"{BASE}/new", query_string={"find": 1, "surname": "Чуж"})
    assert "555" not in page.get_data(as_text=True)


def test_prepayment_page_pays_two_months_once_the_debt_is_paid(cashier_client, centre, desk,
                                                                cashier, transaction,
                                                                regie_runtime, session):
    with transaction() as (writing, place):
        subscriber = writing.get(Subscriber, centre["subscribers"]["100001"])
        parts = [bills.Part(debt.service.id, debt.period, debt.amount)
                 for line in accruals.debts(writing, place, subscriber) for debt in line.debts]
        bills.pay(writing, place, desk=writing.get(Desk, desk),
                  cashier=writing.get(User, cashier.id), subscriber=subscriber, parts=parts,
                  request_key="settle", runtime=regie_runtime)
    url = f"{BASE}/accounts/{centre['subscribers']['100001']}/prepayment?months=2"
    page = cashier_client.get(url).get_data(as_text=True)
    heat = centre["services"]["HEAT"]
    assert "Опалення" in page and "2 400,00" in page.replace("\u00a0", " ")
    response = cashier_client.post(url, data={
        "csrf_token": _csrf(page), "request_key": _key(page), "pick": str(heat),
        f"amount_{heat}": "2500,00", "action": "pay"})
    assert response.status_code == 302
    bill = session.scalars(select(Bill).where(Bill.kind == "prepayment")).one()
    last = centre["months"][-1]
    assert [(line.period, line.amount) for line in bill.lines] == [
        (accruals.add_months(last, 1), 120000), (accruals.add_months(last, 2), 130000)]


def test_a_payment_sent_twice_at_once_pays_once(transaction, regie_runtime, centre, desk,
                                                cashier, session):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 120000)
    results, barrier = [], threading.Barrier(2)

    def click():
        barrier.wait()
        with transaction() as (writing, place):
            bill = bills.pay(writing, place, desk=writing.get(Desk, desk),
                             cashier=writing.get(User, cashier.id),
                             subscriber=writing.get(Subscriber,
                                                    centre["subscribers"]["100001"]),
                             parts=[part], request_key="same-form", runtime=regie_runtime)
            results.append(bill.id)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1]
    assert session.scalar(select(func.count()).select_from(Bill)) == 1


def test_a_past_day_is_listed_without_cancellation(cashier_client, centre, desk, cashier,
                                                   transaction, regie_runtime):
    """Yesterday's bill is listed on yesterday's page without a cancel link; on the first of
    the month yesterday is last month, which the page does not show."""
    import datetime as dt

    from .conftest import today_in

    with transaction() as (writing, place):
        today = today_in(place)
        moment = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(12, 0),
                                     tzinfo=dt.UTC)
        bills.pay(writing, place, desk=writing.get(Desk, desk),
                  cashier=writing.get(User, cashier.id),
                  subscriber=writing.get(Subscriber, centre["subscribers"]["100001"]),
                  parts=[bills.Part(centre["services"]["HEAT"], centre["months"][0], 100)],
                  request_key="yesterday", runtime=regie_runtime, now=moment)
        day = (today - dt.timedelta(days=1)).isoformat()
    page = cashier_client.get(f"{BASE}/paid", query_string={"day": day}).get_data(as_text=True)
    if today.day == 1:
        assert "100001" not in page and today.strftime("%d.%m.%Y") in page
    else:
        assert "100001" in page and "/cancel" not in page
