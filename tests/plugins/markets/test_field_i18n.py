"""The field pages speak French first (the markets' language), and Ukrainian; every catalog
message of the field side has its translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import regie_markets

CATALOGS = Path(regie_markets.__file__).parent / "translations"


@pytest.mark.parametrize(("locale", "expected"), [
    ("fr", ("Enregistrer l'ajout", "Tarif démonstrateur", "Critères de placement")),
    ("uk", ("Зберегти квиток", "Тариф демонстратора", "Критерії розміщення")),
])
def test_ticket_form_in_the_establishment_language(make_establishment, make_user, app, locale,
                                                   expected, regie_runtime):
    from regie.testing.plugin import PASSWORD
    from regie_markets import traders
    from regie_markets.models import Market

    place = make_establishment("ville", plugins=["markets"], locale=locale)
    user = make_user("placier-i18n", roles={place: ["markets.placier"]})
    with regie_runtime.db.transaction() as session:
        market = Market(establishment_id=place.id, name="Marché", weekdays="1234567")
        session.add(market)
        trader = traders.create_trader(session, place, {
            "last_name": "DURAND", "first_name": "Léa", "address": "1 rue Haute",
            "siret": "73282932000074"})
        session.flush()
        market_id, token = market.id, trader.badge_token
    client = app.test_client()
    client.sign_in(user.username, PASSWORD)
    csrf = client.csrf_token("/ville/markets/field/")
    client.post("/ville/markets/field/market", data={"csrf_token": csrf, "market_id": market_id})
    client.post("/ville/markets/field/mode", data={"csrf_token": csrf, "mode": "ticket"})
    page = client.get(f"/ville/markets/b/{token}").get_data(as_text=True)
    for text in expected:
        assert text in page


def test_field_messages_are_translated_in_french_and_ukrainian():
    template = {m.id for m in read_po((CATALOGS / "messages.pot").open("rb")) if m.id}
    for locale in ("fr", "uk"):
        catalog = read_po((CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb"))
        translated = {m.id for m in catalog if m.id and (
            all(m.string) if isinstance(m.string, tuple) else m.string)}
        for key in ("Save the ticket", "Placement criteria", "Generate access code",
                    "Access locked after 3 wrong codes: ask a placier for a new access code.",
                    ("%(num)d try left.", "%(num)d tries left.")):
            assert key in template and key in translated, (locale, key)
