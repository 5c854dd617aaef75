"""Demonstration data for ``regie demo``: a group of 30 members, products, four past
distributions (the two oldest validated) and a mix of debts and credits."""

from __future__ import annotations

import datetime as dt
import random

from regie.api import Establishment, utcnow
from regie_coop import accounts
from regie_coop.models import Distribution, Product

FIRST_NAMES = ("Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès",
               "Gabriel")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit")
PRODUCTS = (("Eggs (6)", "box", 250), ("Carrots", "kg", 290), ("Country bread", "loaf", 420),
            ("Goat cheese", "piece", 380), ("Apples", "kg", 310), ("Vegetable basket", "basket",
                                                                   1500))


def fill(session, establishment: Establishment, members: int = 30) -> None:
    rng = random.Random(4)  # noqa: S311  (deterministic demonstration data)
    products = [Product(establishment_id=establishment.id, name=name, unit=unit,
                        unit_price=price, active=True) for name, unit, price in PRODUCTS]
    session.add_all(products)
    people = []
    for number in range(members):
        name = f"{FIRST_NAMES[number % 10]} {LAST_NAMES[number % 6]}"
        member = accounts.add_member(session, establishment, name=f"{name} {number + 1}",
                                     email=f"member{number + 1}@example.org")
        if rng.random() < 0.5:
            accounts.add_carry_over(session, establishment, member,
                                    rng.choice((-1, 1)) * rng.randrange(500, 6000, 10))
        accounts.add_debt(session, establishment, member, "membership", 1500)
        people.append(member)
    today = accounts.local_now(establishment).date()
    for weeks_ago in (4, 3, 2, 1):
        date = today - dt.timedelta(weeks=weeks_ago)
        opens = utcnow() - dt.timedelta(weeks=weeks_ago + 1)
        distribution = Distribution(
            establishment_id=establishment.id, date=date, place="Halle du marché",
            orders_open_at=opens, orders_close_at=opens + dt.timedelta(days=6),
            opening_float=5000, validated_by="")
        session.add(distribution)
        session.flush()
        for member in rng.sample(people, 20):
            quantities = {product.id: rng.randrange(1, 4) * 1000
                          for product in rng.sample(products, 3)}
            accounts.place_order(session, None, establishment, member, distribution,
                                 quantities, method="", settings={},
                                 now=opens + dt.timedelta(hours=1))
        if weeks_ago >= 3:
            accounts.validate(session, None, establishment, distribution, actor="demo",
                              now=utcnow())
