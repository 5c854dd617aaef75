"""Signing in and out, lockout, the account page, the language switch and CSRF refusals."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from regie.db.models import AuditEvent, User
from regie.services import users
from regie.testing.plugin import PASSWORD


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, the language of the source strings (French, the default, and
    Ukrainian have their own tests)."""
    with client.session_transaction() as session:
        session["lang"] = "en"


def refusal(response) -> str:
    """The refusal message of the sign-in page."""
    match = re.search(r'<div class="form-errors" role="alert"><p>.*?</svg>(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    assert match, "no refusal message on the page"
    return match.group(1).strip()


def lock_state(regie_runtime, username):
    with regie_runtime.db.session() as session:
        user = users.by_username(session, username)
        return user.failed_logins, user.locked_until


def test_sign_in_then_sign_out(client, make_user):
    make_user("alice", full_name="Alice Martin")
    response = client.sign_in("alice", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Alice Martin" in home.get_data(as_text=True)

    signed_out = client.submit("/", {}, action="/logout", follow_redirects=True)
    assert signed_out.request.path == "/login"
    assert client.get("/").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(client, make_user):
    make_user("alice")
    asked = client.get("/account/")
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/login?next=")
    response = client.submit("/login?next=/account/", {"username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/account/"
    client.submit("/", {}, action="/logout")

    response = client.submit("/login?next=https://evil.example/", {
        "username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    make_user("alice")
    wrong_password = client.sign_in("alice", "not the password")
    unknown_user = client.sign_in("nobody", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert refusal(wrong_password) == refusal(unknown_user)
    assert "check the username and the password" in refusal(wrong_password)
    assert 'value="alice"' in wrong_password.get_data(as_text=True), "username kept"
    assert client.get("/").status_code == 302, "not signed in"


def test_empty_fields_are_marked_without_trying(client, make_user):
    response = client.sign_in("", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="username-error"' in html and 'id="password-error"' in html


def test_lockout_after_repeated_failures_then_unlock(client, make_user, regie_runtime):
    make_user("alice")
    limit = regie_runtime.config["security.max_failed_logins"]
    first = client.sign_in("alice", "wrong")
    for _ in range(limit - 1):
        client.sign_in("alice", "wrong")
    _failures, locked_until = lock_state(regie_runtime, "alice")
    assert locked_until is not None

    right_password_while_locked = client.sign_in("alice", PASSWORD)
    assert right_password_while_locked.status_code == 401
    assert refusal(right_password_while_locked) == refusal(first), "same message when locked"
    assert client.get("/").status_code == 302

    with regie_runtime.db.transaction() as session:
        user = users.by_username(session, "alice")
        user.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert client.sign_in("alice", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_lockout_period_ends_by_itself(make_user, regie_runtime):
    """The service decides with the time it is given: the lock lasts the configured minutes."""
    make_user("alice")
    minutes = regie_runtime.config["security.lockout_minutes"]
    limit = regie_runtime.config["security.max_failed_logins"]
    start = dt.datetime.now(dt.UTC)

    def attempt(password, now):
        with regie_runtime.db.transaction() as session:
            return users.authenticate(session, "alice", password, max_failures=limit,
                                      lockout=dt.timedelta(minutes=minutes), now=now)

    for _ in range(limit):
        assert attempt("wrong", start) is None
    assert attempt(PASSWORD, start + dt.timedelta(minutes=minutes - 1)) is None
    assert attempt(PASSWORD, start + dt.timedelta(minutes=minutes, seconds=1)) is not None


def test_deactivated_user_is_refused_with_the_same_message(client, make_user, regie_runtime):
    make_user("alice")
    with regie_runtime.db.transaction() as session:
        users.by_username(session, "alice").active = False
    deactivated = client.sign_in("alice", PASSWORD)
    unknown = client.sign_in("nobody", PASSWORD)
    assert deactivated.status_code == unknown.status_code == 401
    assert refusal(deactivated) == refusal(unknown)


def test_form_without_csrf_token_is_refused_with_a_page_saying_nothing_was_saved(
        client, make_user, regie_runtime):
    make_user("alice")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "nothing was saved" in html
    assert '<main id="main"' in html, "shown in the site's layout"
    assert client.get("/").status_code == 302
    with regie_runtime.db.session() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login")) is None


def test_account_page_changes_the_password_after_checking_the_current_one(
        signed_in, make_user, regie_runtime):
    client = signed_in(make_user("alice"))
    wrong = client.submit("/account/", {"current": "not it", "new": "a new long passphrase",
                                        "confirm": "a new long passphrase"},
                          action="/account/password")
    assert wrong.status_code == 422
    assert "is not your current password" in wrong.get_data(as_text=True)

    mismatch = client.submit("/account/", {"current": PASSWORD, "new": "a new long passphrase",
                                           "confirm": "another one entirely"},
                             action="/account/password")
    assert "does not match" in mismatch.get_data(as_text=True)

    too_short = client.submit("/account/", {"current": PASSWORD, "new": "short",
                                            "confirm": "short"}, action="/account/password")
    assert "at least 10 characters" in too_short.get_data(as_text=True)

    done = client.submit("/account/", {"current": PASSWORD, "new": "a new long passphrase",
                                       "confirm": "a new long passphrase"},
                         action="/account/password", follow_redirects=True)
    assert "password is changed" in done.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        assert users.verify_password(user, "a new long passphrase")
        assert not users.verify_password(user, PASSWORD)


def test_account_page_saves_profile_and_language(signed_in, make_user, regie_runtime):
    client = signed_in(make_user("alice"))
    bad = client.submit("/account/", {"full_name": "Alice Martin", "email": "not-an-address"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "is not an e-mail address" in html
    assert 'value="Alice Martin"' in html, "what was typed is kept"

    saved = client.submit("/account/", {"full_name": "Alice Martin",
                                        "email": "alice@example.org", "locale": "uk"},
                          follow_redirects=True)
    assert "Ваш обліковий запис збережено" in saved.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        assert (user.full_name, user.email, user.locale) == (
            "Alice Martin", "alice@example.org", "uk")


def test_language_switch_shows_ukrainian_and_survives_sign_in(client, make_user):
    make_user("alice")
    with client.session_transaction() as session:
        session.pop("lang")
    french = client.get("/login").get_data(as_text=True)
    assert "Se connecter" in french, "French is the default"
    switched = client.submit("/login", {"next": "/login"}, action="/lang/uk",
                             follow_redirects=True)
    html = switched.get_data(as_text=True)
    assert '<html lang="uk">' in html
    assert "Увійти" in html
    client.sign_in("alice", PASSWORD)
    assert "Ваші установи" in client.get("/").get_data(as_text=True)

    english = client.submit("/", {"next": "/"}, action="/lang/en", follow_redirects=True)
    assert "Your establishments" in english.get_data(as_text=True)
