"""What the hosted side does with the agent's pushes of individuals, passages and balances.

Each item is one individual, answered on its own: ``created``, ``updated``, ``unchanged`` or
``rejected`` with the reason (nothing of a rejected item is kept). A request (up to 1000 items)
is applied set-wise, a few statements for all its items; only when a bulk statement meets a
row written meanwhile by a concurrent push is it applied again item by item, each in its own
savepoint. A full item carries the individual's data, its new passages and its balance; a
``full``-mode item (the daily full push) carries only the login and the balance, and names an
individual the hosted side must already know.

Balance reconciliation. The back office is the reference for the balance as of its sync, but it
only knows the web payments it has pulled: the agent says up to which receipt number
(``payments_through``). The balance the web should show is therefore the back office's balance
plus the web payments on that account after that receipt. The passages of the item are recorded
first (one ledger entry debits the account for all of them), then a difference between that
balance and the ledger's is posted as one visible adjustment entry (``reservation.adjust``,
"Balance confirmed by the back office"): the ledger is never edited.
``Individual.balance_as_of`` is the time the agent read the balance, which families see as
"balance as of HH:MM".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Posting,
    account_by_id,
    post_entries,
    post_entry,
    select_for,
)
from regie.api import gettext as _
from regie_reservation import bulk, individuals
from regie_reservation.individuals import IndividualData
from regie_reservation.models import KINDS, Individual, Passage
from regie_reservation.sync.models import SyncPayment

MODES = ("periodic", "full", "refresh")
MAX_ITEMS = 1000
MAX_ROWS = 20000
_CHUNK = 5000
"""Ids looked up per statement (SQLite takes up to 32766 parameters)."""


def push_individuals(session: Session, establishment: Establishment,
                     payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply one push request in the caller's transaction; the answer per item.

    The request is applied set-wise (:func:`_at_once`). When it names an individual twice, or
    when a bulk statement meets a row written meanwhile by a concurrent push, it is applied
    again item by item, each in its own savepoint, so that one item never rejects the others.
    """
    mode, as_of, through, items = _envelope(payload)
    keys = [str(item.get("external_id", "")).strip() for item in items if isinstance(item, dict)]
    if len(set(keys)) == len(keys):
        try:
            with session.begin_nested():
                return _at_once(session, establishment, mode, as_of, items, _Known.load(
                    session, establishment, items, through, new_people_have_none=True))
        except IntegrityError:
            pass
    return _one_by_one(session, establishment, mode, as_of, items,
                       _Known.load(session, establishment, items, through))


@attrs.define
class _Known:
    """What the hosted side holds of a request's individuals and passages."""

    people: dict[str, Individual]
    passages: set[str]
    pending: dict[int, int]
    """Account → web payments the back office had not pulled when it read its balances."""

    @classmethod
    def load(cls, session: Session, establishment: Establishment, items: list, through: int,
             *, new_people_have_none: bool = False) -> _Known:
        """With ``new_people_have_none``, the passages of individuals the hosted side does
        not know yet are not looked up (a first push sends thousands): should one of them be
        recorded already, for another individual, inserting it fails and the caller loads
        everything again without this shortcut."""
        keys = [str(item.get("external_id", "")).strip() for item in items
                if isinstance(item, dict)]
        people = {person.external_id: person for chunk in _chunks(keys)
                  for person in session.scalars(select_for(
                      establishment, Individual, Individual.external_id.in_(chunk)))}
        passage_ids = [str(p.get("external_id", "")).strip() for item in items
                       if isinstance(item, dict) and isinstance(item.get("passages"), list)
                       and (not new_people_have_none
                            or str(item.get("external_id", "")).strip() in people)
                       for p in item["passages"] if isinstance(p, dict)]
        return cls(
            people,
            {external_id for chunk in _chunks(passage_ids) for external_id in session.scalars(
                select(Passage.external_id).where(Passage.establishment_id == establishment.id,
                                                  Passage.external_id.in_(chunk)))},
            _pending_web_payments(session, establishment, through))


def _one_by_one(session: Session, establishment: Establishment, mode: str, as_of: dt.datetime,
                items: list, known: _Known) -> list[dict[str, Any]]:
    results = []
    for item in items:
        key = str(item.get("external_id", "")) if isinstance(item, dict) else ""
        try:
            with session.begin_nested():
                if mode == "full":
                    result = _balance_only(session, establishment, item, known, as_of)
                else:
                    result = _full_item(session, establishment, item, known, as_of)
        except Invalid as exc:
            result = {"status": "rejected", "reason": _reason(exc)}
        except IntegrityError:
            result = {"status": "rejected", "reason": _(
                "recorded meanwhile by another push: send it again")}
        results.append({"key": key, **result})
    return results


@attrs.define
class _Change:
    """One accepted item of a set-wise push."""

    index: int
    external_id: str
    person: Individual | None
    """``None`` for an individual the push creates."""
    data: IndividualData | None
    """``None`` when the item changes nothing of the individual but its balance."""
    balance: int | None
    fresh: list[tuple[str, dt.date, str, int]] = attrs.Factory(list)
    known_passages: int = 0


def _at_once(session: Session, establishment: Establishment, mode: str, as_of: dt.datetime,
             items: list, known: _Known) -> list[dict[str, Any]]:
    """The request with a few statements per thousand items: every item checked first (a
    rejected one is answered with its reason, nothing of it kept), then the known individuals
    updated (first, so that a login one of them gives up is free for a new one), the new ones
    created together, all the debits and adjustments posted by one :func:`post_entries` and
    the passages inserted at once."""
    results: list[dict[str, Any]] = [
        {"key": str(item.get("external_id", "")) if isinstance(item, dict) else ""}
        for item in items]
    owners = individuals.login_owners(session, establishment, [
        str(item["login"]) for item in items if isinstance(item, dict)
        and isinstance(item.get("login"), str | int) and not isinstance(item["login"], bool)])
    changes = []
    for index, item in enumerate(items):
        try:
            change = (_balance_change(index, item, known) if mode == "full"
                      else _full_change(index, item, known))
            _take_login(change, owners)
        except Invalid as exc:
            results[index].update(status="rejected", reason=_reason(exc))
            continue
        known.passages.update(row[0] for row in change.fresh)
        changes.append(change)
    before = _update_known(session, establishment, changes, as_of)
    created = individuals.create_many(session, establishment, [
        attrs.evolve(change.data, balance_as_of=as_of if change.balance is not None else None)
        for change in changes if change.person is None])
    accounts = {change.index: created[change.external_id].account if change.person is None
                else account_by_id(session, establishment, change.person.account_id)
                for change in changes}
    postings = _postings(changes, accounts, known.pending, _Labels.current())
    entry_ids = post_entries(session, [posting for _index, posting in postings])
    entry_of, adjusted = {}, {}
    for (index, posting), entry_id in zip(postings, entry_ids, strict=True):
        if posting.kind == individuals.PASSAGE_ENTRY:
            entry_of[index] = entry_id
        else:
            adjusted[index] = posting.amount
    _insert_passages(session, establishment, changes, created, entry_of)
    session.flush()
    for change in changes:
        adjustment = adjusted.get(change.index, 0)
        if change.person is None:
            status = "created"
        else:
            status = ("updated" if before[change.index] != _snapshot(change.person)
                      or change.fresh or adjustment else "unchanged")
        result = {"status": status, "adjustment": adjustment}
        if mode != "full":
            result.update(passages_recorded=len(change.fresh),
                          passages_known=change.known_passages)
        results[change.index].update(result)
    return results


def _update_known(session: Session, establishment: Establishment, changes: list[_Change],
                  as_of: dt.datetime) -> dict[int, tuple]:
    """Apply the changes of the known individuals; their snapshots before, by item."""
    before = {}
    for change in changes:
        if change.person is None:
            continue
        before[change.index] = _snapshot(change.person)
        if change.data is not None:
            individuals.assign(change.person, change.data)
            if change.data.responsibles is not None:
                individuals.replace_responsibles(session, establishment, change.person,
                                                 change.data.responsibles)
        if change.balance is not None:
            change.person.balance_as_of = as_of
    return before


def _insert_passages(session: Session, establishment: Establishment, changes: list[_Change],
                     created: dict[str, individuals.Created], entry_of: dict[int, int]) -> None:
    """One insert of every new passage, each with its item's debit entry."""
    columns: dict[str, list] = {name: [] for name in (
        "individual_id", "external_id", "day", "meal", "price", "entry_id")}
    for change in changes:
        if not change.fresh:
            continue
        count = len(change.fresh)
        individual_id = (created[change.external_id].individual_id if change.person is None
                         else change.person.id)
        columns["individual_id"] += [individual_id] * count
        columns["entry_id"] += [entry_of.get(change.index)] * count
        for passage_id, day, meal, price in change.fresh:
            columns["external_id"].append(passage_id)
            columns["day"].append(day)
            columns["meal"].append(meal)
            columns["price"].append(price)
    bulk.insert_columns(session, Passage.__table__, {
        "establishment_id": [establishment.id] * len(columns["external_id"]), **columns})


def _full_change(index: int, item: Any, known: _Known) -> _Change:
    data, balance, passages = _parse_full(item)
    fresh = list({row[0]: row for row in passages if row[0] not in known.passages}.values())
    return _Change(index, data.external_id, known.people.get(data.external_id), data, balance,
                   fresh, len(passages) - len(fresh))


def _balance_change(index: int, item: Any, known: _Known) -> _Change:
    external_id, login, balance = _parse_balance_only(item)
    person = known.people.get(external_id)
    if person is None:
        raise Invalid({"external_id": _("unknown individual %(id)s: push it in full first",
                                        id=external_id)})
    data = (_login_only(person, login) if login is not None
            and individuals.normalize_login(login) != person.login else None)
    return _Change(index, external_id, person, data, balance)


def _take_login(change: _Change, owners: dict[str, str]) -> None:
    """Refuse a login another individual holds (``owners``, as the items before left it),
    else record the change in ``owners``."""
    person, data = change.person, change.data
    if data is None or data.login is None or (person is not None
                                              and person.family_changed_at is not None):
        return
    login = individuals.normalize_login(data.login)
    if login and owners.get(login, change.external_id) != change.external_id:
        raise Invalid({"login": _("login %(login)s is used by another individual",
                                  login=login)})
    if person is not None and person.login and owners.get(person.login) == change.external_id:
        del owners[person.login]
    if login:
        owners[login] = change.external_id


@attrs.frozen
class _Labels:
    """The entries' labels in the request's language, translated once for all its items."""

    meal: str
    meals: str
    confirmed: str

    @classmethod
    def current(cls) -> _Labels:
        return cls(_("Meal of %(day)s"), _("%(count)s meals from %(first)s to %(last)s"),
                   _("Balance confirmed by the back office"))

    def passages(self, fresh: list[tuple[str, dt.date, str, int]]) -> str:
        if len(fresh) == 1:
            return self.meal % {"day": fresh[0][1].isoformat()}
        days = [day for _id, day, _meal, _price in fresh]
        return self.meals % {"count": len(fresh), "first": min(days).isoformat(),
                             "last": max(days).isoformat()}


def _postings(changes: list[_Change], accounts: dict[int, Any], pending: dict[int, int],
              labels: _Labels) -> list[tuple[int, Posting]]:
    """Per item, in order, the entry debiting its new passages, then the adjustment that
    brings its account to the back office's balance (plus the web payments it has not pulled
    yet), as :func:`_full_item` posts them."""
    postings = []
    for change in changes:
        account = accounts[change.index]
        total = sum(price for _id, _day, _meal, price in change.fresh)
        if total:
            postings.append((change.index, Posting(
                account, -total, individuals.PASSAGE_ENTRY, labels.passages(change.fresh),
                "back office")))
        if change.balance is not None:
            difference = change.balance + pending.get(account.id, 0) - (account.balance - total)
            if difference:
                postings.append((change.index, Posting(
                    account, difference, individuals.ADJUSTMENT_ENTRY, labels.confirmed,
                    "back office")))
    return postings


def _envelope(payload: Any) -> tuple[str, dt.datetime, int, list]:
    if not isinstance(payload, dict):
        raise Invalid({"payload": _("a JSON object is expected")})
    errors = {}
    mode = payload.get("mode", "periodic")
    if mode not in MODES:
        errors["mode"] = _("must be one of %(modes)s", modes=", ".join(MODES))
    try:
        as_of = dt.datetime.fromisoformat(str(payload.get("as_of")))
        if as_of.tzinfo is None:
            raise ValueError
    except ValueError:
        errors["as_of"] = _("must be a date and time with its offset")
        as_of = None
    try:
        through = int(payload.get("payments_through", 0))
    except (TypeError, ValueError):
        errors["payments_through"] = _("must be a receipt number")
        through = 0
    items = payload.get("items")
    if not isinstance(items, list):
        errors["items"] = _("must be a list")
    elif len(items) > MAX_ITEMS or sum(
            1 + len(item.get("passages") or ()) for item in items
            if isinstance(item, dict)) > MAX_ROWS:
        errors["items"] = _("too many items in one request (at most %(items)s individuals "
                            "and %(rows)s rows)", items=MAX_ITEMS, rows=MAX_ROWS)
    if errors:
        raise Invalid(errors)
    return mode, as_of, through, items


def _pending_web_payments(session: Session, establishment: Establishment,
                          through: int) -> dict[int, int]:
    """Account → web payments the back office had not pulled when it read its balances
    (PostgreSQL sums integers as numeric: back to int minor units)."""
    return {account_id: int(total) for account_id, total in session.execute(
        select(SyncPayment.account_id, func.sum(SyncPayment.amount))
        .where(SyncPayment.establishment_id == establishment.id,
               SyncPayment.receipt_number > through)
        .group_by(SyncPayment.account_id))}


def _text(item: dict, field: str, *, required: bool = False, limit: int = 100) -> str | None:
    value = item.get(field)
    if value is None:
        if required:
            raise Invalid({field: _("is required")})
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Invalid({field: _("must be text")})
    value = str(value).strip()
    if required and not value:
        raise Invalid({field: _("is required")})
    if len(value) > limit:
        raise Invalid({field: _("is longer than %(limit)s characters", limit=limit)})
    return value


def _balance(item: dict) -> int | None:
    value = item.get("balance")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid({"balance": _("must be a whole number of cents")})
    return value


def _passages(item: dict) -> list[tuple[str, dt.date, str, int]]:
    rows = item.get("passages") or []
    if not isinstance(rows, list):
        raise Invalid({"passages": _("must be a list")})
    passages = []
    for row in rows:
        if not isinstance(row, dict):
            raise Invalid({"passages": _("each passage must be an object")})
        external_id = _plain(row.get("external_id"), 64) or _text(
            row, "external_id", required=True, limit=64)
        day = row.get("day")
        day = _iso_day(day if type(day) is str else str(day))
        if day is None:
            raise Invalid({"passages": _("passage %(id)s: day must be a date like 2026-11-20",
                                         id=external_id)})
        price = row.get("price")
        if type(price) is not int or price < 0:
            raise Invalid({"passages": _("passage %(id)s: price must be a whole number of "
                                         "cents, zero or more", id=external_id)})
        meal = _plain(row.get("meal"), 30) or _text(row, "meal", limit=30) or "lunch"
        passages.append((external_id, day, meal, price))
    return passages


@functools.lru_cache(maxsize=1024)
def _iso_day(text: str) -> dt.date | None:
    """The date ``text`` names, or ``None`` (a push's 20000 passages fall on a few days)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _plain(value: Any, limit: int) -> str | None:
    """``value`` if it is already what :func:`_text` would make of it, else ``None`` (the
    common case of a push's 20000 rows, without :func:`_text`'s checks)."""
    if type(value) is str and 0 < len(value) <= limit and not value[0].isspace() \
            and not value[-1].isspace():
        return value
    return None


def _snapshot(person: Individual) -> tuple:
    return (person.kind, person.last_name, person.first_name, person.class_name, person.regime,
            person.login, person.initial_password, person.contact_email, person.active,
            tuple((r.name, r.email) for r in person.responsibles))


def _parse_full(item: Any) -> tuple[IndividualData, int | None,
                                    list[tuple[str, dt.date, str, int]]]:
    if not isinstance(item, dict):
        raise Invalid({"item": _("must be an object")})
    external_id = _text(item, "external_id", required=True, limit=64)
    kind = _text(item, "kind") or "pupil"
    if kind not in KINDS:
        raise Invalid({"kind": _("must be one of: %(allowed)s", allowed=", ".join(KINDS))})
    name, email = _text(item, "responsible_name", limit=200), _text(item, "responsible_email",
                                                                  limit=254)
    data = IndividualData(
        external_id=external_id, last_name=_text(item, "last_name", required=True),
        first_name=_text(item, "first_name") or "", kind=kind,
        class_name=_text(item, "class_name", limit=50) or "",
        regime=_text(item, "regime", limit=50) or "", login=_text(item, "login", limit=64),
        password=_text(item, "password", limit=64),
        responsibles=[(name or "", email or "")] if name or email else None,
        active=item.get("active", True) is not False)
    return data, _balance(item), _passages(item)


def _full_item(session: Session, establishment: Establishment, item: Any, known: _Known,
               as_of: dt.datetime) -> dict[str, Any]:
    data, balance, passages = _parse_full(item)
    person = known.people.get(data.external_id)
    before = _snapshot(person) if person is not None else None
    person = individuals.upsert(session, establishment, data)
    fresh = list({row[0]: row for row in passages if row[0] not in known.passages}.values())
    record_passages(session, establishment, person, fresh)
    adjustment = _reconcile(session, establishment, person, balance, known.pending, as_of)
    known.people[data.external_id] = person
    known.passages.update(row[0] for row in fresh)
    status = ("created" if before is None else
              "updated" if before != _snapshot(person) or fresh or adjustment else "unchanged")
    return {"status": status, "adjustment": adjustment, "passages_recorded": len(fresh),
            "passages_known": len(passages) - len(fresh)}


def record_passages(session: Session, establishment: Establishment, person: Individual,
                     fresh: list[tuple[str, dt.date, str, int]]) -> None:
    """Record the item's new passages in one insert, debited by one ledger entry for them all
    (their ``entry_id``): a push of 30 meals is one statement and one entry, not 30 of each.
    A passage recorded meanwhile by a concurrent push makes the insert fail, and the item with
    it (answered ``rejected``, sent again by the agent's next run)."""
    if not fresh:
        return
    total = sum(price for _id, _day, _meal, price in fresh)
    entry_id = None
    if total:
        account = account_by_id(session, establishment, person.account_id)
        entry_id = post_entry(session, account, -total, kind=individuals.PASSAGE_ENTRY,
                              label=_Labels.current().passages(fresh), actor="back office").id
    session.execute(insert(Passage), [
        {"establishment_id": establishment.id, "individual_id": person.id,
         "external_id": passage_id, "day": day, "meal": meal, "price": price,
         "entry_id": entry_id} for passage_id, day, meal, price in fresh])


def _parse_balance_only(item: Any) -> tuple[str, str | None, int | None]:
    if not isinstance(item, dict):
        raise Invalid({"item": _("must be an object")})
    external_id = _text(item, "external_id", required=True, limit=64)
    return external_id, _text(item, "login", limit=64), _balance(item)


def _login_only(person: Individual, login: str) -> IndividualData:
    """The data of ``person`` as stored, with a new login."""
    return IndividualData(
        external_id=person.external_id, last_name=person.last_name,
        first_name=person.first_name, kind=person.kind, class_name=person.class_name,
        regime=person.regime, login=login, active=person.active)


def _balance_only(session: Session, establishment: Establishment, item: Any, known: _Known,
                  as_of: dt.datetime) -> dict[str, Any]:
    external_id, login, balance = _parse_balance_only(item)
    person = known.people.get(external_id)
    if person is None:
        raise Invalid({"external_id": _("unknown individual %(id)s: push it in full first",
                                        id=external_id)})
    before = _snapshot(person)
    if login is not None and individuals.normalize_login(login) != person.login:
        individuals.upsert(session, establishment, _login_only(person, login))
    adjustment = _reconcile(session, establishment, person, balance, known.pending, as_of)
    changed = before != _snapshot(person) or adjustment
    return {"status": "updated" if changed else "unchanged", "adjustment": adjustment}


def _reconcile(session: Session, establishment: Establishment, person: Individual,
               balance: int | None, pending: dict[int, int], as_of: dt.datetime) -> int:
    """Bring the account to the back office's balance (plus the web payments it has not
    pulled yet); returns the adjustment posted (0 when none)."""
    if balance is None:
        return 0
    expected = balance + pending.get(person.account_id, 0)
    difference = expected - account_by_id(session, establishment, person.account_id).balance
    individuals.confirm_balance(session, establishment, person, expected, as_of=as_of)
    return difference


def _reason(exc: Invalid) -> str:
    return "; ".join(f"{field}: {message}" for field, message in exc.errors.items())


def _chunks(keys: Sequence[str]) -> list[list[str]]:
    unique = sorted(set(keys))
    return [unique[start:start + _CHUNK] for start in range(0, len(unique), _CHUNK)]
