"""Signing in from a browser: a person who guesses passwords is locked out, and learns nothing
about which accounts exist."""

import pytest

pytestmark = pytest.mark.browser


def _refusal(page) -> str:
    assert page.url.endswith("/login"), f"still expected on the sign-in page, got {page.url}"
    assert page.locator("input[name=password]").is_visible()
    return page.get_by_role("alert").inner_text().strip()


def test_sign_in_opens_the_establishments_of_the_user(
        new_page, sign_in, make_establishment, make_user):
    school = make_establishment(slug="ecole-jaures", name="École Jaurès", plugins=["markets"])
    user = make_user(roles={school: ["manager"]})
    page = new_page()

    sign_in(page, user.username)

    page.get_by_role("link", name="École Jaurès").click()
    assert page.url.endswith("/ecole-jaures/")
    assert page.get_by_role("heading", name="École Jaurès").is_visible()


def test_lockout_refuses_the_right_password_with_the_same_message(
        new_page, sign_in, make_user, regie_runtime):
    attempts = regie_runtime.config["security.max_failed_logins"]
    user = make_user()
    page = new_page()

    sign_in(page, "nobody-by-that-name", "whatever password")
    unknown_user = _refusal(page)
    assert unknown_user
    for _ in range(attempts):
        sign_in(page, user.username, "not the password")
        assert _refusal(page) == unknown_user

    sign_in(page, user.username)

    assert _refusal(page) == unknown_user
    colleague = make_user()
    colleague_page = new_page()
    sign_in(colleague_page, colleague.username)
    assert not colleague_page.url.endswith("/login"), "the lockout is for one account only"
