"""Throttling of the family portal's sign-in: failures are slowed, then locked for a while,
per login and address, per address and per login; an unknown login is throttled like a known
one, and a family at home is not locked out by someone guessing elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from regie.db.models import AuditEvent
from regie_reservation import individuals, logins
from regie_reservation.portal import throttle
from regie_reservation.portal.models import SignInFailures
from tests.plugins.reservation.conftest import post_form

PORTAL = "/college-jean-moulin/reservation/portal"
PASSWORD = "kamo-12-tibu"
HOME, AWAY = "192.0.2.10", "198.51.100.7"
T0 = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
POLICY = throttle.Policy()


@pytest.fixture
def family(make_individual):
    make_individual(login="lea.martin", password=PASSWORD)
    return "lea.martin"


@pytest.fixture
def attempt(transaction):
    """``attempt(login, password, at=seconds after T0, address=…, policy=…)``: ``"in"``,
    ``"refused"`` or ``"throttled"``."""

    def sign_in(login, password, *, at=0, address=AWAY, policy=POLICY):
        try:
            with transaction() as (session, place):
                found = throttle.authenticate(session, place, login, password, address=address,
                                              policy=policy,
                                              now=T0 + dt.timedelta(seconds=at))
                return "in" if found is not None else "refused"
        except throttle.Throttled:
            return "throttled"

    return sign_in


def test_failures_are_slowed_then_locked_even_for_the_right_password(family, attempt):
    assert [attempt(family, "guess", at=second) for second in (0, 1, 2)] == ["refused"] * 3
    assert attempt(family, PASSWORD, at=10) == "throttled", "the 3rd failure asks to wait 30 s"
    assert attempt(family, "guess", at=33) == "refused"
    assert attempt(family, "guess", at=70) == "refused"
    locked_at = 70
    assert attempt(family, PASSWORD, at=locked_at + 60) == "throttled"
    assert attempt(family, PASSWORD, at=locked_at + 14 * 60) == "throttled"
    assert attempt(family, PASSWORD, at=locked_at + 15 * 60 + 1) == "in"


def test_an_unknown_login_is_throttled_exactly_like_a_known_one(family, attempt):
    def journey(login):
        return [attempt(login, "guess", at=second) for second in (0, 1, 2, 3, 40, 80, 120)]

    assert journey(family) == journey("nobody.here") == [
        "refused", "refused", "refused", "throttled", "refused", "refused", "throttled"]


def test_guesses_from_elsewhere_do_not_lock_the_family_out_at_home(family, attempt):
    for second in (0, 40, 80, 120, 160):
        attempt(family, "guess", at=second, address=AWAY)
    assert attempt(family, PASSWORD, at=170, address=AWAY) == "throttled"
    assert attempt(family, PASSWORD, at=171, address=HOME) == "in"


def test_one_address_sweeping_the_logins_is_locked_for_every_login(family, attempt):
    policy = throttle.Policy(per_address=4)
    for number in range(4):
        assert attempt(f"pupil{number}", "guess", at=number, policy=policy) == "refused"
    assert attempt(family, PASSWORD, at=10, policy=policy) == "throttled"
    assert attempt(family, PASSWORD, at=11, address=HOME, policy=policy) == "in"


def test_guesses_spread_over_many_addresses_lock_the_login_everywhere(family, attempt):
    policy = throttle.Policy(per_login=4)
    for number in range(4):
        attempt(family, "guess", at=number, address=f"203.0.113.{number}", policy=policy)
    assert attempt(family, PASSWORD, at=10, address=HOME, policy=policy) == "throttled"


def test_the_right_password_clears_its_login_but_not_its_address(family, attempt):
    policy = throttle.Policy(per_address=5)
    for second in (0, 1):
        attempt(family, "guess", at=second, policy=policy)
        attempt("someone.else", "guess", at=second, policy=policy)
    assert attempt(family, PASSWORD, at=5, policy=policy) == "in"
    assert attempt(family, "guess", at=6, policy=policy) == "refused"
    assert attempt(family, PASSWORD, at=7, policy=policy) == "throttled", (
        "the address's 5th failure locks it: a sweep cannot be restarted by signing in")
    assert [attempt(family, "typo", at=second, address=HOME) for second in (8, 9)] == [
        "refused", "refused"]
    assert attempt(family, PASSWORD, at=10, address=HOME) == "in"
    assert [attempt(family, "typo", at=second, address=HOME) for second in (11, 12)] == [
        "refused", "refused"], "after a right password the failures count from zero again"


def test_failures_older_than_the_lockout_are_forgotten(family, attempt):
    for second in (0, 1):
        attempt(family, "guess", at=second)
    quiet = 16 * 60
    assert [attempt(family, "guess", at=quiet + second) for second in (0, 1)] == [
        "refused", "refused"]
    assert attempt(family, PASSWORD, at=quiet + 2) == "in"


def test_a_lock_is_in_the_school_audit_trail(family, attempt, session):
    policy = throttle.Policy(max_failures=2)
    attempt(family, "guess", at=0, policy=policy)
    attempt(family, "guess", at=1, policy=policy)
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "reservation.portal.locked"))
    assert (event.target, event.ip, event.details["address"]) == (family, AWAY, AWAY)


@pytest.mark.parametrize(("address", "counted"), [
    ("192.0.2.10", "192.0.2.10"),
    ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::99", "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.10", "192.0.2.10"),
    ("", ""),
])
def test_client_addresses_are_counted_by_subscriber(address, counted):
    assert throttle.client_network(address) == counted


def test_the_daily_task_forgets_old_failures_only(family, attempt, transaction):
    attempt(family, "guess", at=0)
    attempt("other", "guess", at=20 * 60)
    with transaction() as (session, place):
        assert throttle.forget_stale(session, place, POLICY,
                                     now=T0 + dt.timedelta(minutes=25)) == 2
        remaining = session.scalars(select(SignInFailures.login)).all()
    assert sorted(remaining) == ["", "other", "other"]


def test_the_portal_form_says_when_to_try_again(client, family, monkeypatch, session):
    clock = [T0]
    monkeypatch.setattr(throttle, "utcnow", lambda: clock[0])
    monkeypatch.setattr("regie_reservation.portal.views.utcnow", lambda: clock[0])
    for _ in range(3):
        wrong = post_form(client, f"{PORTAL}/", {"login": "Lea.Martin", "password": "guess"})
        assert wrong.status_code == 401
        assert "Wrong login or password" in wrong.get_data(as_text=True)
    paused = post_form(client, f"{PORTAL}/", {"login": "lea.martin", "password": PASSWORD})
    assert paused.status_code == 429
    assert "wait 30 seconds, then try again" in paused.get_data(as_text=True)
    for _ in range(2):
        clock[0] += dt.timedelta(seconds=31)
        post_form(client, f"{PORTAL}/", {"login": "lea.martin", "password": "guess"})
    locked = post_form(client, f"{PORTAL}/", {"login": "lea.martin", "password": PASSWORD})
    assert locked.status_code == 429
    assert "try again after 1:17\u202fPM" in locked.get_data(as_text=True), (
        "locked at 12:01:02 UTC for 15 minutes: 13:17 in Paris, rounded up to the minute")
    assert session.scalar(select(func.count()).select_from(SignInFailures)) == 3

    at_home = client.application.test_client()
    at_home.environ_base["REMOTE_ADDR"] = HOME
    signed = post_form(at_home, f"{PORTAL}/", {"login": "lea.martin", "password": PASSWORD})
    assert signed.status_code == 302


def test_the_forgetting_task_runs_daily_in_every_school(regie_engine, regie_runtime, family,
                                                        attempt, session):
    from regie.tasks.runner import run_now

    task = {task.name: task for task in regie_engine.items("regie_scheduled_tasks")}[
        "reservation.forget_failed_sign_ins"]
    assert task.per_establishment and task.schedule == "40 3 * * *"
    attempt(family, "guess", at=0)
    [outcome] = run_now(regie_runtime, task.name, "college-jean-moulin")
    assert outcome.error == ""
    assert session.scalar(select(func.count()).select_from(SignInFailures)) == 0


def test_new_logins_from_the_school_open_the_portal_of_a_locked_out_family(
        family, attempt, transaction):
    for second in (0, 40, 80, 120, 160):
        attempt(family, "guess", at=second)
    with transaction() as (session, place):
        pupil = individuals.by_login(session, place, family)
        logins.initialize(session, place, [pupil], reset=True)
        login, password = pupil.login, pupil.initial_password
    assert attempt(login, password, at=170) == "in"
