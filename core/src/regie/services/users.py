"""Users, passwords (argon2), sign-in with lockout, and roles per establishment."""

from __future__ import annotations

import datetime as dt
import secrets

import argon2
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from regie.db.base import utcnow
from regie.db.models import Establishment, Membership, User
from regie.engine import Engine
from regie.i18n import LOCALES
from regie.i18n import gettext as _
from regie.services import audit
from regie.services.errors import Invalid, NotFound

MIN_PASSWORD_LENGTH = 10
_hasher = argon2.PasswordHasher()
# Verified against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password_strength(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("use at least %(n)d characters", n=MIN_PASSWORD_LENGTH)
    if password.isdigit() or len(set(password.lower())) < 5:
        return _("too easy to guess: mix more different characters")
    return None


def generate_password() -> str:
    """A random password that is easy to read aloud or copy: 4 groups of 4 characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def create(session: Session, username: str, password: str, *, email: str = "",
           full_name: str = "", is_superuser: bool = False, actor: User | None = None) -> User:
    username = username.strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("is required")
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = _("this username is taken")
    problem = check_password_strength(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise Invalid(errors)
    user = User(username=username, email=email.strip(), full_name=full_name.strip(),
                password_hash=_hasher.hash(password), is_superuser=is_superuser)
    session.add(user)
    session.flush()
    audit.record(session, "user.create", user=actor, target=username,
                 details={"superuser": is_superuser})
    return user


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's (for re-authentication, e.g. changing it)."""
    try:
        return _hasher.verify(user.password_hash or _DUMMY_HASH, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


#: Fields of a user that :func:`update` may change.
USER_EDITABLE = ("email", "full_name", "locale", "is_superuser", "active")


def update(session: Session, user: User, fields: dict, actor: User | None = None) -> User:
    """Change the profile, superuser flag or active flag of ``user``; audited."""
    unknown = set(fields) - set(USER_EDITABLE)
    errors = {key: _("cannot be changed") for key in unknown}
    if fields.get("locale") not in (None, "", *LOCALES):
        errors["locale"] = _("must be one of: %(allowed)s", allowed=", ".join(LOCALES))
    if errors:
        raise Invalid(errors)
    cleaned = {key: value.strip() if isinstance(value, str) else value
               for key, value in fields.items()}
    changed = {key: value for key, value in cleaned.items() if getattr(user, key) != value}
    for key, value in changed.items():
        setattr(user, key, value)
    if changed:
        action = {False: "user.deactivate", True: "user.reactivate"}.get(
            changed.get("active"), "user.update")
        audit.record(session, action, user=actor, target=user.username,
                     details={"changed": sorted(changed)})
    return user


def by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(_("no user '%(username)s'", username=username))
    return user


def set_password(session: Session, user: User, password: str, actor: User | None = None) -> None:
    problem = check_password_strength(password)
    if problem:
        raise Invalid({"password": problem})
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, "user.password", user=actor, target=user.username)


def authenticate(session: Session, username: str, password: str, *, max_failures: int,
                 lockout: dt.timedelta, ip: str = "", now: dt.datetime | None = None
                 ) -> User | None:
    """The user when the password is right and the account is neither inactive nor locked.

    Every refusal looks the same to the caller (no user enumeration); ``max_failures`` wrong
    passwords in a row lock the account for ``lockout``.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                       password)
        good = user is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        good = False
    if user is None:
        return None
    if user.locked_until and user.locked_until > now:
        audit.record(session, "auth.locked", user=user, ip=ip, target=user.username)
        return None
    if not good or not user.active:
        user.failed_logins += 1
        details = {"failures": user.failed_logins}
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
            details["locked_until"] = user.locked_until.isoformat()
        audit.record(session, "auth.failure", user=user, ip=ip, target=user.username,
                     details=details)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "auth.login", user=user, ip=ip, target=user.username)
    return user


#: Built once: building the statement cost more than running it (every page asks).
_ROLES_OF = select(Membership.role).where(Membership.user_id == bindparam("user_id"),
                                          Membership.establishment_id == bindparam("place_id"))


def roles_of(session: Session, user: User, establishment: Establishment) -> set[str]:
    return set(session.scalars(_ROLES_OF, {"user_id": user.id, "place_id": establishment.id}))


def grant(session: Session, engine: Engine, user: User, establishment: Establishment, role: str,
          actor: User | None = None) -> Membership:
    known = {item.code for item in engine.items("regie_roles")}
    if role not in known:
        raise Invalid({"role": _("unknown role '%(role)s'; known: %(known)s", role=role,
                                 known=", ".join(sorted(known)))})
    existing = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.establishment_id == establishment.id,
        Membership.role == role))
    if existing:
        return existing
    membership = Membership(user_id=user.id, establishment_id=establishment.id, role=role)
    session.add(membership)
    audit.record(session, "role.grant", establishment=establishment, user=actor,
                 target=user.username, details={"role": role})
    return membership


def revoke(session: Session, user: User, establishment: Establishment, role: str,
           actor: User | None = None) -> bool:
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.establishment_id == establishment.id,
        Membership.role == role))
    if membership is None:
        return False
    session.delete(membership)
    audit.record(session, "role.revoke", establishment=establishment, user=actor,
                 target=user.username, details={"role": role})
    return True


def permissions(engine: Engine, roles: set[str], enabled: dict[str, object]) -> frozenset[str]:
    """The permissions the roles grant, counting only roles of the core and enabled plugins."""
    granted: set[str] = set()
    for role in engine.items("regie_roles", enabled=enabled):
        if role.code in roles:
            granted |= role.permissions
    return frozenset(granted)
