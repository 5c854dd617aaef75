"""The day's reports a cashier or a supervisor orders: the consolidated register per service
with the day's cancellations after it, the register per payee, each payee's DBF file, for any
day of the current month; printed (PDF read back) or downloaded."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import dbf
from pypdf import PdfReader

from regie.api import User
from regie.testing.plugin import PASSWORD
from regie_billpay import bills
from regie_billpay.models import Bill, Desk, DeskCashier, Payee, Subscriber

from .conftest import SLUG, today_in

BASE = f"/{SLUG}/billpay/desk"


def _pay(transaction, runtime, centre, desk_id, user, account, parts, key):
    with transaction() as (session, place):
        bill = bills.pay(session, place, desk=session.get(Desk, desk_id),
                         cashier=session.get(User, user.id),
                         subscriber=session.get(Subscriber, centre["subscribers"][account]),
                         parts=[bills.Part(centre["services"][code], period, amount)
                                for code, period, amount in parts],
                         request_key=key, runtime=runtime)
        return bill.id


def _cancel(transaction, runtime, bill_id, user, reason="Клієнт передумав"):
    with transaction() as (session, place):
        bills.cancel(session, place, session.get(Bill, bill_id), user=session.get(User, user.id),
                     reason=reason, document="client_request", runtime=runtime)


def _second_desk(transaction, centre, make_user, town):
    colleague = make_user("kasir2", roles={town: ["billpay.cashier"]})
    with transaction() as (session, place):
        other = Desk(establishment_id=place.id, code="K-02", name="Каса 2", bank="Пошта",
                     city_id=centre["city"], opens_at=dt.time(0, 0), closes_at=dt.time(23, 59))
        session.add(other)
        session.flush()
        session.add(DeskCashier(establishment_id=place.id, desk_id=other.id,
                                user_id=colleague.id))
        return other.id, colleague


def _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town):
    """At K-01: 100001 pays heat and water, 100003 the house costs, 100002 pays water then
    cancels it. At K-02: 100004 has no accrual, 200001 pays heat."""
    oldest = centre["months"][0]
    first = _pay(transaction, regie_runtime, centre, desk, cashier, "100001",
                 [("HEAT", oldest, 120000), ("WATER", oldest, 23075)], "r1")
    second = _pay(transaction, regie_runtime, centre, desk, cashier, "100003",
                  [("HOUSE", oldest, 15050)], "r2")
    cancelled = _pay(transaction, regie_runtime, centre, desk, cashier, "100002",
                     [("WATER", oldest, 5000)], "r3")
    _cancel(transaction, regie_runtime, cancelled, cashier)
    other_desk, colleague = _second_desk(transaction, centre, make_user, town)
    elsewhere = _pay(transaction, regie_runtime, centre, other_desk, colleague, "200001",
                     [("HEAT", oldest, 777)], "r4")
    return {"first": first, "second": second, "cancelled": cancelled,
            "elsewhere": elsewhere, "other_desk": other_desk}


def test_consolidated_register_sums_services_and_lists_cancellations_after(
        cashier_client, transaction, regie_runtime, centre, desk, cashier, make_user, town):
    _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)

    page = cashier_client.get(f"{BASE}/reports").get_data(as_text=True)

    assert "Опалення" in page and "Вода та каналізація" in page
    register = page[page.index('id="register"'):page.index('id="cancellations"')]
    assert "1\xa0200,00" in register and "230,75" in register and "150,50" in register
    assert "1\xa0581,25" in register  # 1200.00 + 230.75 + 150.50: K-01 only, cancelled left out
    assert "7,77" not in register  # K-02's payment is not this cashier's desk
    cancellations = page[page.index('id="cancellations"'):]
    assert "100002" in cancellations and "Клієнт передумав" in cancellations
    assert "50,00" in cancellations


def test_consolidated_pdf_prints_the_register_then_the_cancellations(
        cashier_client, transaction, regie_runtime, centre, desk, cashier, make_user, town):
    _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)

    response = cashier_client.get(f"{BASE}/reports/consolidated.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Опалення" in text and "1 581,25" in text.replace("\xa0", " ")
    assert text.index("Опалення") < text.index("100002") < text.index("Клієнт передумав")


def test_supervisor_sees_every_desk_or_one(client, transaction, regie_runtime, centre, desk,
                                           cashier, make_user, town):
    ids = _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)
    supervisor = make_user("nachalnyk", roles={town: ["billpay.supervisor"]})
    client.sign_in(supervisor.username, PASSWORD)

    every = client.get(f"{BASE}/reports").get_data(as_text=True)
    one = client.get(f"{BASE}/reports?desk={ids['other_desk']}").get_data(as_text=True)

    assert "1\xa0589,02" in every  # both desks: 1581.25 + 7.77
    assert "7,77" in one and "1\xa0581,25" not in one


def test_cashier_cannot_read_another_desk_by_its_number(
        cashier_client, transaction, regie_runtime, centre, desk, cashier, make_user, town):
    ids = _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)

    page = cashier_client.get(f"{BASE}/reports?desk={ids['other_desk']}").get_data(as_text=True)

    assert "7,77" not in page and "1\xa0581,25" in page


def test_register_per_payee_and_its_pdf(cashier_client, transaction, regie_runtime, centre,
                                        desk, cashier, make_user, town):
    _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)

    page = cashier_client.get(f"{BASE}/reports?kind=payees").get_data(as_text=True)
    pdf = cashier_client.get(f"{BASE}/reports/payees.pdf")

    heat = page[page.index("Кременчуцька ТЕЦ"):page.index("КП Кременчукводоканал")]
    water = page[page.index("КП Кременчукводоканал"):]  # payees come by code: TE, then VK
    assert "100001" in heat and "1\xa0200,00" in heat and "100003" not in heat
    assert "100001" in water and "100003" in water and "100002" not in water
    assert "381,25" in water  # 230.75 water + 150.50 house costs
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "03356128" in text and "Кременчуцька ТЕЦ" in text


def test_each_payee_dbf_in_its_code_page(cashier_client, transaction, regie_runtime, centre,
                                         desk, cashier, make_user, town, tmp_path):
    ids = _day_of_payments(transaction, regie_runtime, centre, desk, cashier, make_user, town)
    listing = cashier_client.get(f"{BASE}/reports?kind=dbf").get_data(as_text=True)
    assert "КП Кременчукводоканал" in listing and "cp1251" in listing

    water = cashier_client.get(f"{BASE}/reports/dbf/{centre['payees']['VK']}")
    heat = cashier_client.get(f"{BASE}/reports/dbf/{centre['payees']['TE']}")

    assert water.status_code == 200
    assert f"VK_{today_in_town(transaction):%Y%m%d}.dbf" in water.headers["Content-Disposition"]
    water_rows, water_codepage = _dbf_rows(tmp_path / "vk.dbf", water.data)
    heat_rows, heat_codepage = _dbf_rows(tmp_path / "te.dbf", heat.data)
    assert (water_codepage, heat_codepage) == ("cp866", "cp1251")
    assert [(row["ACCOUNT"].strip(), row["SERVICE"].strip(), _kopiyky(row["AMOUNT"]))
            for row in water_rows] == [("100001", "WATER", 23075), ("100003", "HOUSE", 15050)]
    assert [(row["BILL"], row["SURNAME"].strip(), _kopiyky(row["AMOUNT"]))
            for row in heat_rows] == [(ids["first"], "Петренко", 120000)]
    assert water_rows[1]["SURNAME"].strip() == "Iваненко"  # cp866 has no Ukrainian І


def test_dbf_of_a_payee_of_another_establishment_is_not_found(
        cashier_client, make_establishment, transaction, centre, desk, cashier, regie_runtime):
    other = make_establishment("poltava", plugins=["billpay"])
    with regie_runtime.db.transaction() as session:
        payee = Payee(establishment_id=other.id, code="X", name="Чужий")
        session.add(payee)
        session.flush()
        payee_id = payee.id

    assert cashier_client.get(f"{BASE}/reports/dbf/{payee_id}").status_code == 404


def test_days_outside_the_current_month_are_refused_with_the_allowed_range(
        cashier_client, transaction, centre, desk, cashier):
    today = today_in_town(transaction)
    last_month = today.replace(day=1) - dt.timedelta(days=1)

    old = cashier_client.get(f"{BASE}/reports?day={last_month.isoformat()}")
    future = cashier_client.get(f"{BASE}/reports?day={(today + dt.timedelta(days=1))}")
    nonsense = cashier_client.get(f"{BASE}/reports?day=yesterday")

    assert old.status_code == future.status_code == nonsense.status_code == 400
    assert today.replace(day=1).strftime("%d.%m.%Y") in old.get_data(as_text=True)
    assert "yesterday" in nonsense.get_data(as_text=True)
    pdf = cashier_client.get(f"{BASE}/reports/consolidated.pdf?day={last_month.isoformat()}")
    assert pdf.status_code == 302


def today_in_town(transaction) -> dt.date:
    with transaction() as (_session, place):
        return today_in(place)


def _dbf_rows(path, content):
    path.write_bytes(content)
    table = dbf.Table(str(path))
    table.open()
    try:
        return ([{name.upper(): record[name] for name in table.field_names} for record in table],
                table.codepage.name)
    finally:
        table.close()


def _kopiyky(value) -> int:
    return int(Decimal(str(value)) * 100)
