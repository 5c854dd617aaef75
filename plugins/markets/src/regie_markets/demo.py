"""Demonstration data for ``regie demo``: 3 markets, 300 traders with generated avatar photos
and badges, a year of tickets with realistic attendance (regulars, occasional and rare
traders), daily authorisations with start dates, and the enrolments of the last market days.

Rows are written with bulk inserts so the whole set loads in a few seconds on SQLite.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import insert, select

from regie.api import Establishment, open_account, utcnow
from regie_markets import placement
from regie_markets.models import (
    ACCOUNT_KIND,
    Authorisation,
    DocumentType,
    Enrolment,
    Market,
    SalesNature,
    Ticket,
    Trader,
    TraderDocument,
)
from regie_markets.settings import markets_settings, today_in
from regie_markets.status import add_months
from regie_markets.tickets import amount_of

MARKETS = (("Marché du Mercredi", "Place de la République", "3", 150, 300, 100),
           ("Marché du Samedi", "Cours Gabriel Péri", "6", 180, 360, 120),
           ("Marché de la Gare", "Avenue de la Gare", "25", 120, 240, 80))
NATURES = ("Alimentaire", "Fruits et légumes", "Textile", "Bazar", "Fleurs", "Restauration")
DOCUMENT_TYPES = ("Extrait K-bis", "Attestation d'assurance", "Carte de commerçant ambulant",
                  "Pièce d'identité")
LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND",
              "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID",
              "BERTRAND", "ROUX", "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "MERCIER")
FIRST_NAMES = ("Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès",
               "Gabriel", "Sarah", "Nathan", "Emma", "Karim", "Yasmine", "Paul")
STREETS = ("rue de la Paix", "avenue Jean Jaurès", "chemin des Vignes", "rue Voltaire",
           "boulevard Victor Hugo")
SIRETS = ("73282932000074", "35600000000048", "35600000049837", "55210055400013",
          "44306184100047", "40483304800022", "38012986646850")
TRADERS = 300
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def avatar(initials: str, colour: tuple[int, int, int]) -> bytes:
    """A small generated portrait: a head and shoulders on a coloured ground, with initials."""
    image = Image.new("RGB", (120, 150), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((35, 22, 85, 78), fill=(240, 214, 190))
    draw.ellipse((15, 85, 105, 185), fill=(250, 250, 250))
    draw.text((48, 112), initials, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def _market_days(market_weekdays: str, start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day < end:
        if str(day.isoweekday()) in market_weekdays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def fill(session, establishment: Establishment) -> None:
    rng = random.Random(8)  # noqa: S311  (deterministic demonstration data)
    today = today_in(establishment)
    place_id = establishment.id
    _show_demo_widgets(establishment)

    markets = [Market(establishment_id=place_id, name=name, place=where, weekdays=days,
                      tariff_standard=standard, tariff_demonstrator=demonstrator,
                      tariff_surcharge=surcharge)
               for name, where, days, standard, demonstrator, surcharge in MARKETS]
    natures = [SalesNature(establishment_id=place_id, label=label) for label in NATURES]
    session.add_all([*markets, *natures,
                     *(DocumentType(establishment_id=place_id, label=label)
                       for label in DOCUMENT_TYPES)])
    session.flush()

    trader_rows = []
    for number in range(1, TRADERS + 1):
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        company = rng.random() < 0.2
        checked = today - dt.timedelta(days=rng.randrange(0, 420))
        insured = today + dt.timedelta(days=rng.randrange(-40, 360))
        trader_rows.append({
            "establishment_id": place_id, "number": number, "last_name": last,
            "first_name": first,
            "legal_name": f"{last.title()} {rng.choice(NATURES)} SARL" if company
            else f"{last} {first}",
            "address": f"{rng.randrange(1, 80)} {rng.choice(STREETS)}", "postcode": "34400",
            "city": "Lunel", "mobile": f"06{rng.randrange(10**7, 10**8)}",
            "siret": rng.choice(SIRETS), "third_party_number": f"T{number:05d}",
            "sales_nature_id": rng.choice(natures).id, "kbis_checked_on": checked,
            "insurance_until": insured,
            "badge_serial": f"04A{number:05d}" if number % 10 else None,
            "badge_associated": bool(number % 10), "badge_token": f"demo{rng.getrandbits(96):x}",
            "blocked": number % 97 == 0,
            "blocked_reason": "Décision du cadre" if number % 97 == 0 else "",
            "blocked_details": "", "access_code_hash": "", "access_code_failures": 0,
            "active": True, "notes": "", "created_at": utcnow()})
    session.execute(insert(Trader), trader_rows)
    traders = session.scalars(select(Trader).where(Trader.establishment_id == place_id)
                              .order_by(Trader.number)).all()

    photos = []
    for trader in traders:
        if trader.number % 25 == 0:
            continue  # a few records still wait for their photo
        initials = f"{trader.first_name[0]}{trader.last_name[0]}"
        photos.append({"establishment_id": place_id, "trader_id": trader.id, "kind": "photo",
                       "filename": f"photo-{trader.number}.png", "content_type": "image/png",
                       "content": avatar(initials, PALETTE[trader.number % len(PALETTE)]),
                       "added_at": utcnow()})
    session.execute(insert(TraderDocument), photos)
    photo_ids = dict(session.execute(select(TraderDocument.trader_id, TraderDocument.id)
                                     .where(TraderDocument.establishment_id == place_id)).all())
    for trader in traders:
        trader.photo_document_id = photo_ids.get(trader.id)
        account = open_account(session, establishment, kind=ACCOUNT_KIND,
                               owner_key=str(trader.number),
                               label=f"{trader.number} {trader.display_name}", actor="demo")
        trader.account_id = account.id

    start = add_months(today, -12)
    days_of = {market.id: _market_days(market.weekdays, start, today + dt.timedelta(days=1))
               for market in markets}
    tickets, authorisations = [], []
    for trader in traders:
        market = markets[trader.number % 3]
        profile = rng.random()
        presence = 0.9 if profile < 0.35 else (0.45 if profile < 0.75 else 0.12)
        metres = rng.choice((2, 4, 4, 6, 6, 6, 8, 10))
        authorisations.append({"establishment_id": place_id, "trader_id": trader.id,
                               "market_id": market.id, "weekday": 0, "start_date": None})
        for day in days_of[market.id]:
            if rng.random() >= presence:
                continue
            demonstrator = rng.random() < 0.03
            without_badge = not trader.badge_associated or rng.random() < 0.02
            tickets.append({
                "establishment_id": place_id, "trader_id": trader.id, "market_id": market.id,
                "placier_id": None, "day": day, "metres": metres, "demonstrator": demonstrator,
                "badge_surcharge": without_badge, "blocking_surcharge": trader.blocked,
                "amount": amount_of(market, metres, demonstrator=demonstrator,
                                    badge_surcharge=without_badge,
                                    blocking_surcharge=trader.blocked),
                "source": "field", "created_at": utcnow(), "updated_at": utcnow()})
    session.execute(insert(Authorisation), authorisations)
    session.execute(insert(Ticket), tickets)
    session.flush()
    _enrol_recent_days(session, establishment, markets, traders, today, rng)


def _show_demo_widgets(establishment: Establishment) -> None:
    for row in establishment.plugins:
        if row.plugin == "markets":
            row.settings = {**(row.settings or {}), "demo_widgets": True}


def _enrol_recent_days(session, establishment, markets, traders, today, rng) -> None:
    """Enrol, for the last market day of each market, the traders who came (about half of
    them placed), with ranks from the real rule."""
    settings = markets_settings(establishment)
    threshold = int(settings["seniority_tickets"])
    for market in markets:
        day = next(today - dt.timedelta(days=n) for n in range(7)
                   if market.opens_on(today - dt.timedelta(days=n)))
        present = session.scalars(select(Ticket.trader_id).where(
            Ticket.market_id == market.id, Ticket.day == day)).all()
        rows = []
        by_id = {trader.id: trader for trader in traders}
        for trader_id in present:
            found = placement.seniority(session, establishment, by_id[trader_id], market, day,
                                        settings, set_start=True)
            rows.append(Enrolment(establishment_id=establishment.id, market_id=market.id,
                                  day=day, trader_id=trader_id, attendance=found.attendance,
                                  start_date=found.start_date, placed=rng.random() < 0.5,
                                  created_at=utcnow()))
        rows.sort(key=lambda e: placement.rank_key(e.attendance, e.start_date, threshold,
                                                   e.trader_id))
        for rank, row in enumerate(rows, start=1):
            row.rank = rank
            row.placed_at = utcnow() if row.placed else None
        session.add_all(rows)
        session.flush()
