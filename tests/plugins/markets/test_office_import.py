"""Ticket import in degraded mode: the sheet, batches, the CSV with every kind of bad line, the
reject file, re-import of corrected lines and the finalisation."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from regie_markets.models import Ticket, TicketChange
from regie_markets.office_models import ImportBatch, ImportedReading
from regie_markets.ticket_import import sheet

BASE = "/lunel/markets/office/import"


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def regie(signed_in, town, make_user):
    return signed_in(make_user("agent", roles={town: ["markets.regie"]}))


@pytest.fixture
def batch(regie, small_month, session):
    """Batch 1: Marché Bas on 2026-11-03."""
    answer = regie.submit(BASE, {"day": "2026-11-03", "market_id": _market_id(session)})
    assert answer.status_code == 302
    session.rollback()
    return session.scalars(select(ImportBatch)).one()


def _market_id(session) -> str:
    from regie_markets.models import Market

    return str(session.scalar(select(Market.id).where(Market.name == "Marché Bas")))


def upload(client, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(f"{BASE}/upload", data={
        "csrf_token": client.csrf_token(f"{BASE}/upload"),
        "file": (io.BytesIO(data), "tickets.csv")}, content_type="multipart/form-data")


def test_ticket_sheet_has_193_numbered_rows_on_6_pages():
    reader = PdfReader(io.BytesIO(sheet.ticket_sheet("Mairie de Lunel", "fr")))
    assert len(reader.pages) == 6
    numbers = [int(word) for page in reader.pages for word in page.extract_text().split()
               if word.isdigit()]
    assert max(numbers) == 193 and all(n in numbers for n in range(1, 194))
    assert "Feuille pour tickets" in reader.pages[0].extract_text()


def test_model_file_has_the_eight_columns(regie):
    answer = regie.get(f"{BASE}/model.csv")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert all(len(row) == 8 for row in rows)


def test_every_bad_line_is_rejected_with_its_reason_and_good_lines_join_the_batch(
        regie, batch, session):
    lines = [
        "1;1;7;4;;;;",             # good (Dupont)
        "2;1;3-MAR;6;1;;1;agent",  # good (Martin), name letters checked, own login
        "3;1;5;3;;",               # 6 columns
        "x;1;5;3;;;;",             # line number not a number
        "2;1;5;3;;;;",             # duplicate line number
        "4;99;5;3;;;;",            # unknown batch
        "5;1;404;3;;;;",           # unknown trader
        "6;1;5-ZZZ;3;;;;",         # letters do not match the trader
        "7;1;5;0;;;;",             # metres out of range
        "8;1;5;51;;;;",            # metres out of range
        "9;1;5;3;2;;;",            # flag other than 1
        "10;1;5;3;;;;someone",     # another user's login
        "11;1;7;2;;;;",            # Dupont twice in the batch
        "0;1;9;3;;;;",             # good (Zola), unnumbered
    ]
    answer = upload(regie, "\n".join(lines))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "3 readings imported" in page and "11 lines not imported" in page
    reasons = {
        3: "8 are expected", 4: "is not a number", 5: "appears twice", 6: "unknown batch",
        7: "unknown trader", 8: "is not named", 9: "out of range", 10: "out of range",
        11: "take 1 or nothing", 12: "not the importing user", 13: "already has a reading",
    }
    for number, reason in reasons.items():
        assert re.search(rf'<td class="number">{number}</td><td>[^<]*{re.escape(reason)}',
                         page), (number, reason)
    session.rollback()
    readings = session.scalars(select(ImportedReading).order_by(ImportedReading.id)).all()
    assert [(r.line_number, r.metres, r.badge_surcharge, r.demonstrator) for r in readings] == [
        (1, 4, False, False), (2, 6, True, True), (0, 3, False, False)]


def test_digits_that_are_not_plain_numbers_are_rejected_not_crashing(regie, batch):
    answer = upload(regie, "²;1;7;4;;;;\n1;¹;7;4;;;;\n2;1;7;²;;;;\n3;1;7;4;;;;\n")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "1 reading imported" in page and "3 lines not imported" in page
    for reason in ("is not a number", "unknown batch", "out of range"):
        assert reason in page


def test_file_level_problems_import_nothing(regie, batch, session):
    latin1 = upload(regie, "1;1;7;4;;;;\n2;1;3;6;;;;é".encode("latin-1"))
    assert latin1.status_code == 422 and "not UTF-8" in latin1.get_data(as_text=True)
    tabs = upload(regie, "1\t1\t7\t4\t\t\t\t\n")
    assert tabs.status_code == 422 and "No column separator" in tabs.get_data(as_text=True)
    columns = upload(regie, "1;1;7;4\n")
    assert columns.status_code == 422 and "4 columns where 8" in columns.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count(ImportedReading.id))) == 0


def test_corrected_rejects_import_again_then_finalise_creates_the_tickets(
        regie, batch, session):
    first = upload(regie, "1;1;7;4;;;;\n2;1;3;60;;;;\n")
    assert "1 line not imported" in first.get_data(as_text=True)
    second = upload(regie, "2,1,3,6,,,,\n")   # corrected, with commas this time
    assert "1 reading imported" in second.get_data(as_text=True)

    page = regie.get(f"{BASE}/{batch.id}").get_data(as_text=True)
    assert "2 tickets will be created" in page
    done = regie.post(f"{BASE}/{batch.id}/finalise",
                      data={"csrf_token": regie.csrf_token(f"{BASE}/{batch.id}")})
    assert done.status_code == 302
    session.rollback()
    tickets = session.scalars(select(Ticket).where(Ticket.source == "import")
                              .order_by(Ticket.metres)).all()
    assert [(t.metres, t.amount, str(t.day)) for t in tickets] == [
        (4, 400, "2026-11-03"), (6, 600, "2026-11-03")]
    assert session.scalar(select(func.count(TicketChange.id)).where(
        TicketChange.ticket_id.in_([t.id for t in tickets]))) == 2
    again = regie.post(f"{BASE}/{batch.id}/finalise",
                       data={"csrf_token": regie.csrf_token(f"{BASE}/{batch.id}")})
    assert again.status_code in (404, 422)
    late = upload(regie, "3;1;5;3;;;;\n")
    assert "already finalised" in late.get_data(as_text=True)


def test_finalise_refuses_a_batch_clashing_with_field_tickets(regie, batch, session,
                                                              transaction, small_month):
    from regie_markets.models import Market, Trader
    from regie_markets.tickets import create_ticket

    upload(regie, "1;1;7;4;;;;\n2;1;3;6;;;;\n")
    with transaction() as (writing, place):
        market = writing.scalars(select(Market).where(Market.name == "Marché Bas")).one()
        create_ticket(writing, place, trader=writing.get(Trader, small_month["martin"]),
                      market=market, day=batch.day, metres=2)
    answer = regie.post(f"{BASE}/{batch.id}/finalise",
                        data={"csrf_token": regie.csrf_token(f"{BASE}/{batch.id}")})
    assert answer.status_code == 422 and "already have a ticket" in answer.get_data(
        as_text=True)
    session.rollback()
    assert session.scalar(select(func.count(Ticket.id)).where(Ticket.source == "import")) == 0


def test_placier_sees_and_fills_only_their_batches(signed_in, town, make_user, batch, regie):
    regie.post("/logout", data={"csrf_token": regie.csrf_token("/")})
    placier = signed_in(make_user("placier2", roles={town: ["markets.placier"]}))
    assert placier.get(f"{BASE}/{batch.id}").status_code == 404
    answer = upload(placier, "1;1;7;4;;;;\n")
    assert "is another placier" in answer.get_data(as_text=True)
