"""Each hook of :mod:`regie.hookspecs`, exercised through the echo plugin installed as the
plugins alpha and beta: what the core does with what the hook returns, and when it calls it.

(``regie_plugin_installed``, ``regie_plugin_uninstalled`` and ``regie_demo_data`` are in
test_engine.py.)
"""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from regie.cli.common import State
from regie.cli.main import cli
from regie.db.models import Establishment, User
from regie.engine import Engine, PluginLoadError
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import establishments, users
from regie.services.errors import Invalid, Veto
from regie.testing import WebClient
from regie.testing.plugin import PASSWORD

pytest_plugins = ["data.distributions"]  # fixtures: site, echo

#: Registration hook → the key of what alpha registers through it.
ALPHA_KEYS = {
    "regie_roles": "alpha.member",
    "regie_blueprints": "establishment:plugin_alpha",
    "regie_cli_commands": "alpha",
    "regie_scheduled_tasks": "alpha.tick",
    "regie_dashboard_widgets": "alpha.widget",
    "regie_web_servers": "alpha_server",
    "regie_mail_placeholders": "receipt.alpha.total",
    "regie_payment_methods": "alpha_cash",
    "regie_mail_transports": "alpha_mail",
    "regie_document_renderers": "alpha_doc",
    "regie_sync_sources": "alpha_sync",
}


@pytest.fixture
def runtime(echo, regie_config):
    echo("alpha", "beta")
    runtime = Runtime(regie_config, engine=Engine(["alpha", "beta"], reserved_cli=CORE_COMMANDS))
    yield runtime
    runtime.close()


@pytest.fixture
def web(runtime) -> WebClient:
    from regie.web import create_app

    app = create_app(runtime=runtime)
    app.config.update(TESTING=True)
    app.test_client_class = WebClient
    return app.test_client()


def events(runtime: Runtime, plugin: str, kind: str) -> list[tuple]:
    return [event[1:] for event in runtime.engine.plugins[plugin].module.events
            if event[0] == kind]


def establishment(runtime: Runtime, slug: str, *plugins: str) -> Establishment:
    with runtime.db.transaction() as session:
        created = establishments.create(session, runtime.engine, slug=slug,
                                        name=slug.capitalize())
        for plugin in plugins:
            establishments.enable_plugin(session, runtime.engine, created, plugin)
    return created


def member(runtime: Runtime, username: str, roles: dict[str, list[str]]) -> User:
    with runtime.db.transaction() as session:
        user = users.create(session, username, PASSWORD)
        for slug, codes in roles.items():
            for code in codes:
                users.grant(session, runtime.engine, user,
                            establishments.by_slug(session, slug), code)
    return user


# --- registration hooks ----------------------------------------------------------------------


@pytest.mark.parametrize("hook", ALPHA_KEYS)
def test_registrations_come_from_the_core_then_the_plugins_in_order(runtime, hook):
    entries = runtime.engine.entries(hook)
    owners = [entry.plugin for entry in entries]
    assert owners == sorted(owners, key=["core", "alpha", "beta"].index)
    assert owners.count("alpha") == owners.count("beta") == 1
    keys = {entry.plugin: entry.key for entry in entries if entry.plugin != "core"}
    assert keys == {"alpha": ALPHA_KEYS[hook],
                    "beta": ALPHA_KEYS[hook].replace("alpha", "beta")}


@pytest.mark.parametrize("hook", [hook for hook in ALPHA_KEYS if hook != "regie_blueprints"])
def test_a_name_registered_twice_is_refused_at_start_up(site, echo, hook):
    echo("alpha")
    site.install("copy", "regie_echo.py", module="regie_copy_alpha")  # registers alpha's names

    with pytest.raises(PluginLoadError) as refused:
        Engine(["alpha", "copy"])

    assert (f"copy: {hook}: '{ALPHA_KEYS[hook]}' is already registered by 'alpha'"
            in [str(problem) for problem in refused.value.problems])


def test_regie_blueprints_must_be_named_after_their_plugin(site, echo):
    echo("alpha")
    site.install("copy", "regie_echo.py", module="regie_copy_alpha")
    with pytest.raises(PluginLoadError) as refused:
        Engine(["alpha", "copy"])
    assert ("copy: blueprint 'plugin_alpha' must be named 'plugin_copy' (routes of one plugin "
            "cannot shadow another's or the core's)") in [str(problem)
                                                        for problem in refused.value.problems]


def test_regie_web_servers_add_to_the_core_servers(runtime):
    assert [server.name for server in runtime.engine.items("regie_web_servers")] == [
        "gunicorn", "waitress", "dev", "alpha_server", "beta_server"]


def test_regie_scheduled_tasks_come_after_the_core_tasks(runtime):
    tasks = runtime.engine.items("regie_scheduled_tasks")
    names = [task.name for task in tasks]
    assert names[-2:] == ["alpha.tick", "beta.tick"]
    assert all(name.startswith("core.") for name in names[:-2])
    assert [task.name for task in runtime.engine.items("regie_scheduled_tasks",
                                                       enabled=["beta"])][-1] == "beta.tick"


def test_regie_roles_grant_permissions_only_where_their_plugin_is_enabled(runtime):
    engine = runtime.engine
    assert users.permissions(engine, {"alpha.member"}, {"alpha": {}}) == {"alpha.view"}
    assert users.permissions(engine, {"alpha.member"}, {"beta": {}}) == frozenset()
    establishment(runtime, "ecole", "alpha")
    with pytest.raises(Invalid) as refused:
        member(runtime, "zoe", {"ecole": ["gamma.member"]})
    assert refused.value.errors["role"].startswith("unknown role 'gamma.member'")


def test_regie_blueprints_and_widgets_appear_where_the_plugin_is_enabled(runtime, web):
    establishment(runtime, "ecole", "alpha")
    establishment(runtime, "mairie", "beta")
    member(runtime, "zoe", {"ecole": ["alpha.member"], "mairie": ["beta.member"]})
    assert web.sign_in("zoe", PASSWORD).status_code == 302

    home = web.get("/ecole/").get_data(as_text=True)
    assert "alpha widget of Ecole for zoe" in home  # regie_dashboard_widgets
    assert "/ecole/alpha/" in home and "alpha module" in home  # menu of regie_blueprints
    assert "beta" not in home
    assert "alpha page of Ecole" in web.get("/ecole/alpha/").get_data(as_text=True)
    assert web.get("/ecole/beta/").status_code == 404
    assert web.get("/mairie/alpha/").status_code == 404
    assert "beta page of Mairie" in web.get("/mairie/beta/").get_data(as_text=True)


def test_regie_cli_commands_are_regie_subcommands(runtime):
    invoke = CliRunner().invoke
    assert invoke(cli, ["alpha"], obj=State(runtime=runtime)).output == "alpha command\n"
    listing = invoke(cli, ["--help"], obj=State(runtime=runtime)).output
    assert "alpha" in listing and "beta" in listing


@pytest.mark.parametrize("hook,code", [
    ("regie_payment_methods", "alpha_cash"),
    ("regie_mail_transports", "alpha_mail"),
    ("regie_document_renderers", "alpha_doc"),
    ("regie_sync_sources", "alpha_sync"),
])
def test_provider_registrations_are_offered_only_where_their_plugin_is_enabled(
        runtime, hook, code):
    engine = runtime.engine
    assert code in {item.code for item in engine.items(hook, enabled=["alpha"])}
    assert code not in {item.code for item in engine.items(hook, enabled=["beta"])}


def test_regie_mail_placeholders_are_listed_per_document_type(runtime):
    placeholders = [item for item in runtime.engine.items("regie_mail_placeholders",
                                                          enabled=["alpha"])
                    if getattr(item, "name", "").startswith("alpha.")]
    assert [(item.document_type, item.name, item.sample) for item in placeholders] == [
        ("receipt", "alpha.total", "12,00 €")]


# --- event hooks -----------------------------------------------------------------------------


def test_regie_settings_changed_precommit_can_veto_a_change(runtime):
    establishment(runtime, "ecole", "alpha", "beta")
    engine = runtime.engine

    with pytest.raises(Veto, match="alpha refuses the greeting 'refused'"), \
            runtime.db.transaction() as session:
        establishments.update_settings(session, engine, establishments.by_slug(session, "ecole"),
                                       "alpha", {"greeting": "refused"})
    with runtime.db.transaction() as session:
        establishments.update_settings(session, engine, establishments.by_slug(session, "ecole"),
                                       "alpha", {"greeting": "salut"})

    assert events(runtime, "alpha", "settings_changed") == [("ecole", "hello", "salut")]
    assert events(runtime, "beta", "settings_changed") == [], "called on that plugin only"
    with runtime.db.session() as session:
        school = establishments.by_slug(session, "ecole")
        assert establishments.enabled_plugins(school, engine)["alpha"] == {"greeting": "salut"}


def test_regie_establishment_created_precommit_runs_in_the_transaction_and_postcommit_after(
        runtime):
    with runtime.db.transaction() as session:
        created = establishments.create(session, runtime.engine, slug="ecole", name="École")
        assert events(runtime, "alpha", "created_precommit") == [("ecole",)]
        assert events(runtime, "beta", "created_precommit") == [("ecole",)]
        assert events(runtime, "alpha", "created_postcommit") == [], "not committed yet"
    assert events(runtime, "alpha", "created_postcommit") == [(created.id,)]
    assert events(runtime, "beta", "created_postcommit") == [(created.id,)]


def test_regie_establishment_created_postcommit_is_not_called_when_creation_rolls_back(runtime):
    with pytest.raises(RuntimeError), runtime.db.transaction() as session:
        establishments.create(session, runtime.engine, slug="ecole", name="École")
        raise RuntimeError("something later in the transaction failed")
    assert events(runtime, "alpha", "created_precommit") == [("ecole",)]
    assert events(runtime, "alpha", "created_postcommit") == []
    with runtime.db.transaction() as session:
        created = establishments.create(session, runtime.engine, slug="ecole", name="École")
    assert events(runtime, "alpha", "created_postcommit") == [(created.id,)], (
        "only the committed creation is announced")


def test_a_failing_postcommit_hook_is_logged_and_the_next_plugins_still_run(
        site, echo, regie_config, caplog):
    echo("alpha")
    site.install("grumpy", "regie_grumpy.py")
    runtime = Runtime(regie_config, engine=Engine(["grumpy", "alpha"]))

    with caplog.at_level(logging.ERROR), runtime.db.transaction() as session:
        created = establishments.create(session, runtime.engine, slug="ecole", name="École")

    assert events(runtime, "alpha", "created_postcommit") == [(created.id,)]
    assert "grumpy: regie_establishment_created_postcommit failed" in caplog.text
    assert "grumpy will not hear of establishment" in caplog.text
    with runtime.db.session() as session:
        assert establishments.by_slug(session, "ecole").name == "École"
    runtime.close()
