"""Portal logins: initialization logins and passwords made by the school (readable, unique),
their reset, their import from a CSV file, and the family's own login and password.

While the family has not chosen its password, the readable initialization password is the one
in use (letters and labels print it); once it chooses one, only its argon2 hash is kept.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable

import argon2
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from regie.api import Establishment, Invalid, Rejects, read_csv, utcnow
from regie.api import gettext as _
from regie_reservation import individuals
from regie_reservation.models import Individual
from regie_reservation.portal.models import SignInFailures

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 8
_CONSONANTS = "bdfgkmnprstvz"
_VOWELS = "aeiou"
_hasher = argon2.PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(12))


def generate_password() -> str:
    """A password easy to read on a label and type on a phone: ``bako-47-rimu``."""

    def word() -> str:
        return "".join(secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(2))

    return f"{word()}-{secrets.randbelow(90) + 10}-{word()}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", plain)


def login_base(individual: Individual) -> str:
    """``firstname.lastname`` in lowercase ASCII (``lea.dupont-martin`` → ``lea.dupontmartin``)."""
    parts = [part for part in (_ascii(individual.first_name), _ascii(individual.last_name))
             if part]
    base = ".".join(parts)[:56] or "eleve"
    return base if len(base) >= 3 else f"{base}{individual.id}"


def unique_login(session: Session, establishment: Establishment, individual: Individual,
                 taken: set[str] | None = None) -> str:
    """A free login for ``individual``: its base, else the base followed by 2, 3 …"""
    base = login_base(individual)
    taken = taken if taken is not None else set()
    used = set(session.scalars(select(Individual.login).where(
        Individual.establishment_id == establishment.id, Individual.id != individual.id,
        Individual.login.like(f"{base}%"))))
    candidate, number = base, 1
    while candidate in used or candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def initialize(session: Session, establishment: Establishment,
               chosen: Iterable[Individual], *, reset: bool = False) -> list[Individual]:
    """Give initialization logins and passwords to ``chosen`` individuals who have none (all
    of them with ``reset``: the school resets lost logins, and the family locked out by its
    failed sign-ins may use the new ones at once). Returns those changed."""
    changed, taken, forgiven = [], set(), set()
    for individual in chosen:
        if individual.login and not reset:
            continue
        forgiven.add(individual.login or "")
        individual.login = unique_login(session, establishment, individual, taken)
        individual.initial_password = generate_password()
        taken.add(individual.login)
        individual.password_hash = ""
        individual.family_changed_at = None
        forgiven.add(individual.login)
        changed.append(individual)
    forgiven.discard("")
    if reset and forgiven:
        session.execute(delete(SignInFailures).where(
            SignInFailures.establishment_id == establishment.id,
            SignInFailures.login.in_(forgiven)))
    session.flush()
    return changed


def verify(individual: Individual, password: str) -> bool:
    """Whether ``password`` opens the individual's portal (same cost whether right or not)."""
    if individual.password_hash:
        try:
            return _hasher.verify(individual.password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
    expected = individual.initial_password or ""
    right = bool(expected) and hmac.compare_digest(expected.encode(), password.strip().encode())
    if not right:  # spend the time a hash check would
        with contextlib.suppress(argon2.exceptions.VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
    return right


def authenticate(session: Session, establishment: Establishment, login: str,
                 password: str) -> Individual | None:
    """The active individual whose login and password these are; records the sign-in."""
    individual = individuals.by_login(session, establishment, login) if login.strip() else None
    if individual is None:
        verify(Individual(initial_password=None, password_hash=_DUMMY_HASH), password)
        return None
    if not individual.active or not verify(individual, password):
        return None
    individual.last_login_at = utcnow()
    return individual


def password_problem(password: str, login: str = "") -> str | None:
    """Why a password a family chooses is too weak, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("use at least %(n)d characters", n=MIN_PASSWORD_LENGTH)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        return _("mix letters and digits")
    if len(set(password.lower())) < 5 or (login and login.lower() in password.lower()):
        return _("too easy to guess")
    return None


def change_password(individual: Individual, current: str, new: str, confirm: str) -> None:
    errors = {}
    if not verify(individual, current):
        errors["current"] = _("this is not the current password")
    problem = password_problem(new, individual.login or "")
    if problem:
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = _("the two passwords differ")
    if errors:
        raise Invalid(errors)
    individual.password_hash = _hasher.hash(new)
    individual.initial_password = None
    individual.family_changed_at = utcnow()


def login_problem(session: Session, establishment: Establishment, login: str,
                  individual_id: int | None) -> str | None:
    login = individuals.normalize_login(login)
    if not LOGIN_RE.match(login):
        return _("use 3 to 64 lowercase letters, digits, '.', '-' or '_'")
    other = individuals.by_login(session, establishment, login)
    if other is not None and other.id != individual_id:
        return _("this login is taken")
    return None


def change_login(session: Session, establishment: Establishment, individual: Individual,
                 login: str, *, by_family: bool = True) -> None:
    problem = login_problem(session, establishment, login, individual.id)
    if problem:
        raise Invalid({"login": problem})
    individual.login = individuals.normalize_login(login)
    if by_family:
        individual.family_changed_at = utcnow()
    session.flush()


IMPORT_COLUMNS = 3
"""An import line: the back-office id of the individual; login; password."""


def import_csv(session: Session, establishment: Establishment,
               data: bytes) -> tuple[int, Rejects]:
    """Set the logins and initialization passwords of ``data`` (``id;login;password``, e.g.
    the school's Windows accounts). All or nothing: with any bad line, nothing is imported
    and the rejects say why. Raises :class:`Invalid` for a file that cannot be read."""
    lines = read_csv(data, columns=IMPORT_COLUMNS)
    rejects = Rejects()
    known = {row.external_id: row for row in session.scalars(
        select(Individual).where(Individual.establishment_id == establishment.id))}
    owners = {row.login: row.external_id for row in known.values() if row.login}
    seen: dict[str, int] = {}
    planned: list[tuple[Individual, str, str]] = []
    for line in lines:
        reason = _import_problem(line.cells, known, owners, seen)
        if reason:
            rejects.add(line.number, reason, line.raw)
            continue
        external_id, login, password = line.cells
        seen[individuals.normalize_login(login)] = line.number
        planned.append((known[external_id], individuals.normalize_login(login), password))
    if rejects or not planned:
        return 0, rejects
    for individual, login, password in planned:
        individual.login = login
        individual.initial_password = password
        individual.password_hash = ""
        individual.family_changed_at = None
    session.flush()
    return len(planned), rejects


def _import_problem(cells: list[str], known: dict[str, Individual], owners: dict[str, str],
                    seen: dict[str, int]) -> str | None:
    if len(cells) != IMPORT_COLUMNS:
        return _("%(found)d columns where %(expected)d are expected (id;login;password)",
                 found=len(cells), expected=IMPORT_COLUMNS)
    external_id, login, password = cells
    login = individuals.normalize_login(login)
    if external_id not in known:
        return _("no individual has the id %(id)s", id=external_id)
    if not LOGIN_RE.match(login):
        return _("login « %(login)s »: use 3 to 64 lowercase letters, digits, '.', '-' or '_'",
                 login=login)
    if login in seen:
        return _("login %(login)s is already on line %(line)d", login=login, line=seen[login])
    owner = owners.get(login)
    if owner is not None and owner != external_id:
        return _("login %(login)s belongs to individual %(id)s", login=login, id=owner)
    if len(password) < 6:
        return _("the password needs at least 6 characters")
    return None
