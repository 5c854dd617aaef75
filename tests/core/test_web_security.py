"""Security headers, cookies, error pages, and the access rules every core page applies."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from regie.web import create_app


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, the language of the source strings (French, the default, and
    Ukrainian have their own tests)."""
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers, "only over TLS"


def test_a_view_s_own_headers_are_kept_and_each_header_comes_once(
        signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole", logo=b"\x89PNG logo", logo_type="image/png")
    client = signed_in(make_user(roles={school: ["manager"]}))
    logo = client.get("/ecole/logo")
    assert logo.status_code == 200 and logo.get_data() == b"\x89PNG logo"
    assert logo.headers.get_all("Cache-Control") == ["private, max-age=300"]
    page = client.get("/ecole/")
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control"):
        assert len(page.headers.get_all(name)) == 1, name


def test_pages_have_no_inline_script_or_style(signed_in, make_user, make_establishment):
    """The CSP forbids them, so a page using one would be broken in the browser."""
    school = make_establishment(slug="ecole", plugins=["markets"])
    client = signed_in(make_user(superuser=True, roles={school: ["manager"]}))
    for url in ("/", "/ecole/", "/ecole/admin/modules", "/admin/users", "/account/"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {url}"


def test_cookies_are_secure_over_tls_and_httponly(client):
    plain = client.get("/login").headers.get_all("Set-Cookie")
    assert plain and all("HttpOnly" in cookie for cookie in plain)
    assert not any("Secure" in cookie for cookie in plain)

    tls = client.get("/login", base_url="https://regie.example").headers
    cookies = tls.get_all("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert all("SameSite=Lax" in cookie for cookie in cookies)
    assert tls["Strict-Transport-Security"].startswith("max-age=")


def test_healthz_answers_without_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers


def test_error_pages_use_the_layout(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    html = missing.get_data(as_text=True)
    assert "Page not found" in html and '<main id="main"' in html


def test_a_crash_shows_the_500_page_without_details(regie_runtime):
    app = create_app(runtime=regie_runtime)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail of the crash")

    crash = app.test_client().get("/boom?lang=en")
    assert crash.status_code == 500
    html = crash.get_data(as_text=True)
    assert "secret detail" not in html and "Traceback" not in html
    assert "The error was logged" in html and '<main id="main"' in html


def test_another_establishments_pages_do_not_exist_for_a_non_member(
        signed_in, make_user, make_establishment):
    mine = make_establishment(slug="mine", plugins=["markets"])
    theirs = make_establishment(slug="theirs", name="Their Secret School", plugins=["markets"])
    client = signed_in(make_user(roles={mine: ["manager"]}))
    assert client.get("/mine/").status_code == 200
    for url in ("/theirs/", "/theirs/markets/", "/theirs/admin/modules",
                "/theirs/admin/members", "/theirs/admin/audit"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Their Secret School" not in response.get_data(as_text=True), url
    assert client.get("/theirs/logo").status_code == 404
    assert theirs.slug not in client.get("/").get_data(as_text=True)


def test_member_without_the_permission_gets_403(signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole", plugins=["coop", "reservation"])
    client = signed_in(make_user(roles={school: ["reservation.staff"]}))
    assert client.get("/ecole/").status_code == 200
    assert client.get("/ecole/reservation/").status_code == 200
    assert client.get("/ecole/coop/").status_code == 403
    assert client.get("/ecole/admin/modules").status_code == 403
    assert client.get("/ecole/admin/audit").status_code == 403
    forbidden = client.submit("/ecole/", {}, action="/ecole/admin/modules/markets/enable")
    assert forbidden.status_code == 403
    assert client.get("/admin/").status_code == 403


def test_auditor_reads_the_audit_log_but_cannot_manage(signed_in, make_user,
                                                       make_establishment):
    school = make_establishment(slug="ecole")
    client = signed_in(make_user(roles={school: ["auditor"]}))
    assert client.get("/ecole/admin/audit").status_code == 200
    assert client.get("/ecole/admin/members").status_code == 403
    assert client.get("/ecole/admin/").headers["Location"].endswith("/ecole/admin/audit")


#: Core pages meant for people without an account; every other page needs a sign-in.
PUBLIC = {
    "auth.login": "signing in",
    "home.healthz": "load balancers",
    "payments.pay": "a payer opens the link of a payment request",
    "payments.payment_return": "the payer comes back from the provider's page",
}


def _core_get_urls(app, slug: str) -> list[str]:
    """A URL for every GET route of the core but the public ones and the provider callbacks
    (plugins test their own pages)."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.rpartition(".")[0]
            if ("GET" not in rule.methods or not blueprint or blueprint.startswith("plugin_")
                    or rule.endpoint in PUBLIC or rule.rule.startswith("/callbacks/")):
                continue
            values = {}
            for name in rule.arguments:
                converter = type(rule._converters[name]).__name__
                values[name] = (slug if name == "establishment_slug"
                                else 1 if converter == "IntegerConverter" else "markets")
            urls.append(url_for(rule.endpoint, **values))
    return urls


@pytest.fixture
def every_core_page(app, make_establishment):
    make_establishment(slug="ecole", plugins=["markets"])
    urls = _core_get_urls(app, "ecole")
    assert "/ecole/admin/modules" in urls and "/admin/users" in urls
    return urls


def test_every_core_page_asks_to_sign_in(client, every_core_page):
    for url in every_core_page:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_every_core_page_is_closed_to_a_user_without_any_role(signed_in, make_user,
                                                              every_core_page):
    client = signed_in(make_user())
    personal = {"/", "/account/"}
    for url in every_core_page:
        status = client.get(url).status_code
        if url in personal:
            assert status == 200, url
        elif url.startswith("/admin/"):
            assert status == 403, url
        else:
            assert status == 404, url
