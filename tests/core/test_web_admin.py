"""Platform administration: establishments, users and roles, for superusers only."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from regie.db.models import AuditEvent, Establishment, Membership, User
from regie.services import establishments, users
from regie.testing.plugin import PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def admin_client(signed_in, make_user):
    return signed_in(make_user("root", superuser=True))


def field_error(response, field_id: str) -> str:
    """The error shown beside field ``field_id`` (empty when there is none)."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def new_establishment(client, **fields):
    data = {"slug": "ecole-jaures", "name": "École Jaurès", "locale": "fr",
            "timezone": "Europe/Paris", "currency": "EUR"} | fields
    return client.submit("/admin/establishments/new", data)


def test_only_superusers_reach_the_platform_admin(signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole")
    client = signed_in(make_user(roles={school: ["manager"]}))
    for url in ("/admin/", "/admin/establishments", "/admin/establishments/new",
                "/admin/users", "/admin/audit"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(("slug", "message"), [
    ("admin", "'admin' is reserved by Régie"),
    ("login", "'login' is reserved by Régie"),
    ("Bad Slug!", "use 1 to 63 lowercase letters, digits and inner hyphens"),
    ("-edge", "use 1 to 63 lowercase letters"),
])
def test_reserved_and_malformed_slugs_are_refused_and_the_form_kept(
        admin_client, regie_runtime, slug, message):
    response = new_establishment(admin_client, slug=slug, name="Mairie de Villeneuve",
                                 address="1 place de la Mairie")
    assert response.status_code == 422
    assert message in field_error(response, "slug")
    html = response.get_data(as_text=True)
    assert f'value="{slug}"' in html
    assert 'value="Mairie de Villeneuve"' in html
    assert "1 place de la Mairie" in html
    with regie_runtime.db.session() as session:
        assert session.scalar(select(Establishment)) is None


def test_create_establishment_with_logo_then_edit_it(admin_client, regie_runtime):
    created = new_establishment(admin_client, email="ecole@example.org", logo=(
        io.BytesIO(PNG), "logo.png"))
    assert created.status_code == 302
    listing = admin_client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Establishment “École Jaurès” created." in listing
    assert "/ecole-jaures/" in listing
    logo = admin_client.get("/ecole-jaures/logo")
    assert (logo.status_code, logo.mimetype, logo.data) == (200, "image/png", PNG)

    edit = admin_client.submit("/admin/establishments/ecole-jaures", {
        "name": "École Jean-Jaurès", "currency": "uah", "timezone": "Europe/Kyiv",
        "locale": "uk", "remove_logo": "y"})
    assert edit.status_code == 302
    with regie_runtime.db.session() as session:
        school = establishments.by_slug(session, "ecole-jaures")
        assert (school.name, school.currency, school.timezone, school.locale) == (
            "École Jean-Jaurès", "UAH", "Europe/Kyiv", "uk")
        assert school.logo is None
        assert session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "establishment.update")) is not None
    assert admin_client.get("/ecole-jaures/logo").status_code == 404


def test_establishment_form_errors_are_shown_beside_their_fields(admin_client):
    response = new_establishment(admin_client, name="", email="nope")
    assert response.status_code == 422
    assert "This field is required." in field_error(response, "name")
    assert "is not an e-mail address" in field_error(response, "email")
    assert not field_error(response, "slug")

    response = new_establishment(admin_client, timezone="Mars/Olympus", currency="XYZ")
    assert response.status_code == 422
    assert "unknown time zone" in field_error(response, "timezone")
    assert "unknown ISO 4217 currency code" in field_error(response, "currency")
    assert 'value="Mars/Olympus"' in response.get_data(as_text=True)


def test_duplicate_slug_is_refused(admin_client, make_establishment):
    make_establishment(slug="ecole")
    response = new_establishment(admin_client, slug="ecole")
    assert "an establishment already uses 'ecole'" in field_error(response, "slug")


@pytest.mark.parametrize(("upload", "message"), [
    ((b"GIF89a" + b"\x00" * 32, "logo.png"), "must be a PNG or JPEG image"),
    ((b"\xff\xd8\xff" + b"\x00" * (600 * 1024), "big.jpg"), "is larger than 512 KB"),
])
def test_logo_must_be_a_small_png_or_jpeg(admin_client, regie_runtime, upload, message):
    content, name = upload
    response = new_establishment(admin_client, logo=(io.BytesIO(content), name))
    assert response.status_code == 422
    assert message in field_error(response, "logo")
    with regie_runtime.db.session() as session:
        assert session.scalar(select(Establishment)) is None


def test_create_user_with_a_generated_password_shown_once(admin_client, regie_runtime):
    response = admin_client.submit("/admin/users/new", {
        "username": "bob", "full_name": "Bob Durand", "email": "bob@example.org",
        "locale": "en"})
    assert response.status_code == 200
    password = re.search(r'<p class="secret-value"><code>([^<]+)</code>',
                         response.get_data(as_text=True)).group(1)
    with admin_client.session_transaction() as session:
        assert password not in repr(dict(session)), "never kept in the session cookie"
    with regie_runtime.db.session() as session:
        bob = users.by_username(session, "bob")
        assert users.verify_password(bob, password)
        assert (bob.full_name, bob.email, bob.locale, bob.is_superuser) == (
            "Bob Durand", "bob@example.org", "en", False)


def test_create_user_errors_keep_the_input(admin_client, make_user):
    make_user("bob")
    response = admin_client.submit("/admin/users/new", {
        "username": "BOB", "full_name": "Robert", "password": "short", "locale": ""})
    assert response.status_code == 422
    assert "this username is taken" in field_error(response, "username")
    assert "at least 10 characters" in field_error(response, "password")
    html = response.get_data(as_text=True)
    assert 'value="Robert"' in html
    assert 'value="short"' not in html, "a password is never rendered back"


def test_edit_deactivate_reset_password_of_a_user(admin_client, make_user, regie_runtime,
                                                  client):
    bob = make_user("bob")
    page = f"/admin/users/{bob.id}"
    saved = admin_client.submit(page, {"full_name": "Bob Durand", "email": "bob@example.org",
                                       "locale": ""})
    assert saved.status_code == 302

    deactivated = admin_client.submit(page, {"active": "0"}, action=f"{page}/active",
                                      follow_redirects=True)
    assert "“bob” can no longer sign in." in deactivated.get_data(as_text=True)
    reset = admin_client.submit(page, {"password": "a brand new passphrase"},
                                action=f"{page}/password", follow_redirects=True)
    assert "The password of “bob” is changed." in reset.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        row = session.get(User, bob.id)
        assert (row.full_name, row.email, row.active) == ("Bob Durand", "bob@example.org", False)
        assert users.verify_password(row, "a brand new passphrase")
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"user.update", "user.deactivate", "user.password"} <= actions

    admin_client.submit(page, {"active": "1"}, action=f"{page}/active")
    admin_client.submit("/", {}, action="/logout")
    assert admin_client.sign_in("bob", "a brand new passphrase").status_code == 302


def test_weak_reset_password_is_refused_beside_the_field(admin_client, make_user):
    bob = make_user("bob")
    page = f"/admin/users/{bob.id}"
    response = admin_client.submit(page, {"password": "1234567890"}, action=f"{page}/password")
    assert response.status_code == 422
    assert "too easy to guess" in field_error(response, "password")


def test_superuser_cannot_lock_themselves_out(admin_client, regie_runtime):
    with regie_runtime.db.session() as session:
        root = users.by_username(session, "root")
    page = f"/admin/users/{root.id}"
    demoted = admin_client.submit(page, {"is_superuser": "", "locale": ""})
    assert "you cannot remove your own administrator rights" in field_error(
        demoted, "is_superuser")
    admin_client.submit(page, {"active": "0"}, action=f"{page}/active")
    with regie_runtime.db.session() as session:
        root = users.by_username(session, "root")
        assert root.is_superuser and root.active


def test_grant_and_revoke_roles_per_establishment(admin_client, make_user, make_establishment,
                                                  regie_runtime):
    school = make_establishment(slug="ecole", name="École")
    bob = make_user("bob")
    page = f"/admin/users/{bob.id}"
    granted = admin_client.submit(page, {"establishment": str(school.id), "role": "auditor"},
                                  action=f"{page}/roles", follow_redirects=True)
    assert "Role “Auditor” granted in École." in granted.get_data(as_text=True)
    refused = admin_client.submit(page, {"establishment": str(school.id), "role": "pope"},
                                  action=f"{page}/roles")
    assert refused.status_code == 422
    assert "Not a valid choice" in field_error(refused, "role")

    revoked = admin_client.submit(page, {"establishment": str(school.id), "role": "auditor"},
                                  action=f"{page}/roles/revoke", follow_redirects=True)
    assert "Role “Auditor” revoked in École." in revoked.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        assert session.scalar(select(Membership)) is None


def test_users_list_searches_and_shows_status(admin_client, make_user):
    make_user("bob", full_name="Bob Durand")
    make_user("carol", full_name="Carol Petit")
    listing = admin_client.get("/admin/users?q=durand").get_data(as_text=True)
    assert ">bob</a>" in listing and ">carol</a>" not in listing


def test_platform_audit_log_shows_every_establishment(admin_client, make_establishment):
    make_establishment(slug="ecole", plugins=["markets"])
    make_establishment(slug="mairie")
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "establishment.create" in html and "plugin.enable" in html
    assert ">ecole<" in html and ">mairie<" in html


def test_sign_in_of_the_created_user_works_with_the_password_typed(admin_client, client):
    admin_client.submit("/admin/users/new", {"username": "dave", "password": PASSWORD,
                                             "locale": ""})
    admin_client.submit("/", {}, action="/logout")
    assert client.sign_in("dave", PASSWORD).status_code == 302
