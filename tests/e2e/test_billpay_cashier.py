"""A cashier at her desk: finds a subscriber by a partial street, corrects the amount of a
service (an amount above the debt is refused with the warning), pays, the receipt's print
dialog opens after 2 seconds, cancels the payment the same day with the seed's warning, and
finds it in the consolidated register after the payments."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.db.models import Establishment
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
from regie_billpay.search import street_key

pytestmark = pytest.mark.browser

SLUG = "kremenchuk"
PRINT_SPY = "window.__printed = []; window.print = () => window.__printed.push(Date.now());"


@pytest.fixture
def desk_with_subscriber(make_establishment, make_user, regie_runtime):
    place = make_establishment(SLUG, name="Розрахунковий центр", locale="uk", currency="UAH",
                               timezone="Europe/Kyiv",
                               plugins={"billpay": {"require_client_certificate": False}})
    cashier = make_user("kasirka", roles={place: ["billpay.cashier"]}, full_name="Олена Коваль")
    with regie_runtime.db.transaction() as session:
        town = session.get(Establishment, place.id)
        city = City(establishment_id=town.id, code="KRM", name="Кременчук")
        payee = Payee(establishment_id=town.id, code="VK", name="Кременчукводоканал")
        session.add_all([city, payee])
        session.flush()
        water = Service(establishment_id=town.id, code="WATER", name="Вода та каналізація",
                        payee_id=payee.id, priority=1)
        heat = Service(establishment_id=town.id, code="HEAT", name="Опалення",
                       payee_id=payee.id, priority=2)
        desk = Desk(establishment_id=town.id, code="K-01", name="Каса 1", bank="АТ Ощадбанк",
                    city_id=city.id, opens_at=dt.time(0, 0), closes_at=dt.time(23, 59))
        subscriber = Subscriber(establishment_id=town.id, city_id=city.id,
                                account_number="100001", surname="Петренко",
                                street="50 лет Октября", house="12", apartment="5",
                                street_key=street_key("50 лет Октября"),
                                surname_key=search_key("Петренко"))
        session.add_all([water, heat, desk, subscriber])
        session.flush()
        session.add(DeskCashier(establishment_id=town.id, desk_id=desk.id, user_id=cashier.id))
        previous = add_months(month_start(bills.local_now(town).date()), -1)
        session.add_all([Accrual(establishment_id=town.id, subscriber_id=subscriber.id,
                                 service_id=water.id, period=previous, amount=23075),
                         Accrual(establishment_id=town.id, subscriber_id=subscriber.id,
                                 service_id=heat.id, period=previous, amount=120000)])
    return cashier


def test_cashier_pays_prints_cancels_and_sees_the_register(new_page, sign_in,
                                                           desk_with_subscriber):
    page = new_page(viewport={"width": 390, "height": 844})
    page.add_init_script(PRINT_SPY)
    sign_in(page, "kasirka")
    page.goto(f"/{SLUG}/billpay/")
    assert "Олена Коваль" in page.locator(".cashier-bar").inner_text()
    assert "clock-open" in page.locator("#server-clock").get_attribute("class")

    page.get_by_role("link", name="Новий рахунок").first.click()
    page.get_by_label("Увімкнути режим коригування сум до оплати").check()
    page.get_by_label("Вулиця").fill("50 лет")
    page.get_by_label("Будинок").fill("12")
    page.get_by_role("button", name="Знайти").click()
    page.get_by_role("link", name="100001").click()

    water = page.locator("tr[data-line]", has_text="Вода та каналізація")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    water.get_by_label("Оплачую: Вода та каналізація").fill("300,00")
    water.locator("input.pick").click()
    assert dialogs and "перевищує" in dialogs[0]
    assert not water.locator("input.pick").is_checked()

    water.get_by_label("Оплачую: Вода та каналізація").fill("200,00")
    water.locator("input.pick").check()
    assert page.locator("[data-total]").inner_text().replace("\u00a0", " ") == "200,00 грн"
    page.get_by_role("button", name="Оплатити").click()

    page.wait_for_url("**/receipt?first=1")
    receipt = page.locator("[data-receipt]").inner_text()
    assert "КВИТАНЦІЯ" in receipt and "200,00" in receipt and "Вода та каналізація" in receipt
    assert page.evaluate("window.__printed.length") == 0
    for _ in range(50):  # the page's CSP forbids wait_for_function's eval: poll
        if page.evaluate("window.__printed.length"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__printed.length") == 1
    opened = page.evaluate("window.__printed[0] - performance.timeOrigin")
    assert opened >= 2000

    page.get_by_role("link", name="Оплачені рахунки").click()
    row = page.locator("tr[data-bill-row]", has_text="100001")
    row.get_by_role("link", name="Провести скасування оплати").click()
    assert "лише в день прийому платежу" in page.locator(".cancel-warning").inner_text()
    page.get_by_label("Пояснювальна записка касира та оригінал чека").check()
    page.get_by_label("Причина").fill("Помилково пробитий чек")
    page.get_by_role("button", name="Провести скасування оплати").click()
    assert "скасовано" in page.locator("tr[data-bill-row]", has_text="100001").inner_text()

    page.get_by_role("link", name="Звіти").first.click()
    cancellations = page.locator("#cancellations")
    assert "100001" in cancellations.inner_text()
    assert "Помилково пробитий чек" in cancellations.inner_text()
    register_top = page.locator(".register-cancellations").bounding_box()["y"]
    assert register_top > page.locator("h1").bounding_box()["y"]
