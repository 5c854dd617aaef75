"""Individuals (pupils and staff), their responsibles, their meal account and their passages.

The meal account is a core ledger account (``reservation.pupil``, owner key = the back office's
id): passages debit it, online top-ups credit it through the core payments, and a balance
confirmed by the back office is reconciled with an adjustment entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    account_by_id,
    get_for,
    open_account,
    post_entry,
    select_for,
    utcnow,
)
from regie.api import gettext as _
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
    if individual.family_changed_at is not None:
        return
    if data.login is not None:
        login = normalize_login(data.login)
        if login and _login_taken(session, establishment, login, individual.id):
            raise Invalid({"login": _("login %(login)s is used by another individual",
                                      login=login)})
        individual.login = login or None
    if data.password is not None:
        individual.initial_password = data.password.strip() or None
        individual.password_hash = ""


def _fields(individual: Individual, data: IndividualData) -> None:
    individual.kind = data.kind
    individual.last_name = data.last_name.strip()
    individual.first_name = data.first_name.strip()
    individual.class_name = data.class_name.strip()
    individual.regime = data.regime.strip()
    individual.active = data.active
    if data.contact_email is not None:
        individual.contact_email = data.contact_email.strip()


def _create(session: Session, establishment: Establishment, data: IndividualData,
            external_id: str) -> Individual:
    account = open_account(session, establishment, kind=ACCOUNT_KIND, owner_key=external_id,
                           label=f"{data.last_name.strip()} {data.first_name.strip()}".strip())
    individual = Individual(establishment_id=establishment.id, external_id=external_id,
                            account_id=account.id, responsibles=[])
    _fields(individual, data)
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
    _fields(individual, data)
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
