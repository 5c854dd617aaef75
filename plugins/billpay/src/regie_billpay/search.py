"""Finding a subscriber: by personal account (exact), or by street (the beginning is enough:
"50 лет" finds "50 лет Октября"), house and apartment, and/or the beginning of the surname.

Street and surname are compared through their search keys (:func:`search_key`), byte-wise on
both databases, so a prefix is a range of the subscriber indexes (see :class:`Subscriber`),
read in the order the list shows. A cashier searches all day long: each combination of the
criteria given is one statement built once, and the list is read as plain rows.
"""

from __future__ import annotations

import functools

import attrs
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from regie.api import Establishment
from regie_billpay.models import Subscriber, format_address, search_key

LIMIT = 50
"""Matches listed at once: more means the cashier adds the house, apartment or surname."""
_AFTER_ALL = "\U0010ffff"
STREET_PREFIXES = ("вулиця ", "вул. ", "вул ", "улица ", "ул. ", "ул ", "проспект ",
                   "просп. ", "пр-т ", "пр. ", "провулок ", "пров. ", "переулок ", "пер. ",
                   "бульвар ", "бул. ", "б-р ", "площа ", "пл. ")


def street_key(street: str) -> str:
    """The search key of a street, without its kind ("вул.", "просп." …)."""
    key = search_key(street)
    for prefix in STREET_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):].strip()
    return key


def address_part(text: str) -> str:
    """House and apartment numbers as stored and compared: "12 а" → "12А"."""
    return "".join(text.split()).upper()


@attrs.frozen
class Criteria:
    city_id: int
    account: str = ""
    street: str = ""
    house: str = ""
    apartment: str = ""
    surname: str = ""

    @property
    def empty(self) -> bool:
        return not (self.account.strip() or street_key(self.street) or search_key(self.surname))


@attrs.frozen
class Match:
    """A subscriber in a list of matches (plain values: a list is read, not changed)."""

    id: int
    account_number: str
    surname: str
    street: str
    house: str
    apartment: str

    @property
    def address(self) -> str:
        return format_address(self.street, self.house, self.apartment)


_subscriber = Subscriber.__table__.c
_LISTED = select(_subscriber.id, _subscriber.account_number, _subscriber.surname,
                 _subscriber.street, _subscriber.house, _subscriber.apartment).where(
    _subscriber.establishment_id == bindparam("establishment"),
    _subscriber.city_id == bindparam("city"))
_BY_ACCOUNT = _LISTED.where(_subscriber.account_number == bindparam("account"))


def _starts_with(column, name: str):
    return (column >= bindparam(name)) & (column < bindparam(f"{name}_end"))


@functools.cache
def _narrowed(given: frozenset[str]) -> Select:
    """The search by the criteria named in ``given`` (street, surname, house, apartment)."""
    query = _LISTED
    if "street" in given:
        query = query.where(_starts_with(_subscriber.street_key, "street"))
    if "surname" in given:
        query = query.where(_starts_with(_subscriber.surname_key, "surname"))
    if "house" in given:
        query = query.where(_subscriber.house == bindparam("house"))
    if "apartment" in given:
        query = query.where(_subscriber.apartment == bindparam("apartment"))
    if "street" in given:
        query = query.order_by(_subscriber.street_key, _subscriber.house,
                               _subscriber.apartment, _subscriber.id)
    else:
        query = query.order_by(_subscriber.surname_key, _subscriber.id)
    return query.limit(bindparam("limit", type_=Integer))


def find(session: Session, establishment: Establishment, criteria: Criteria, *,
         limit: int = LIMIT) -> list[Match]:
    """The subscribers matching ``criteria`` in its city, by address (or by surname when no
    street is given), at most ``limit`` and one more that tells the caller the list was cut."""
    params = {"establishment": establishment.id, "city": criteria.city_id}
    account = criteria.account.strip()
    if account:
        rows = session.execute(_BY_ACCOUNT, {**params, "account": account}).all()
        return [Match(*row) for row in rows]
    prefixes = {"street": street_key(criteria.street), "surname": search_key(criteria.surname)}
    equal = {"house": address_part(criteria.house), "apartment": address_part(criteria.apartment)}
    given = {name: value for name, value in (prefixes | equal).items() if value}
    searched_prefixes = given.keys() & prefixes.keys()
    if not searched_prefixes:
        return []
    params.update({f"{name}_end": given[name] + _AFTER_ALL for name in searched_prefixes})
    rows = session.execute(_narrowed(frozenset(given)),
                           {**params, **given, "limit": limit + 1}).all()
    return [Match(*row) for row in rows]
