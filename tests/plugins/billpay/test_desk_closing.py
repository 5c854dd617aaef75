"""Closing a desk's day locks it: no payment and no cancellation after, the reports say so,
and closing twice or without naming the desk is refused with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.api import User, Veto
from regie.testing.plugin import PASSWORD
from regie_billpay import bills, closing
from regie_billpay.models import Bill, Desk, DeskDay, Subscriber

from .conftest import SLUG, today_in

REPORTS = f"/{SLUG}/billpay/desk/reports"


def _pay(transaction, regie_runtime, centre, desk, cashier, key):
    with transaction() as (session, place):
        return bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id),
                         subscriber=session.get(Subscriber, centre["subscribers"]["100001"]),
                         parts=[bills.Part(centre["services"]["HEAT"], centre["months"][0],
                                           1000)],
                         request_key=key, runtime=regie_runtime).id


def test_cashier_closes_the_day_and_it_takes_no_more_payment_or_cancellation(
        cashier_client, transaction, regie_runtime, centre, desk, cashier):
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier, "before")

    response = cashier_client.post(f"/{SLUG}/billpay/desk/close?lang=en",
                                   data=_csrf(cashier_client), follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "is closed: it takes no more payments or cancellations" in page
    assert 'id="day-state"' in page and "Close the day" not in page
    with pytest.raises(Veto, match="is closed"):
        _pay(transaction, regie_runtime, centre, desk, cashier, "after")
    with pytest.raises(Veto, match="is closed"), transaction() as (session, place):
        bills.cancel(session, place, session.get(Bill, bill_id),
                     user=session.get(User, cashier.id), reason="помилка",
                     document="cashier_explanation", runtime=regie_runtime)
    with transaction() as (session, place):
        day = session.query(DeskDay).one()
        assert day.closed_by_id == cashier.id and day.day == today_in(place)
        assert closing.is_closed(session, session.get(Desk, desk), today_in(place))
        assert session.get(Bill, bill_id).cancelled_at is None


def test_closing_twice_says_it_is_already_closed(cashier_client, desk, cashier):
    cashier_client.post(f"/{SLUG}/billpay/desk/close", data=_csrf(cashier_client))

    again = cashier_client.post(f"/{SLUG}/billpay/desk/close?lang=en",
                                data=_csrf(cashier_client), follow_redirects=True)

    assert "is already closed" in again.get_data(as_text=True)


def test_supervisor_must_name_the_desk_to_close(client, make_user, town, desk):
    supervisor = make_user("chief", roles={town: ["billpay.supervisor"]})
    client.sign_in(supervisor.username, PASSWORD)

    all_desks = client.post(f"/{SLUG}/billpay/desk/close?lang=en", data=_csrf(client),
                            follow_redirects=True)
    one = client.post(f"/{SLUG}/billpay/desk/close?lang=en&desk={desk}", data=_csrf(client),
                      follow_redirects=True)

    assert "Choose the desk whose day to close" in all_desks.get_data(as_text=True)
    assert "of desk K-01 is closed" in one.get_data(as_text=True)


def test_closing_a_day_to_come_is_refused(transaction, desk, cashier):
    with pytest.raises(Veto, match="has not come yet"), transaction() as (session, place):
        today = today_in(place)
        closing.close_day(session, place, session.get(Desk, desk), today + dt.timedelta(days=1),
                          user=session.get(User, cashier.id), today=today)


def _csrf(client) -> dict:
    page = client.get(f"{REPORTS}?lang=en").get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return {"csrf_token": page[start:page.index('"', start)]}
