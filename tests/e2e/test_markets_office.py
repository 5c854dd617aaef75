"""Markets back office in a real browser: the régie finds a trader by the badge serial a USB
reader types, points two invoices paid and prints the report; an administrator runs the monthly
invoicing and opens both PDFs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from regie.api import Establishment, TaskContext
from regie_markets.invoicing import treatment
from regie_markets.models import Market, Trader
from regie_markets.tickets import create_ticket

pytestmark = pytest.mark.browser

SLUG = "lunel"


@pytest.fixture
def town(make_establishment, make_user, regie_runtime):
    place = make_establishment(SLUG, name="Mairie de Lunel", locale="en", plugins=["markets"])
    make_user("agent", roles={place: ["markets.regie"]})
    make_user("chef", roles={place: ["markets.admin"]})
    with regie_runtime.db.transaction() as session:
        town = session.get(Establishment, place.id)
        halles = Market(establishment_id=town.id, name="Les Halles", weekdays="1234567",
                        tariff_standard=150, tariff_surcharge=100)
        session.add(halles)
        traders = []
        for number, name, serial in ((7, "DUPONT", "04A1B2C3D4"), (3, "MARTIN", None)):
            trader = Trader(establishment_id=town.id, number=number, last_name=name,
                            first_name="A", legal_name=name, address="1 rue Haute",
                            siret="73282932000074", badge_serial=serial,
                            badge_token=f"e2e-{number}")
            session.add(trader)
            traders.append(trader)
        session.flush()
        for month in (9, 10):
            for day in (2, 9):
                for trader in traders:
                    create_ticket(session, town, trader=trader, market=halles,
                                  day=dt.date(2026, month, day), metres=4)
    return place


def invoice(regie_runtime, town, month):
    with regie_runtime.db.transaction() as session:
        run_id = treatment.prepare_run(session, session.get(Establishment, town.id), month,
                                       today=dt.date(2026, 11, 20), actor="test").id
    with regie_runtime.db.session() as session:
        context = TaskContext(regie_runtime, "markets.invoicing",
                              session.get(Establishment, town.id))
    treatment.invoice_month(context, run_id)


def test_regie_points_two_invoices_found_by_badge_and_prints(new_page, sign_in, town,
                                                             regie_runtime, artifacts):
    invoice(regie_runtime, town, dt.date(2026, 9, 1))
    invoice(regie_runtime, town, dt.date(2026, 10, 1))
    page = new_page()
    sign_in(page, "agent")
    page.goto(f"/{SLUG}/markets/office/invoices/to-pay")
    page.get_by_label("Badge serial").fill("04A1B2C3D4")
    with page.expect_navigation():
        page.keyboard.press("Enter")   # what a USB badge reader types after the serial
    rows = page.locator("table.invoices tbody tr")
    assert rows.count() == 2
    assert "DUPONT" in rows.nth(0).inner_text() and "MARTIN" not in page.content()
    assert "24.00" in page.locator("table.invoices").inner_text(), "cumulative debt"

    for number, receipt in (("2026-09-0001", "Q-101"), ("2026-10-0001", "Q-102")):
        page.locator("tr", has_text=number).get_by_role("link", name="Point").click()
        page.get_by_label("Receipt number").fill(receipt)
        with page.expect_navigation():
            page.get_by_role("button", name="Point the payment").click()
        assert "Payment pointed." in page.locator(".flashes").inner_text()
        assert "badge=04A1B2C3D4" in page.url, "back to the same search"
    assert page.locator("table.invoices tbody tr").count() == 0

    page.goto(f"/{SLUG}/markets/office/invoices?badge=04A1B2C3D4&settled=paid")
    with page.expect_navigation():
        page.get_by_role("link", name="Printable report").click()
    report = page.locator("table.invoices").inner_text()
    assert "2026-09-0001" in report and "2026-10-0001" in report and "Q-102" in report
    assert not page.locator("form.filters").is_visible()
    page.screenshot(path=str(artifacts / "markets-office-report.png"), full_page=True)


def test_admin_runs_the_monthly_invoicing_and_opens_both_pdfs(new_page, sign_in, town,
                                                               regie_runtime):
    regie_runtime.huey.immediate = True
    page = new_page()
    sign_in(page, "chef")
    page.goto(f"/{SLUG}/markets/office/invoicing")
    page.get_by_label("Month to invoice").fill("2026-09")
    with page.expect_navigation():
        page.get_by_role("button", name="Run the invoicing").click()
    assert "Invoicing of 2026-09" in page.locator("h1").inner_text()
    assert "€24.00" in page.locator(".stats").inner_text()

    for name, pages in (("Invoices (PDF)", 4), ("Page index per market (PDF)", 1)):
        href = page.get_by_role("link", name=name).get_attribute("href")
        answer = page.request.get(href)
        assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
        assert len(PdfReader(io.BytesIO(answer.body())).pages) == pages
    page.reload()
    assert "chef" in page.locator("text=Last access").locator("xpath=following::p[1]")\
        .inner_text()

    page.goto(f"/{SLUG}/markets/office/invoicing")
    page.get_by_label("Month to invoice").fill("2026-09")
    page.get_by_role("button", name="Run the invoicing").click()
    assert "already invoiced" in page.locator(".field-error").inner_text()
