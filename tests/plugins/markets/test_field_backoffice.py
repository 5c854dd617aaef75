"""Back-office pages of the field side: ticket list and CSV, history, surcharge removal rights,
record tabs (employees, documents, authorisations), and the unconfigured profile."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from regie.testing.plugin import PASSWORD
from regie_markets import tickets
from regie_markets.models import Market, Ticket, TicketChange, Trader


@pytest.fixture
def ticket(transaction, make_market, make_trader):
    market = make_market()
    trader = make_trader("BLOC", "Anne", blocked=True, blocked_reason="Arrêté")
    with transaction() as (session, place):
        row = tickets.create_ticket(session, place, trader=session.get(Trader, trader),
                                    market=session.get(Market, market), day=dt.date.today(),
                                    metres=4, badge_surcharge=True, blocking_surcharge=True)
        return row.id


def _client(app, make_user, town, role):
    client = app.test_client()
    client.sign_in(make_user(role.replace(".", "-"), roles={town: [role]}).username, PASSWORD)
    return client


def test_only_a_cadre_removes_the_blocking_surcharge(app, make_user, town, ticket, load):
    regie = _client(app, make_user, town, "markets.regie")
    url = f"/lunel/markets/tickets/{ticket}"
    page = regie.get(url).get_data(as_text=True)
    assert "Remove the no-badge surcharge" in page and "Remove the blocking surcharge" not in page
    token = regie.csrf_token(url)
    assert regie.post(url, data={"csrf_token": token, "remove": "blocking_surcharge"}
                      ).status_code == 403
    regie.post(url, data={"csrf_token": token, "remove": "badge_surcharge"})
    cadre = _client(app, make_user, town, "markets.cadre")
    cadre.post(url, data={"csrf_token": cadre.csrf_token(url), "remove": "blocking_surcharge"})
    row = load(Ticket, ticket)
    assert not row.badge_surcharge and not row.blocking_surcharge and row.amount == 4 * 150


def test_ticket_list_csv_and_history(app, make_user, town, ticket, transaction):
    regie = _client(app, make_user, town, "markets.regie")
    listing = regie.get("/lunel/markets/tickets/?legal_name=bloc").get_data(as_text=True)
    assert "BLOC Anne" in listing
    export = regie.get("/lunel/markets/tickets/?format=csv")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Day" and rows[1][4] == "BLOC Anne" and rows[1][5] == "4"
    history = regie.get(f"/lunel/markets/tickets/history?ticket={ticket}").get_data(
        as_text=True)
    assert "created" in history and "4 m" in history
    with transaction() as (session, _place):
        assert session.scalars(select(TicketChange.action)).all() == ["create"]


def test_record_tabs_take_employees_documents_and_authorisations(app, make_user, town,
                                                                 make_trader, make_market,
                                                                 transaction):
    from regie_markets.models import Authorisation, DocumentType, Employee, TraderDocument

    trader, market = make_trader("TAB", "Léo"), make_market()
    with transaction() as (session, place):
        session.add(DocumentType(establishment_id=place.id, label="Extrait K-bis"))
        session.flush()
        type_id = session.scalars(select(DocumentType.id)).one()
    regie = _client(app, make_user, town, "markets.regie")
    base = f"/lunel/markets/traders/{trader}"
    token = regie.csrf_token(base)
    regie.post(f"{base}/employees", data={"csrf_token": token, "last_name": "AIDE",
                                          "first_name": "Max", "role": "salarié"})
    refused = regie.post(f"{base}/documents", data={
        "csrf_token": token, "document_type_id": str(type_id), "document_date": "2026-02-30",
        "file": (io.BytesIO(b"%PDF-1.4"), "kbis.pdf")})
    assert refused.status_code == 302
    regie.post(f"{base}/documents", data={
        "csrf_token": token, "document_type_id": str(type_id), "document_date": "2026-01-15",
        "file": (io.BytesIO(b"%PDF-1.4 kbis"), "kbis.pdf")})
    regie.post(f"{base}/authorisations", data={"csrf_token": token, "market_id": str(market),
                                               "weekday": "3", "start_date": "2019-05-01"})
    with transaction() as (session, _place):
        assert session.scalars(select(Employee.last_name)).all() == ["AIDE"]
        document = session.scalars(select(TraderDocument)).one()
        assert document.document_date == dt.date(2026, 1, 15)
        authorisation = session.scalars(select(Authorisation)).one()
        assert (authorisation.weekday, authorisation.start_date) == (3, dt.date(2019, 5, 1))
    assert "AIDE" in regie.get("/lunel/markets/employees/?q=aide").get_data(as_text=True)
    assert "kbis.pdf" in regie.get(f"{base}?tab=documents").get_data(as_text=True)


def test_member_without_a_markets_role_sees_profile_not_configured(app, make_user, town):
    member = _client(app, make_user, town, "coop.member")
    page = member.get("/lunel/markets/")
    assert page.status_code == 200
    assert "Your profile has not been configured" in page.get_data(as_text=True)
    assert "Your profile has not been configured" in member.get("/lunel/").get_data(
        as_text=True)
    placier = _client(app, make_user, town, "markets.placier")
    assert placier.get("/lunel/markets/").headers["Location"].endswith("/markets/field/")
    assert 'href="/lunel/markets/field/"' in placier.get("/lunel/").get_data(as_text=True)
    regie = _client(app, make_user, town, "markets.regie").get("/lunel/").get_data(as_text=True)
    assert "Your profile has not been configured" not in regie
    main = regie[regie.index("<main"):]
    assert main.count('href="/lunel/markets/"') == 1, "the module card is the way in"


@pytest.mark.parametrize("markets_settings", [{"demo_widgets": True}])
def test_placier_dashboard_has_the_scan_and_emulation_widgets(app, make_user, town,
                                                              make_trader, load):
    trader = make_trader("EMU", "Léa", badge="04A777")
    placier = _client(app, make_user, town, "markets.placier")
    home = placier.get("/lunel/").get_data(as_text=True)
    assert 'action="/lunel/markets/field/scan"' in home
    assert f"/lunel/markets/b/{load(Trader, trader).badge_token}" in home
    scanned = placier.get("/lunel/markets/field/scan?serial=04A777")
    assert scanned.headers["Location"].endswith(f"/b/{load(Trader, trader).badge_token}")
