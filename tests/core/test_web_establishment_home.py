"""The establishment home: the modules the user may open, and the dashboard widgets."""

from __future__ import annotations

import pytest
from markupsafe import escape

from regie.db.models import Establishment
from regie.declarations import DashboardWidget
from regie.engine.manager import Registered
from regie.services import establishments


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def _broken(establishment, user):
    raise RuntimeError("the widget's database is down")


@pytest.fixture
def widgets(regie_engine, monkeypatch):
    """Dashboard widgets of the markets plugin, one of them broken, one for managers only."""
    def greeting(establishment, user):
        return (f"<p class='greeting'>Hello {escape(user.username)} "
                f"at {escape(establishment.name)}</p>")

    registered = [
        Registered("markets", DashboardWidget("greeting", "Today", greeting, position=2)),
        Registered("markets", DashboardWidget("takings", "Takings", lambda e, u: "<p>1 234 €</p>",
                                              permission="markets.manage", position=1)),
        Registered("markets", DashboardWidget("broken", "Broken", _broken, position=3)),
        Registered("markets", DashboardWidget("quiet", "Nothing today", lambda e, u: " ",
                                              position=4)),
    ]
    monkeypatch.setitem(regie_engine.registered, "regie_dashboard_widgets", registered)


def test_home_lists_the_modules_the_user_may_open(signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole", plugins=["markets", "reservation"])
    client = signed_in(make_user(roles={school: ["reservation.staff"]}))
    html = client.get("/ecole/").get_data(as_text=True)
    assert 'href="/ecole/reservation/"' in html
    assert 'href="/ecole/markets/"' not in html, "no role gives markets.view"
    assert 'href="/ecole/admin/' not in html, "not an administrator"


def test_widgets_of_enabled_modules_show_in_order_and_a_broken_one_does_not_break_the_page(
        signed_in, make_user, make_establishment, widgets, caplog):
    school = make_establishment(slug="ecole", name="École", plugins=["markets"])
    client = signed_in(make_user("manon", roles={school: ["manager"]}))
    response = client.get("/ecole/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<p class='greeting'>Hello manon at École</p>" in html, "markup kept as markup"
    assert html.index("Takings") < html.index("Today") < html.index("Broken")
    assert "This panel cannot be shown right now." in html
    assert "the widget's database is down" not in html
    assert "Nothing today" not in html, "a widget with nothing to show is left out"
    assert "dashboard widget 'broken' failed" in caplog.text


def test_widgets_need_their_permission_and_their_module(signed_in, make_user,
                                                        make_establishment, widgets):
    school = make_establishment(slug="ecole", plugins=["markets"])
    other = make_establishment(slug="other")
    client = signed_in(make_user(roles={school: ["markets.regie"], other: ["manager"]}))
    html = client.get("/ecole/").get_data(as_text=True)
    assert "Today" in html and "Takings" not in html
    assert "Today" not in client.get("/other/").get_data(as_text=True), "markets is off there"


def test_the_kept_parts_of_the_home_follow_changes_roles_and_language(
        client, signed_in, make_user, make_establishment, enable_plugin, regie_runtime):
    school = make_establishment(slug="ecole", plugins=["reservation"])
    staff = make_user(roles={school: ["reservation.staff"]})
    signed_in(make_user(roles={school: ["manager"]}))
    html = client.get("/ecole/").get_data(as_text=True)
    assert 'href="/ecole/markets/"' not in html and "Switch modules on or off" in html

    enable_plugin(school, "markets")
    with regie_runtime.db.transaction() as session:
        establishments.update(session, session.get(Establishment, school.id),
                              {"name": "École Jaurès"})
    html = client.get("/ecole/").get_data(as_text=True)
    assert 'href="/ecole/markets/"' in html and "<h1>École Jaurès</h1>" in html

    client.post("/lang/fr", data={"csrf_token": client.csrf_token("/ecole/")})
    html = client.get("/ecole/").get_data(as_text=True)
    assert "Activer ou désactiver des modules" in html

    client.post("/logout", data={"csrf_token": client.csrf_token("/ecole/")})
    signed_in(staff)
    html = client.get("/ecole/").get_data(as_text=True)
    assert 'href="/ecole/reservation/"' in html and "<h1>École Jaurès</h1>" in html
    assert 'href="/ecole/markets/"' not in html and "Activer ou désactiver" not in html
