"""Sign-in throttling of the family portal: failed sign-ins are slowed, then locked for a while.

Failures are counted per school in three ways, with the instance's staff lockout settings
(``security.max_failed_logins``, 5, and ``security.lockout_minutes``, 15):

- per login and client address: from the 3rd failure in a row each try waits 30 seconds, and
  the 5th locks the login *for that address* for 15 minutes. Someone guessing from one address
  cannot lock the family out of its own portal;
- per client address, whatever the login: 6 times as many failures lock the address, so one
  address cannot sweep through the school's logins;
- per login, whatever the address: 10 times as many failures lock the login everywhere, so
  guesses spread over many addresses still come to an end.

Logins are counted whether they exist or not, and a locked try is refused before the password
is checked: neither the message nor the time taken tells a login that exists from one that does
not. Failures older than the lockout are forgotten. A right password clears the counts of its
login, not those of its address (signing in with one's own login must not restart a sweep).
IPv6 addresses are counted by /64 network, the block one subscriber gets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regie.api import Establishment, TaskContext, audit, lock, select_for, utcnow
from regie_reservation import individuals, logins
from regie_reservation.models import Individual
from regie_reservation.portal.models import (
    ADDRESS_LENGTH,
    ANY,
    LOGIN_LENGTH,
    SignInFailures,
)


@dataclasses.dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    """Failures in a row that lock a login for one address."""
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    slow_after: int = 3
    """From this failure on, each try of the login from the address waits ``pause``."""
    pause: dt.timedelta = dt.timedelta(seconds=30)
    per_address: int = 30
    per_login: int = 50

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        """The staff lockout settings of the instance, applied to the portal."""
        failures = config["security.max_failed_logins"]
        return cls(max_failures=failures,
                   lockout=dt.timedelta(minutes=config["security.lockout_minutes"]),
                   per_address=6 * failures, per_login=10 * failures)


class Throttled(Exception):
    """Too many failed sign-ins: the next try is possible from ``until`` (UTC)."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def client_network(address: str) -> str:
    """The client address as counted: IPv6 by its /64 network, anything unreadable as is."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:ADDRESS_LENGTH]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def authenticate(session: Session, establishment: Establishment, login: str, password: str,
                 *, address: str, policy: Policy, now: dt.datetime | None = None
                 ) -> Individual | None:
    """:func:`regie_reservation.logins.authenticate` behind the throttle: the individual when
    the login and password are right, ``None`` when they are not (the failure is counted).

    Raises :class:`Throttled` while the login, the address or the pair is locked or paused.
    """
    now = now or utcnow()
    login = individuals.normalize_login(login)[:LOGIN_LENGTH]
    network = client_network(address)
    keys = sorted({(login, network), (ANY, network), (login, ANY)})
    counters = _locked_counters(session, establishment, keys)
    waits = [counter.locked_until for counter in counters.values()
             if counter.locked_until and counter.locked_until > now]
    if waits:
        raise Throttled(max(waits))
    individual = logins.authenticate(session, establishment, login, password)
    if individual is not None:
        for key in ((login, network), (login, ANY)):
            if key in counters:
                session.delete(counters[key])
        return individual
    limits = {(login, network): policy.max_failures, (ANY, network): policy.per_address,
              (login, ANY): policy.per_login}
    for key in keys:
        counter = counters.get(key) or _new_counter(session, establishment, key, now)
        if _count_failure(counter, limits[key], policy, now, paused=key == (login, network)):
            audit(session, "reservation.portal.locked", establishment=establishment,
                  actor="portal", target=counter.login or "*", ip=address[:ADDRESS_LENGTH],
                  details={"address": counter.address or "*",
                           "until": counter.locked_until.isoformat()})
    return None


def _locked_counters(session: Session, establishment: Establishment,
                     keys: list[tuple[str, str]]) -> dict[tuple[str, str], SignInFailures]:
    """The existing counters of ``keys``, locked until the end of the transaction (in key
    order, the same in every transaction)."""
    found = {}
    for login, address in keys:
        counter = session.scalar(lock(select_for(
            establishment, SignInFailures, SignInFailures.login == login,
            SignInFailures.address == address)))
        if counter is not None:
            found[login, address] = counter
    return found


def _new_counter(session: Session, establishment: Establishment, key: tuple[str, str],
                 now: dt.datetime) -> SignInFailures:
    """A counter for ``key``; the one a concurrent transaction created meanwhile, if any."""
    login, address = key
    counter = SignInFailures(establishment_id=establishment.id, login=login, address=address,
                             failures=0, last_failed_at=now)
    try:
        with session.begin_nested():
            session.add(counter)
    except IntegrityError:
        counter = session.scalar(lock(select_for(
            establishment, SignInFailures, SignInFailures.login == login,
            SignInFailures.address == address)))
    return counter


def _count_failure(counter: SignInFailures, limit: int, policy: Policy, now: dt.datetime,
                   *, paused: bool) -> bool:
    """Count one more failure on ``counter``; whether it is now locked for the lockout."""
    if counter.last_failed_at < now - policy.lockout:
        counter.failures = 0
    counter.failures += 1
    counter.last_failed_at = now
    if counter.failures >= limit:
        counter.failures = 0
        counter.locked_until = now + policy.lockout
        return True
    if paused and counter.failures >= policy.slow_after:
        counter.locked_until = now + policy.pause
    return False


def forget_stale(session: Session, establishment: Establishment, policy: Policy,
                 now: dt.datetime | None = None) -> int:
    """Delete the counters whose last failure is older than the lockout (their lock, if any,
    has ended); returns how many."""
    before = (now or utcnow()) - policy.lockout
    result = session.execute(delete(SignInFailures).where(
        SignInFailures.establishment_id == establishment.id,
        SignInFailures.last_failed_at < before))
    return result.rowcount


def forget_stale_task(ctx: TaskContext) -> None:
    """The daily task: forget the school's old failed sign-ins."""
    with ctx.db.transaction() as session:
        forget_stale(session, session.get(Establishment, ctx.establishment.id),
                     Policy.from_config(ctx.config))
