"""The cashier's pages, as a cashier uses them: main screen, search, account card, payment,
receipt, paid bills and cancellation."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from regie_billpay.models import Bill

BASE = "/kremenchuk/billpay"


def _key(page: str) -> str:
    return re.search(r'name="request_key" value="([0-9a-f]+)"', page).group(1)


def test_main_screen_shows_cashier_desk_bank_hours_and_clock(cashier_client):
    page = cashier_client.get(f"{BASE}/").get_data(as_text=True)
    assert "Олена Коваль" in page and "K-01" in page and "АТ Ощадбанк" in page
    assert "00:00–23:59" in page
    assert 'class="server-clock clock-open"' in page
    for item in ("Новий рахунок", "Рахунок-передоплата", "Оплачені рахунки"):
        assert item in page


def test_partial_street_house_and_apartment_find_the_subscriber(cashier_client, centre):
    page = cashier_client.get(f"{BASE}/new", query_string={
        "find": 1, "street": "50 лет", "house": "12"}).get_data(as_text=True)
    assert "100001" in page and "100002" in page
    assert "100004" not in page  # "50 років Перемоги" is another street
    assert "200001" not in page  # the same address in another city
    page = cashier_client.get(f"{BASE}/new", query_string={
        "find": 1, "street": "50 лет", "house": "12", "apartment": "6"}).get_data(as_text=True)
    assert "100002" in page and "100001" not in page


def test_surname_prefix_finds_the_subscribers(cashier_client, centre):
    page = cashier_client.get(f"{BASE}/new", query_string={"find": 1, "surname": "петр"}
                              ).get_data(as_text=True)
    assert "Петренко" in page and "Петрів" in page and "100004" not in page


def test_exact_account_opens_the_card_and_an_unknown_one_says_so(cashier_client, centre):
    response = cashier_client.get(f"{BASE}/new", query_string={"find": 1, "account": "100001"})
    assert response.status_code == 302
    assert f"/accounts/{centre['subscribers']['100001']}" in response.headers["Location"]
    page = cashier_client.get(f"{BASE}/new", query_string={"find": 1, "account": "999999"}
                              ).get_data(as_text=True)
    assert "999999" in page and "не знайдено" in page


def test_card_shows_each_service_with_its_debt_per_month(cashier_client, centre):
    months = centre["months"]
    page = cashier_client.get(f"{BASE}/accounts/{centre['subscribers']['100001']}"
                              ).get_data(as_text=True)
    assert "Опалення" in page and "Вода та каналізація" in page
    for month in months:
        assert month.strftime("%m.%Y") in page
    assert "3 600,00" in page.replace("\u00a0", " ")  # heating: 3 × 1 200,00


def test_chosen_services_and_previous_month_narrow_the_card(cashier_client, centre):
    page = cashier_client.get(f"{BASE}/accounts/{centre['subscribers']['100001']}",
                              query_string={"services": "chosen",
                                            "service": centre["services"]["WATER"],
                                            "period": "previous"}).get_data(as_text=True)
    assert "Вода та каналізація" in page and "Опалення" not in page
    assert centre["months"][-1].strftime("%m.%Y") in page
    assert centre["months"][0].strftime("%m.%Y") not in page


def test_corrected_amount_above_the_debt_is_refused_with_the_warning(cashier_client, centre,
                                                                    session):
    url = f"{BASE}/accounts/{centre['subscribers']['100001']}?correct=1"
    page = cashier_client.get(url).get_data(as_text=True)
    water = centre["services"]["WATER"]
    response = cashier_client.post(url, data={
        "csrf_token": cashier_client.csrf_token(page) if hasattr(cashier_client, "csrf_token")
        else re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
        "request_key": _key(page), "pick": str(water), f"amount_{water}": "700,00",
        "action": "pay"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "перевищує" in text  # the seed's warning, in Ukrainian
    assert session.scalar(select(func.count()).select_from(Bill)) == 0


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _pay_water(client, centre, amount="100,00"):
    url = f"{BASE}/accounts/{centre['subscribers']['100001']}?correct=1"
    page = client.get(url).get_data(as_text=True)
    water = centre["services"]["WATER"]
    data = {"csrf_token": _csrf(page), "request_key": _key(page), "pick": str(water),
            f"amount_{water}": amount, "action": "pay"}
    return url, data, client.post(url, data=data)


def test_paying_shows_the_receipt_and_a_second_click_pays_nothing_more(cashier_client, centre,
                                                                       session):
    url, data, response = _pay_water(cashier_client, centre)
    assert response.status_code == 302 and "/receipt?first=1" in response.headers["Location"]
    again = cashier_client.post(url, data=data)
    assert again.headers["Location"] == response.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Bill)) == 1

    page = cashier_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-print-after="2000"' in page
    assert "КВИТАНЦІЯ" in page and "ДУБЛІКАТ" not in page
    duplicate = cashier_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ДУБЛІКАТ" in duplicate


def test_receipt_pdf_reads_back_with_the_lines(cashier_client, centre, session):
    _pay_water(cashier_client, centre, "150,25")
    bill = session.scalars(select(Bill)).one()
    pdf = cashier_client.get(f"{BASE}/bills/{bill.id}/receipt.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Вода та каналізація" in text and "150,25" in text and "100001" in text


def test_distribution_of_a_sum_is_shown_before_paying(cashier_client, centre):
    url = f"{BASE}/accounts/{centre['subscribers']['100001']}"
    page = cashier_client.get(url).get_data(as_text=True)
    response = cashier_client.post(url, data={"csrf_token": _csrf(page),
                                              "request_key": _key(page),
                                              "lump_sum": "1500,00", "action": "distribute"})
    text = response.get_data(as_text=True).replace("\u00a0", " ")
    oldest = centre["months"][0].strftime("%m.%Y")
    # oldest month first, services by priority: heating 1 200,00, water 230,75, house 69,25
    split = text[text.index('class="table split"'):]
    assert re.search(rf"Опалення</td><td>{oldest}</td><td[^>]*>1 200,00", split)
    assert re.search(rf"Вода та каналізація</td><td>{oldest}</td><td[^>]*>230,75", split)
    assert re.search(rf"Експл. витрати, ліфт, сміття</td><td>{oldest}</td><td[^>]*>69,25",
                     split)
    assert "Bill" not in split


def test_prepayment_is_refused_with_a_debt(cashier_client, centre):
    page = cashier_client.get(f"{BASE}/accounts/{centre['subscribers']['100001']}/prepayment"
                              ).get_data(as_text=True)
    assert "Передоплата неможлива" in page


def test_paid_bills_list_and_cancel_with_the_warning(cashier_client, centre, session):
    _pay_water(cashier_client, centre)
    bill = session.scalars(select(Bill)).one()
    listing = cashier_client.get(f"{BASE}/paid").get_data(as_text=True)
    assert "100001" in listing and f"/bills/{bill.id}/cancel" in listing
    form = cashier_client.get(f"{BASE}/bills/{bill.id}/cancel").get_data(as_text=True)
    assert "лише в день прийому платежу" in form
    refused = cashier_client.post(f"{BASE}/bills/{bill.id}/cancel",
                                  data={"csrf_token": _csrf(form), "reason": ""})
    assert refused.status_code == 200
    done = cashier_client.post(f"{BASE}/bills/{bill.id}/cancel",
                               data={"csrf_token": _csrf(form), "reason": "Помилка касира",
                                     "document": "cashier_explanation"})
    assert done.status_code == 302
    listing = cashier_client.get(f"{BASE}/paid").get_data(as_text=True)
    assert "скасовано" in listing and "Помилка касира" in listing
