"""Finding a subscriber: by personal account (exact), or by street (the beginning is enough:
"50 лет" finds "50 лет Октября"), house and apartment, and/or the beginning of the surname.

Street and surname are compared through their search keys (:func:`search_key`), byte-wise on
both databases, so a prefix is a range the indexes on ``(establishment_id, street_key, house,
apartment)`` and ``(establishment_id, surname_key)`` answer, in the order the list shows.
"""

from __future__ import annotations

import attrs
from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.api import Establishment
from regie_billpay.models import Subscriber, format_address, search_key

LIMIT = 20
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


_COLUMNS = (Subscriber.id, Subscriber.account_number, Subscriber.surname, Subscriber.street,
            Subscriber.house, Subscriber.apartment)


def _starts_with(column, prefix: str):
    return (column >= prefix) & (column < prefix + _AFTER_ALL)


def find(session: Session, establishment: Establishment, criteria: Criteria, *,
         limit: int = LIMIT) -> list[Match]:
    """The subscribers matching ``criteria`` in its city, by address (or by surname when no
    street is given), at most ``limit`` and one more that tells the caller the list was cut."""
    query = select(*_COLUMNS).where(Subscriber.establishment_id == establishment.id,
                                    Subscriber.city_id == criteria.city_id)
    account = criteria.account.strip()
    if account:
        return [Match(*row) for row in session.execute(
            query.where(Subscriber.account_number == account))]
    street, surname = street_key(criteria.street), search_key(criteria.surname)
    if not (street or surname):
        return []
    if street:
        query = query.where(_starts_with(Subscriber.street_key, street))
    if surname:
        query = query.where(_starts_with(Subscriber.surname_key, surname))
    if criteria.house.strip():
        query = query.where(Subscriber.house == address_part(criteria.house))
    if criteria.apartment.strip():
        query = query.where(Subscriber.apartment == address_part(criteria.apartment))
    if street:
        query = query.order_by(Subscriber.street_key, Subscriber.house, Subscriber.apartment,
                               Subscriber.id)
    else:
        query = query.order_by(Subscriber.surname_key, Subscriber.id)
    return [Match(*row) for row in session.execute(query.limit(limit + 1))]
