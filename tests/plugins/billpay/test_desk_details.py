"""The supervisor changes a desk's bank details (IBAN and BIC checked) and its hours, usual
and per weekday; the cashier's main screen follows today's hours and receipts print the
bank's details."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.testing.plugin import PASSWORD
from regie_billpay import receipts
from regie_billpay.models import Desk

from .conftest import SLUG, today_in

DESKS = f"/{SLUG}/billpay/desk/desks"
IBAN = "UA213223130000026007233566001"
USUAL = {"bank": "АТ Ощадбанк", "iban": "", "bic": "", "opens_at": "08:00",
         "closes_at": "17:00"}


@pytest.fixture
def supervisor_client(client, make_user, town):
    supervisor = make_user("nachalnyk", roles={town: ["billpay.supervisor"]})
    client.sign_in(supervisor.username, PASSWORD)
    return client


def _save(client, desk_id: int, data: dict, **kwargs):
    page = client.get(f"{DESKS}/{desk_id}").get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start:page.index('"', start)]
    return client.post(f"{DESKS}/{desk_id}/details?lang=en",
                       data={"csrf_token": token, **USUAL, **data}, **kwargs)


def test_supervisor_sets_the_bank_details_and_the_hours_of_each_weekday(
        supervisor_client, desk, regie_runtime):
    response = _save(supervisor_client, desk, {
        "iban": "ua21 3223 1300 0002 6007 2335 6600 1", "bic": " pbanua2x ",
        "opens_at": "8:30", "hours_6": "9:00 – 13:00", "closed_7": "on"},
        follow_redirects=True)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Desk K-01 saved" in page
    assert IBAN in page and "PBANUA2X" in page
    assert "08:30–17:00" in page and "Субота: 09:00–13:00" in page
    assert "Неділя: зачинено весь день" in page
    with regie_runtime.db.transaction() as session:
        row = session.get(Desk, desk)
        assert (row.iban, row.bic, row.week_hours) == (
            IBAN, "PBANUA2X", {"6": "09:00-13:00", "7": ""})
        assert row.hours_on(dt.date(2026, 11, 23)) == (dt.time(8, 30), dt.time(17, 0))
        assert row.hours_on(dt.date(2026, 11, 28)) == (dt.time(9, 0), dt.time(13, 0))
        assert row.hours_on(dt.date(2026, 11, 29)) is None


def test_bad_details_are_refused_and_nothing_is_saved(supervisor_client, desk, regie_runtime):
    response = _save(supervisor_client, desk, {
        "iban": IBAN[:-1] + "2", "bic": "PBAN", "hours_1": "9-13", "hours_2": "14:00-09:00",
        "hours_3": "25:00-26:00", "bank": "Банк нових реквізитів"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This IBAN is not valid" in page and "A BIC has 8 or 11" in page
    assert page.count("Give the hours as 09:00-13:00.") == 2
    assert "The desk must close after it opens." in page
    assert 'value="9-13"' in page  # what was typed is kept
    with regie_runtime.db.transaction() as session:
        row = session.get(Desk, desk)
        assert (row.bank, row.iban, row.week_hours) == ("АТ Ощадбанк, відділення 10022", "",
                                                        {})


def test_the_cashier_sees_today_closed_when_the_desk_does_not_open_today(
        cashier_client, desk, transaction):
    with transaction() as (session, place):
        row = session.get(Desk, desk)
        row.week_hours = {str(today_in(place).isoweekday()): ""}
    page = cashier_client.get(f"/{SLUG}/billpay/").get_data(as_text=True)
    assert "сьогодні зачинено" in page
    assert "clock-open" not in page and 'data-opens="00:00" data-closes="00:00"' in page


def test_the_receipt_prints_the_bank_details_under_the_bank():
    receipt = receipts.Receipt(
        establishment="РЦ", number=1, moment=dt.datetime(2026, 11, 23, 10, 0), desk="K-01",
        bank="АТ Ощадбанк", cashier="Коваль", account="100001", surname="Петренко",
        address="Соборна, 3", prepayment=False, lines=(), total=0,
        bank_details=(f"IBAN {IBAN}", "BIC PBANUA2X"))
    lines = receipts.text_lines(receipt)
    bank = lines.index("АТ Ощадбанк")
    assert lines[bank + 1:bank + 4] == ["IBAN", IBAN, "BIC PBANUA2X"]
    assert all(len(line) <= receipts.WIDTH for line in lines)
