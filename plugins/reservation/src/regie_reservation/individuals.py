"""Individuals (pupils and staff), their responsibles, their meal account and their passages.

The meal account is a core ledger account (``reservation.pupil``, owner key = the back office's
id): passages debit it, online top-ups credit it through the core payments, and a balance
confirmed by the back office is reconciled with an adjustment entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    account_by_id,
    get_for,
    open_account,
    open_accounts,
    post_entry,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_reservation import bulk
from regie_reservation.models import (
    ACCOUNT_KIND,
    DEFAULT_MEAL,
    KINDS,
    PUPIL,
    Individual,
    Passage,
    Responsible,
)

PASSAGE_ENTRY = "reservation.meal"
ADJUSTMENT_ENTRY = "reservation.adjust"
_BATCH = 1000


@attrs.frozen
class IndividualData:
    """What the school or the back office knows of an individual.

    ``None`` means "unknown, keep what is stored" for ``login``, ``password``,
    ``contact_email``, ``responsibles`` and ``balance``. ``responsibles`` is a sequence of
    ``(name, email)`` and replaces the stored ones. ``balance`` (minor units) is the balance the
    back office confirms at ``balance_as_of``.
    """

    external_id: str
    last_name: str
    first_name: str = ""
    kind: str = PUPIL
    class_name: str = ""
    regime: str = ""
    login: str | None = None
    password: str | None = None
    contact_email: str | None = None
    responsibles: Sequence[tuple[str, str]] | None = None
    balance: int | None = None
    balance_as_of: dt.datetime | None = None
    active: bool = True


def by_external_id(session: Session, establishment: Establishment | int,
                   external_id: str) -> Individual | None:
    return session.scalar(select_for(establishment, Individual,
                                     Individual.external_id == external_id))


def by_login(session: Session, establishment: Establishment | int,
             login: str) -> Individual | None:
    return session.scalar(select_for(establishment, Individual,
                                     Individual.login == normalize_login(login)))


def get(session: Session, establishment: Establishment | int,
        individual_id: int) -> Individual | None:
    return get_for(session, establishment, Individual, individual_id)


def normalize_login(login: str) -> str:
    """Logins are compared without case and surrounding spaces."""
    return login.strip().lower()


def _check(data: IndividualData) -> dict[str, str]:
    errors = {}
    if not data.external_id.strip():
        errors["external_id"] = _("is required")
    if not data.last_name.strip():
        errors["last_name"] = _("is required")
    if data.kind not in KINDS:
        errors["kind"] = _("must be one of: %(allowed)s", allowed=", ".join(KINDS))
    if data.balance is not None and (isinstance(data.balance, bool)
                                     or not isinstance(data.balance, int)):
        errors["balance"] = _("must be a whole number of cents")
    return errors


def _login_taken(session: Session, establishment: Establishment, login: str,
                 individual_id: int | None) -> bool:
    query = select(Individual.id).where(Individual.establishment_id == establishment.id,
                                        Individual.login == login)
    if individual_id is not None:
        query = query.where(Individual.id != individual_id)
    return session.scalar(query) is not None


def upsert(session: Session, establishment: Establishment, data: IndividualData) -> Individual:
    """Create or update the individual of ``data.external_id``; opens the meal account on
    create. Login and password change only while the family has not changed them itself.
    Raises :class:`Invalid` (nothing written) for bad data or a login another individual uses.
    """
    errors = _check(data)
    if errors:
        raise Invalid(errors)
    external_id = data.external_id.strip()
    individual = by_external_id(session, establishment, external_id)
    if individual is None:
        individual = _create(session, establishment, data, external_id)
    else:
        _update(session, establishment, individual, data)
    if data.responsibles is not None:
        replace_responsibles(session, establishment, individual, data.responsibles)
    if data.balance is not None:
        confirm_balance(session, establishment, individual, data.balance,
                        as_of=data.balance_as_of)
    session.flush()
    return individual


def _credentials(session: Session, establishment: Establishment, individual: Individual,
                 data: IndividualData) -> None:
    if individual.family_changed_at is None and data.login is not None:
        login = normalize_login(data.login)
        if login and _login_taken(session, establishment, login, individual.id):
            raise Invalid({"login": _("login %(login)s is used by another individual",
                                      login=login)})
    assign(individual, data)


def _values(data: IndividualData, *, credentials: bool) -> dict[str, Any]:
    """The columns ``data`` sets; login and password only with ``credentials`` (while the
    family has not changed them)."""
    values = {"kind": data.kind, "last_name": data.last_name.strip(),
              "first_name": data.first_name.strip(), "class_name": data.class_name.strip(),
              "regime": data.regime.strip(), "active": data.active}
    if data.contact_email is not None:
        values["contact_email"] = data.contact_email.strip()
    if credentials and data.login is not None:
        values["login"] = normalize_login(data.login) or None
    if credentials and data.password is not None:
        values["initial_password"] = data.password.strip() or None
        values["password_hash"] = ""
    return values


def assign(individual: Individual, data: IndividualData) -> None:
    """Give ``individual`` the fields of ``data``, without checking that its login is free
    (:func:`upsert` does; a set-wise caller checks against :func:`login_owners`)."""
    for column, value in _values(data, credentials=individual.family_changed_at is None).items():
        setattr(individual, column, value)


def login_owners(session: Session, establishment: Establishment,
                 logins: Iterable[str]) -> dict[str, str]:
    """The external id of the individual using each of ``logins`` (normalized), if any."""
    wanted = sorted({normalize_login(login) for login in logins} - {""})
    owners: dict[str, str] = {}
    for start in range(0, len(wanted), _BATCH):
        owners.update((login, external_id) for login, external_id in session.execute(
            select(Individual.login, Individual.external_id).where(
                Individual.establishment_id == establishment.id,
                Individual.login.in_(wanted[start:start + _BATCH]))))
    return owners


@attrs.frozen
class Created:
    individual_id: int
    account: Any
    """The meal account (a core ledger account), opened with the individual."""


def create_many(session: Session, establishment: Establishment,
                datas: Sequence[IndividualData]) -> dict[str, Created]:
    """Create the individuals of ``datas`` at once, by external id: their meal accounts opened
    together, one insert of the individuals and one of their responsibles. The caller has
    checked that the external ids are new and the logins free (a row written meanwhile by a
    concurrent push raises :class:`IntegrityError`); ``balance_as_of`` is stored, and the
    balances are the caller's to post."""
    if not datas:
        return {}
    accounts = open_accounts(session, establishment, kind=ACCOUNT_KIND, owners=[
        (data.external_id, f"{data.last_name.strip()} {data.first_name.strip()}".strip())
        for data in datas])
    rows = [{"contact_email": "", "login": None, "initial_password": None, "password_hash": "",
             **_values(data, credentials=True), "establishment_id": establishment.id,
             "external_id": data.external_id.strip(), "balance_as_of": data.balance_as_of,
             "account_id": accounts[data.external_id.strip()].id} for data in datas]
    ids = bulk.insert_returning(session, Individual.__table__, rows, "external_id")
    responsibles = [{"establishment_id": establishment.id,
                     "individual_id": ids[data.external_id.strip()], "name": name.strip(),
                     "email": email.strip()}
                    for data in datas for name, email in data.responsibles or ()
                    if name.strip() or email.strip()]
    if responsibles:
        session.execute(insert(Responsible.__table__), responsibles)
    return {external_id: Created(individual_id, accounts[external_id])
            for external_id, individual_id in ids.items()}


def _create(session: Session, establishment: Establishment, data: IndividualData,
            external_id: str) -> Individual:
    account = open_account(session, establishment, kind=ACCOUNT_KIND, owner_key=external_id,
                           label=f"{data.last_name.strip()} {data.first_name.strip()}".strip())
    individual = Individual(establishment_id=establishment.id, external_id=external_id,
                            account_id=account.id, responsibles=[])
    _credentials(session, establishment, individual, data)
    try:
        with session.begin_nested():
            session.add(individual)
    except IntegrityError:  # created meanwhile, or its login taken meanwhile
        existing = by_external_id(session, establishment, external_id)
        if existing is None:
            raise Invalid({"login": _("login %(login)s is used by another individual",
                                      login=data.login)}) from None
        _update(session, establishment, existing, data)
        return existing
    return individual


def _update(session: Session, establishment: Establishment, individual: Individual,
            data: IndividualData) -> None:
    _credentials(session, establishment, individual, data)


def replace_responsibles(session: Session, establishment: Establishment,
                         individual: Individual, responsibles: Sequence[tuple[str, str]]) -> None:
    wanted = [(name.strip(), email.strip()) for name, email in responsibles
              if name.strip() or email.strip()]
    if [(r.name, r.email) for r in individual.responsibles] == wanted:
        return
    for responsible in list(individual.responsibles):
        session.delete(responsible)
    individual.responsibles = [Responsible(establishment_id=establishment.id, name=name,
                                           email=email) for name, email in wanted]


def balance(session: Session, establishment: Establishment, individual: Individual) -> int:
    return account_by_id(session, establishment, individual.account_id).balance


def confirm_balance(session: Session, establishment: Establishment, individual: Individual,
                    amount: int, *, as_of: dt.datetime | None = None) -> None:
    """The back office says the balance is ``amount``: post the difference (if any) as an
    adjustment entry and remember when it was confirmed."""
    account = account_by_id(session, establishment, individual.account_id)
    difference = amount - account.balance
    if difference:
        post_entry(session, account, difference, kind=ADJUSTMENT_ENTRY,
                   label=_("Balance confirmed by the back office"), actor="back office")
    individual.balance_as_of = as_of or utcnow()


def record_passage(session: Session, establishment: Establishment, individual: Individual, *,
                   external_id: str, day: dt.date, meal: str = DEFAULT_MEAL,
                   price: int) -> Passage:
    """The meal ``external_id`` taken by ``individual``, debiting ``price`` from their account.
    Recording the same ``external_id`` again (a retry, a concurrent push) returns the stored
    passage and debits nothing more."""
    external_id = external_id.strip()
    errors = {}
    if not external_id:
        errors["external_id"] = _("is required")
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        errors["price"] = _("must be a whole number of cents, zero or more")
    if individual.establishment_id != establishment.id:
        errors["individual"] = _("belongs to another establishment")
    if errors:
        raise Invalid(errors)
    existing = _passage(session, establishment, external_id)
    if existing is not None:
        return existing
    passage = Passage(establishment_id=establishment.id, individual_id=individual.id,
                      external_id=external_id, day=day, meal=meal.strip() or DEFAULT_MEAL,
                      price=price)
    try:
        with session.begin_nested():
            session.add(passage)
    except IntegrityError:  # recorded meanwhile by a concurrent push
        return _passage(session, establishment, external_id)
    if price:
        account = account_by_id(session, establishment, individual.account_id)
        entry = post_entry(session, account, -price, kind=PASSAGE_ENTRY,
                           label=_("Meal of %(day)s", day=day.isoformat()),
                           actor="back office")
        passage.entry_id = entry.id
    session.flush()
    return passage


def _passage(session: Session, establishment: Establishment, external_id: str) -> Passage | None:
    return session.scalar(select_for(establishment, Passage, Passage.external_id == external_id))


def last_passages(session: Session, establishment: Establishment, individual: Individual, *,
                  today: dt.date) -> list[Passage]:
    """The passages of the current month, or of the last 7 days when the month is younger."""
    since = min(today.replace(day=1), today - dt.timedelta(days=7))
    return list(session.scalars(
        select_for(establishment, Passage, Passage.individual_id == individual.id,
                   Passage.day >= since).order_by(Passage.day.desc(), Passage.id.desc())))


def classes(session: Session, establishment: Establishment) -> list[str]:
    return [name for name in session.scalars(
        select(Individual.class_name).where(Individual.establishment_id == establishment.id,
                                            Individual.class_name != "")
        .distinct().order_by(Individual.class_name))]
