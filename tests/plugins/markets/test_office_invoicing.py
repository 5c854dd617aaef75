"""Monthly invoicing: golden check of a small month, the PDFs read back, refusals, crash and
restart."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from regie.api import Establishment, Invalid, TaskContext, Veto, get_account, utcnow
from regie_markets import billing
from regie_markets.invoicing import pdf, treatment
from regie_markets.models import ACCOUNT_KIND, Trader
from regie_markets.office_models import DONE, FAILED, Invoice, InvoiceLine, InvoicingRun

OCTOBER = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 11, 5)


@pytest.fixture
def town(make_establishment) -> Establishment:
    return make_establishment("lunel", name="Mairie de Lunel", plugins=["markets"],
                              address="Place de la mairie\n34400 Lunel")


def billing_amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def run_month(regie_runtime, town, month=OCTOBER, today=TODAY):
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, town.id)
        run = treatment.prepare_run(session, place, month, today=today, actor="regie")
        run_id = run.id
    with regie_runtime.db.session() as session:
        place = session.get(Establishment, town.id)
        context = TaskContext(regie_runtime, "markets.invoicing", place)
    treatment.invoice_month(context, run_id, actor="regie")
    return run_id


def test_small_month_golden(regie_runtime, town, small_month, session):
    run_id = run_month(regie_runtime, town)

    run = session.get(InvoicingRun, run_id)
    invoices = session.scalars(select(Invoice).order_by(Invoice.number)).all()
    # Les Halles first (Dupont), then Marché Bas by legal name.
    assert [(i.number, i.legal_name, i.market_name, i.amount, i.ticket_count)
            for i in invoices] == [
        ("2026-10-0001", "DUPONT", "Les Halles", 3 * 4 * 150 + 2 * 100 + 2 * 100, 4),
        ("2026-10-0002", "BERNARD", "Marché Bas", 3 * 100, 1),
        ("2026-10-0003", "MARTIN", "Marché Bas", 6 * 100 + 6 * 200, 2),
    ]
    assert run.state == DONE and run.invoice_count == 3 and run.ticket_count == 7
    assert run.total_amount == 2200 + 300 + 1800
    assert [i.first_page for i in invoices] == [1, 3, 5]
    assert session.scalar(select(func.count(InvoiceLine.id))) == 7

    # Each invoice is a debt on the trader's account.
    for invoice in invoices:
        trader = session.get(Trader, invoice.trader_id)
        account = get_account(session, town, kind=ACCOUNT_KIND, owner_key=str(trader.number))
        assert account.balance == -invoice.amount

    reader = PdfReader(treatment.resolve_file(regie_runtime, run.invoices_file))
    assert len(reader.pages) == 2 * len(invoices)
    for invoice in invoices:
        first = reader.pages[invoice.first_page - 1].extract_text()
        second = reader.pages[invoice.first_page].extract_text()
        assert invoice.number in first and invoice.legal_name in first
        assert billing_amount(invoice.amount) in first
        assert invoice.number in second

    # The index points at the last page of each market, and each market's pages are
    # contiguous in the big PDF.
    assert run.page_index == [["Les Halles", 1, 1, 2], ["Marché Bas", 2, 3, 6]]
    index_text = PdfReader(treatment.resolve_file(regie_runtime, run.index_file)).pages[0]
    rows = [line.split() for line in
            index_text.extract_text(extraction_mode="layout").splitlines()]
    assert ["Les", "Halles", "1", "1", "2"] in rows
    assert ["Marché", "Bas", "2", "3", "6"] in rows
    for market, _count, first, last in run.page_index:
        for page in range(first, last + 1, 2):
            assert market in reader.pages[page - 1].extract_text()

    # November's ticket is not invoiced and still unbilled for the field pages.
    zola = session.get(Trader, small_month["zola"])
    assert [t.day for t in billing.unbilled_tickets(session, town, zola)] == [
        dt.date(2026, 11, 2)]


def test_a_month_is_invoiced_once(regie_runtime, town, small_month):
    run_month(regie_runtime, town)
    with regie_runtime.db.transaction() as session, pytest.raises(Invalid) as refused:
        treatment.prepare_run(session, session.get(Establishment, town.id), OCTOBER,
                              today=TODAY, actor="regie")
    assert "already invoiced" in str(refused.value.errors["month"])


@pytest.mark.parametrize(("month", "message"), [
    (dt.date(2026, 11, 1), "not over yet"),
    (dt.date(2026, 12, 1), "not over yet"),
    (dt.date(2026, 9, 1), "no ticket"),
])
def test_empty_or_unfinished_months_are_refused(regie_runtime, town, small_month, month,
                                                message):
    with regie_runtime.db.transaction() as session, pytest.raises(Invalid) as refused:
        treatment.prepare_run(session, session.get(Establishment, town.id), month,
                              today=TODAY, actor="regie")
    assert message in str(refused.value.errors["month"])


def test_crash_midway_leaves_nothing_and_restart_invoices_each_trader_once(
        regie_runtime, town, small_month, session, monkeypatch):
    calls = []
    real = pdf.draw_invoice

    def crash_on_third(book, invoice):
        calls.append(invoice.number)
        if len(calls) == 3:
            raise OSError("disk full")
        real(book, invoice)

    monkeypatch.setattr(pdf, "draw_invoice", crash_on_third)
    with pytest.raises(OSError):
        run_month(regie_runtime, town)

    session.rollback()
    run = session.scalars(select(InvoicingRun)).one()
    assert run.state == FAILED and "disk full" in run.message
    assert session.scalar(select(func.count(Invoice.id))) == 0
    assert session.scalar(select(func.count(InvoiceLine.id))) == 0
    dupont = session.get(Trader, small_month["dupont"])
    assert get_account(session, town, kind=ACCOUNT_KIND, owner_key=str(dupont.number)) is None \
        or get_account(session, town, kind=ACCOUNT_KIND,
                       owner_key=str(dupont.number)).balance == 0
    folder = treatment.files_folder(regie_runtime, town.id)
    assert list(folder.iterdir()) == [], "no partial PDF left behind"

    monkeypatch.setattr(pdf, "draw_invoice", real)
    run_month(regie_runtime, town)

    session.rollback()
    per_trader = session.execute(select(Invoice.trader_id, func.count())
                                 .group_by(Invoice.trader_id)).all()
    assert sorted(count for _trader, count in per_trader) == [1, 1, 1]
    assert session.scalars(select(InvoicingRun)).one().state == DONE


def test_invoice_states_follow_their_age(regie_runtime, town, small_month, session):
    run_month(regie_runtime, town)
    martin = session.get(Trader, small_month["martin"])
    issued = session.scalars(select(Invoice)).first().issued_on

    def state(days):
        return billing.recent_invoices(session, town, martin, issued + dt.timedelta(days))[0]

    assert state(0).state == billing.TO_PAY
    assert state(31).state == billing.REMINDER
    assert state(61).state == billing.ARREARS
    assert billing.arrears(session, town, martin, issued + dt.timedelta(61)) == (1800, 1)
    assert billing.arrears(session, town, martin, issued + dt.timedelta(31)) == (0, 0)


def test_pdf_texts_follow_the_establishment_language():
    assert pdf.texts("uk")["invoice"] == "РАХУНОК"
    assert pdf.texts("fr_FR")["invoice"] == "FACTURE"


def test_a_run_left_by_a_dead_worker_can_be_restarted_later(regie_runtime, town, small_month):
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, town.id)
        run = treatment.prepare_run(session, place, OCTOBER, today=TODAY, actor="regie")
        run.state, run.started_at = "running", utcnow()
    with regie_runtime.db.transaction() as session, pytest.raises(Veto) as refused:
        treatment.prepare_run(session, session.get(Establishment, town.id), OCTOBER,
                              today=TODAY, actor="regie")
    assert "already under way" in str(refused.value)
    with regie_runtime.db.transaction() as session:
        session.scalars(select(InvoicingRun)).one().started_at = utcnow() - dt.timedelta(hours=3)
    run_month(regie_runtime, town)
    with regie_runtime.db.session() as session:
        assert session.scalars(select(InvoicingRun)).one().state == DONE


def test_invoices_print_accents_and_euro_in_regie_fonts(regie_runtime, town, small_month,
                                                        session):
    with regie_runtime.db.transaction() as writing:
        writing.get(Trader, small_month["martin"]).legal_name = "ÉPICERIE ÇÀ ET LÀ"
    run = session.get(InvoicingRun, run_month(regie_runtime, town))
    martin = session.scalars(select(Invoice).where(
        Invoice.trader_id == small_month["martin"])).one()

    reader = PdfReader(treatment.resolve_file(regie_runtime, run.invoices_file))
    page = reader.pages[martin.first_page - 1]
    text = page.extract_text()
    assert "ÉPICERIE ÇÀ ET LÀ" in text
    assert re.search(rf"{billing_amount(martin.amount)}\s€", text)
    fonts = {font.get_object()["/BaseFont"] for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVuSans" in name for name in fonts), fonts
