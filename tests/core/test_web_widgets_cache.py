"""Dashboard widgets kept for a while (``regie.web.widgets.cached_widget``), and the one query
that finds the establishment, the signed-in user and their roles on every page."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from regie.db.models import Establishment
from regie.declarations import DashboardWidget
from regie.engine.manager import Registered
from regie.services import establishments
from regie.web import widgets as widgets_module
from regie.web.widgets import cached_widget


@pytest.fixture
def renders(regie_engine, monkeypatch):
    """A cached markets widget counting its renders, showing the establishment's name."""
    calls = []

    @cached_widget(ttl=60)
    def counted(establishment, user):
        calls.append(user.username)
        return f"<p class='counted'>Render {len(calls)} for {establishment.name}</p>"

    monkeypatch.setitem(regie_engine.registered, "regie_dashboard_widgets",
                        [Registered("markets", DashboardWidget("counted", "Counted", counted))])
    return calls


@pytest.fixture
def clock(monkeypatch):
    """The widget cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(widgets_module.time, "monotonic", lambda: now[0])
    return now


def _home(client, slug="ecole") -> str:
    response = client.get(f"/{slug}/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_members_with_the_same_roles_share_the_widget_until_its_time_is_up(
        app, signed_in, make_user, make_establishment, renders, clock):
    school = make_establishment(slug="ecole", name="École", plugins=["markets"])
    first = make_user("anna", roles={school: ["manager"]})
    second = make_user("boris", roles={school: ["manager"]})
    client = signed_in(first)
    assert "Render 1 for École" in _home(client)
    assert "Render 1 for École" in _home(client)
    client.post("/logout", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(second)
    assert "Render 1 for École" in _home(client), "same permissions, same markup"
    clock[0] += 61
    assert "Render 2 for École" in _home(client)
    assert renders == ["anna", "boris"]


def test_other_permissions_a_language_or_a_change_of_the_establishment_render_it_again(
        regie_runtime, signed_in, make_user, make_establishment, enable_plugin, renders, clock):
    school = make_establishment(slug="ecole", name="École", plugins=["markets"])
    client = signed_in(make_user(roles={school: ["manager"]}))
    assert "Render 1" in _home(client)
    with client.session_transaction() as session:
        session["lang"] = "uk"
    assert "Render 2" in _home(client)
    assert "Render 2" in _home(client)
    enable_plugin(school, "coop")
    assert "Render 3" in _home(client), "a plugin switched on changes the version"
    with regie_runtime.db.transaction() as session:
        establishments.update(session, session.get(Establishment, school.id),
                              {"name": "École Jaurès"})
    assert "Render 4 for École Jaurès" in _home(client)
    other = make_user(roles={school: ["markets.regie"]})
    client.post("/logout", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(other)
    assert "Render 5" in _home(client), "other permissions, other markup"


def test_every_change_of_plugins_or_settings_bumps_the_version(regie_runtime,
                                                               make_establishment):
    school = make_establishment(slug="ecole", plugins=["markets"])
    engine = regie_runtime.engine
    versions = []
    changes = [
        lambda session, place: establishments.enable_plugin(session, engine, place, "coop"),
        lambda session, place: establishments.update_settings(
            session, engine, place, "coop", {}),
        lambda session, place: establishments.disable_plugin(session, engine, place, "coop"),
        lambda session, place: establishments.update(session, place, {"name": "Renamed"}),
    ]
    for change in changes:
        with regie_runtime.db.transaction() as session:
            place = session.get(Establishment, school.id)
            before = place.settings_version
            change(session, place)
            session.flush()
            versions.append(place.settings_version - before)
    assert versions == [1, 1, 1, 1]


def test_a_member_s_establishment_page_finds_establishment_user_and_roles_in_one_query(
        regie_runtime, signed_in, make_user, make_establishment, regie_engine, monkeypatch):
    monkeypatch.setitem(regie_engine.registered, "regie_dashboard_widgets", [])
    school = make_establishment(slug="ecole", plugins=["markets", "coop"])
    client = signed_in(make_user(roles={school: ["manager"]}))
    statements = []
    event.listen(regie_runtime.db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    html = _home(client)
    assert 'href="/ecole/markets/"' in html and 'href="/ecole/admin/"' in html
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects
