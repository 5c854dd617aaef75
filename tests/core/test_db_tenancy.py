"""Tenancy: a query through the tenancy helpers, a page of an establishment, never shows
another establishment's rows."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from regie.db.models import EstablishmentPlugin, Membership
from regie.db.tenancy import get_for, lock, select_for
from regie.engine import Engine
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import establishments, users
from regie.testing import WebClient
from regie.testing.plugin import PASSWORD

pytest_plugins = ["data.distributions"]  # fixtures: site, echo


@pytest.fixture
def runtime(echo, regie_config):
    echo("alpha", "beta")
    runtime = Runtime(regie_config, engine=Engine(["alpha", "beta"], reserved_cli=CORE_COMMANDS))
    with runtime.db.transaction() as session:
        for slug, name, plugin in (("ecole", "École Jaurès", "alpha"),
                                   ("mairie", "Mairie de Villeneuve", "beta")):
            place = establishments.create(session, runtime.engine, slug=slug, name=name)
            establishments.enable_plugin(session, runtime.engine, place, plugin)
    yield runtime
    runtime.close()


def test_select_for_returns_only_the_rows_of_the_establishment(runtime):
    with runtime.db.session() as session:
        school = establishments.by_slug(session, "ecole")
        town_hall = establishments.by_slug(session, "mairie")

        rows = session.scalars(select_for(school, EstablishmentPlugin)).all()
        assert [(row.establishment_id, row.plugin) for row in rows] == [(school.id, "alpha")]
        by_id = session.scalars(select_for(town_hall.id, EstablishmentPlugin,
                                           EstablishmentPlugin.plugin == "alpha")).all()
        assert by_id == [], "criteria narrow the establishment's rows, never widen them"


def test_get_for_refuses_a_row_of_another_establishment(runtime):
    with runtime.db.session() as session:
        school = establishments.by_slug(session, "ecole")
        town_hall = establishments.by_slug(session, "mairie")
        theirs = session.scalars(select_for(town_hall, EstablishmentPlugin)).one()
        ours = session.scalars(select_for(school, EstablishmentPlugin)).one()

        assert get_for(session, school, EstablishmentPlugin, theirs.id) is None
        assert get_for(session, school.id, EstablishmentPlugin, ours.id) is ours
        assert get_for(session, school, EstablishmentPlugin, 10_000) is None


def test_lock_selects_for_update(runtime):
    with runtime.db.transaction() as session:
        school = establishments.by_slug(session, "ecole")
        statement = lock(select_for(school, EstablishmentPlugin))
        assert "FOR UPDATE" in str(statement.compile(dialect=postgresql.dialect()))
        assert [row.plugin for row in session.scalars(statement)] == ["alpha"]


def test_pages_of_an_establishment_never_show_another_establishments_data(runtime):
    from regie.web import create_app

    engine = runtime.engine
    with runtime.db.transaction() as session:
        both = users.create(session, "zoe", PASSWORD)
        only_school = users.create(session, "yann", PASSWORD)
        school = establishments.by_slug(session, "ecole")
        town_hall = establishments.by_slug(session, "mairie")
        users.grant(session, engine, both, school, "alpha.member")
        users.grant(session, engine, both, town_hall, "beta.member")
        users.grant(session, engine, only_school, school, "manager")
    app = create_app(runtime=runtime)
    app.config.update(TESTING=True)
    app.test_client_class = WebClient

    web = app.test_client()
    assert web.sign_in("zoe", PASSWORD).status_code == 302
    home = web.get("/ecole/").get_data(as_text=True)
    assert "alpha widget of École Jaurès for zoe" in home
    assert "Mairie" not in home and "beta" not in home
    page = web.get("/ecole/alpha/").get_data(as_text=True)
    assert "alpha page of École Jaurès" in page and "Mairie" not in page
    assert "Mairie de Villeneuve" in web.get("/mairie/beta/").get_data(as_text=True)

    stranger = app.test_client()
    assert stranger.sign_in("yann", PASSWORD).status_code == 302
    assert "École Jaurès" in stranger.get("/ecole/").get_data(as_text=True)
    for url in ("/mairie/", "/mairie/beta/", "/mairie/alpha/"):
        assert stranger.get(url).status_code == 404, url


def test_membership_rows_are_scoped_too(runtime):
    engine = runtime.engine
    with runtime.db.transaction() as session:
        user = users.create(session, "zoe", PASSWORD)
        users.grant(session, engine, user, establishments.by_slug(session, "ecole"), "manager")
    with runtime.db.session() as session:
        town_hall = establishments.by_slug(session, "mairie")
        assert session.scalars(select_for(town_hall, Membership)).all() == []
        assert users.roles_of(session, user, town_hall) == set()
