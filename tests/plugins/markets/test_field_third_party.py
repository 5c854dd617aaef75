"""Initialise Tiers: the third-party creation request for the finance system, pre-filled from
the trader's record as a CSV and a printable PDF, read back here; the number given back is
noted in the record; both are audited."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from regie.db.models import AuditEvent
from regie_markets.models import SalesNature, Trader


def requested(export) -> dict[str, str]:
    """The third-party request of a CSV download, as {column: value}."""
    header, row = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    return dict(zip(header, row, strict=True))


@pytest.fixture
def office(signed_in, make_user, town):
    return signed_in(make_user("agent", roles={town: ["markets.regie"]}))


@pytest.fixture
def company(make_trader, transaction):
    trader_id = make_trader("ŠČERBAKOVA", "Ølga", legal_name="Les Vergers d'Ølga SARL",
                            address="12 chemin des Près", postcode="34400", city="Lunel",
                            mobile="06 11 22 33 44", siret="73282932000074")
    with transaction() as (session, place):
        nature = SalesNature(establishment_id=place.id, label="Primeur")
        session.add(nature)
        session.flush()
        session.get(Trader, trader_id).sales_nature_id = nature.id
    return trader_id


def actions(transaction) -> list[tuple[str, str, dict]]:
    with transaction() as (session, _place):
        return [(e.action, e.actor, e.details) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("markets.third_party%"))
            .order_by(AuditEvent.id))]


def test_the_csv_request_reads_back_with_the_record(office, company, load, transaction):
    number = load(Trader, company).number
    page = office.get(f"/lunel/markets/traders/{company}")
    assert f'href="/lunel/markets/traders/{company}/third-party"' in page.get_data(as_text=True)

    export = office.get(f"/lunel/markets/traders/{company}/third-party.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert f"third-party-request-{number}.csv" in export.headers["Content-Disposition"]
    request = requested(export)
    assert request["Third-party category"] == "Company"
    assert request["Legal name"] == "Les Vergers d'Ølga SARL"
    assert (request["SIRET"], request["SIREN"], request["NIC"]) == (
        "73282932000074", "732829320", "00074")
    assert (request["Legal representative: name"],
            request["Legal representative: first name"]) == ("ŠČERBAKOVA", "Ølga")
    assert (request["Address"], request["Postcode"], request["City"]) == (
        "12 chemin des Près", "34400", "Lunel")
    assert request["Mobile"] == "06 11 22 33 44" and request["IBAN"] == ""
    assert request["Activity (sales nature)"] == "Primeur"
    assert request["Trader number (markets)"] == str(number)
    assert request["Requested by"] == "Mairie de Lunel · agent"
    assert actions(transaction) == [("markets.third_party_request", "agent",
                                     {"format": "csv"})]


def test_a_person_is_requested_as_a_natural_person(office, make_trader):
    trader = make_trader("DURAND", "Léa")
    request = requested(office.get(f"/lunel/markets/traders/{trader}/third-party.csv"))
    assert request["Third-party category"] == "Natural person"
    assert request["Legal name"] == "DURAND Léa"


def test_the_printable_form_carries_the_record_and_the_box_for_the_number(office, company):
    pdf = office.get(f"/lunel/markets/traders/{company}/third-party.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    for expected in ("Third-party creation request", "Les Vergers d'Ølga SARL",
                     "ŠČERBAKOVA", "73282932000074", "12 chemin des Près",
                     "Third-party number given"):
        assert expected in text


def test_the_number_given_back_is_noted_in_the_record(office, company, load, transaction):
    url = f"/lunel/markets/traders/{company}/third-party"
    page = office.get(url)
    assert page.status_code == 200 and "Les Vergers d&#39;Ølga SARL" in page.get_data(
        as_text=True)
    too_long = office.submit(url, {"third_party_number": "9" * 51})
    assert too_long.status_code == 422 and load(Trader, company).third_party_number == ""

    saved = office.submit(url, {"third_party_number": " T-004512 "})
    assert saved.status_code == 302
    assert load(Trader, company).third_party_number == "T-004512"
    assert actions(transaction) == [("markets.third_party_number", "agent",
                                     {"before": "", "after": "T-004512"})]
    again = office.get(url).get_data(as_text=True)
    assert "already has the third-party number T-004512" in again


def test_a_placier_cannot_initialise_a_third_party(signed_in, placier, company):
    field = signed_in(placier)
    assert field.get(f"/lunel/markets/traders/{company}/third-party.csv").status_code == 403


def test_a_french_town_gets_the_request_in_french(make_establishment, make_user, app,
                                                  regie_runtime):
    from regie.testing.plugin import PASSWORD
    from regie_markets import traders

    place = make_establishment("ville", plugins=["markets"], locale="fr")
    with regie_runtime.db.transaction() as session:
        trader_id = traders.create_trader(session, place, {
            "last_name": "DURAND", "first_name": "Léa", "address": "1 rue Haute",
            "siret": "73282932000074"}).id
    client = app.test_client()
    client.sign_in(make_user("regie-fr", roles={place: ["markets.regie"]}).username, PASSWORD)
    request = requested(client.get(f"/ville/markets/traders/{trader_id}/third-party.csv"))
    assert request["Catégorie de tiers"] == "Personne physique"
    assert request["Représentant légal : prénom"] == "Léa"
    pdf = client.get(f"/ville/markets/traders/{trader_id}/third-party.pdf")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Demande de création de tiers" in text and "Numéro de tiers attribué" in text
