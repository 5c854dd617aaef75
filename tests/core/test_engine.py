"""The plugin engine with plugins shipped as separate distributions: discovery, loading by
configuration, hook order, hooks restricted to enabled plugins, and every load problem
reported at once."""

from __future__ import annotations

import sys

import pytest

from regie.db.models import Establishment
from regie.engine import Engine, PluginLoadError, installed_plugins
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import establishments

pytest_plugins = ["data.distributions"]  # fixtures: site, echo


def events(engine: Engine, plugin: str) -> list[tuple]:
    return engine.plugins[plugin].module.events


def test_an_installed_distribution_is_discovered_and_imported_only_when_configured(echo):
    echo("alpha")

    installed = installed_plugins()
    assert installed["alpha"].value == "regie_echo_alpha"
    assert installed["alpha"].dist.metadata["Name"] == "regie-alpha"
    assert "markets" in installed

    Engine(["markets"])
    assert "regie_echo_alpha" not in sys.modules, "installing is not enabling"

    engine = Engine(["alpha"])
    plugin = engine.plugins["alpha"]
    assert (plugin.distribution, plugin.version) == ("regie-alpha", "0.1")
    assert plugin.info.label == "Echo alpha"
    assert "alpha.member" in {role.code for role in engine.items("regie_roles")}


def test_hooks_run_in_configuration_order_after_the_core(echo):
    echo("alpha", "beta", "gamma")
    engine = Engine(["gamma", "alpha", "beta"])

    assert list(engine.plugins) == ["gamma", "alpha", "beta"]
    core_roles = [entry.item.code for entry in engine.entries("regie_roles")
                  if entry.plugin == "core"]
    assert "manager" in core_roles
    assert [role.code for role in engine.items("regie_roles")] == [
        *core_roles, "gamma.member", "alpha.member", "beta.member"]
    called = engine.hook(engine.plugins).regie_establishment_created_precommit(
        session=None, establishment=Establishment(slug="x"))
    assert called == ["gamma", "alpha", "beta"]


def test_establishment_hooks_call_only_the_enabled_plugins(echo):
    echo("alpha", "beta", "gamma")
    engine = Engine(["alpha", "beta", "gamma"])

    called = engine.hook(["gamma", "alpha"]).regie_establishment_created_precommit(
        session=None, establishment=Establishment(slug="x"))
    assert called == ["alpha", "gamma"]
    core_roles = [entry.item.code for entry in engine.entries("regie_roles")
                  if entry.plugin == "core"]
    assert [role.code for role in engine.items("regie_roles", enabled=["beta"])] == [
        *core_roles, "beta.member"]
    assert engine.hook([]).regie_establishment_created_precommit(
        session=None, establishment=Establishment(slug="x")) == []


def test_call_on_calls_one_plugin_only(echo):
    echo("alpha", "beta")
    engine = Engine(["alpha", "beta"])
    establishment = Establishment(slug="ecole")

    assert engine.call_on("beta", "regie_demo_data", session=None,
                          establishment=establishment, runtime=None) == ["beta"]
    assert events(engine, "beta") == [("demo_data", "ecole")]
    assert events(engine, "alpha") == []


def test_enabling_and_disabling_call_the_installed_and_uninstalled_hooks(echo, regie_config):
    echo("alpha", "beta")
    runtime = Runtime(regie_config, engine=Engine(["alpha", "beta"]))
    engine = runtime.engine

    def life_cycle(plugin: str) -> list[tuple]:
        return [event for event in events(engine, plugin)
                if event[0] in ("installed", "uninstalled")]

    with runtime.db.transaction() as session:
        school = establishments.create(session, engine, slug="ecole", name="École")
        establishments.enable_plugin(session, engine, school, "alpha", {"greeting": "bonjour"})
        establishments.enable_plugin(session, engine, school, "alpha")  # already on: no call
    assert life_cycle("alpha") == [("installed", "ecole", {"greeting": "bonjour"})]

    with runtime.db.transaction() as session:
        school = establishments.by_slug(session, "ecole")
        establishments.disable_plugin(session, engine, school, "alpha")
        establishments.disable_plugin(session, engine, school, "alpha")  # already off
        establishments.enable_plugin(session, engine, school, "alpha")
    assert life_cycle("alpha")[1:] == [("uninstalled", "ecole"),
                                      ("installed", "ecole", {"greeting": "bonjour"})]
    assert life_cycle("beta") == []
    with runtime.db.session() as session:
        school = establishments.by_slug(session, "ecole")
        assert establishments.enabled_plugins(school, engine) == {
            "alpha": {"greeting": "bonjour"}}
    runtime.close()


def test_a_plugin_missing_from_the_environment_is_refused_by_name(echo):
    echo("alpha")
    with pytest.raises(PluginLoadError) as refused:
        Engine(["alpha", "payroll"])
    [problem] = refused.value.problems
    assert problem.plugin == "payroll"
    assert "not installed" in problem.reason
    assert "payroll: not installed" in str(refused.value)


BROKEN = {
    "broken_import": ("regie_broken_import.py", None, "import failed: ModuleNotFoundError"),
    "not_a_plugin": ("regie_not_a_plugin.py", "regie_not_a_plugin:plugin",
                     "not a Régie plugin: regie_not_a_plugin:plugin"),
    "bad_argument": ("regie_bad_argument.py", None, "bad hook signature"),
    "misspelt_hook": ("regie_misspelt_hook.py", None, "unknown hook 'regie_rolez'"),
    "duplicate_role": ("regie_duplicate_role.py", None,
                       "regie_roles: 'manager' is already registered by 'core'"),
    "bad_blueprint": ("regie_bad_blueprint.py", None,
                      "blueprint 'admin' must be named 'plugin_bad_blueprint'"),
}


def test_every_broken_plugin_is_reported_at_once_with_its_reason(site, echo):
    echo("alpha")
    for name, (source, entry_point, _reason) in BROKEN.items():
        site.install(name, f"broken/{source}", entry_point=entry_point)

    with pytest.raises(PluginLoadError) as refused:
        Engine(["alpha", *BROKEN, "missing"])

    reasons = {problem.plugin: problem.reason for problem in refused.value.problems}
    assert set(reasons) == {*BROKEN, "missing"}, "alpha is fine, every other one is reported"
    for name, (_source, _entry_point, expected) in BROKEN.items():
        assert expected in reasons[name], reasons[name]
    assert "'config'" in reasons["bad_argument"], "the message names the unknown argument"
    message = str(refused.value)
    assert message.startswith(f"cannot start: {len(BROKEN) + 1} plugin problem(s)")
    assert all(f"  - {name}: " in message for name in BROKEN)


def test_a_plugin_cannot_take_a_core_command_name(echo):
    echo("db")
    with pytest.raises(PluginLoadError) as refused:
        Engine(["db"], reserved_cli=CORE_COMMANDS)
    assert [str(problem) for problem in refused.value.problems] == [
        "db: CLI command 'db' is a core command"]


def test_a_plugin_listed_twice_is_refused(echo):
    echo("alpha")
    with pytest.raises(PluginLoadError) as refused:
        Engine(["alpha", "alpha"])
    assert [str(problem) for problem in refused.value.problems] == [
        "alpha: listed twice in 'plugins'"]


def test_a_plugin_declares_hooks_that_other_plugins_implement_without_importing_it(site):
    site.install("till", "regie_till")
    site.install("fiscal", "regie_fiscal.py")

    engine = Engine(["fiscal", "till"])  # the implementation loads before the declaration

    till = engine.plugins["till"].module
    assert till.close(engine, total=1250) == ["fiscalised 1250"]


def test_a_hook_of_a_plugin_that_is_not_loaded_is_an_unknown_hook(site):
    site.install("fiscal", "regie_fiscal.py")

    with pytest.raises(PluginLoadError) as raised:
        Engine(["fiscal"])

    assert "unknown hook 'regie_till_closed'" in str(raised.value)


def test_hookspecs_that_cannot_be_imported_are_reported(site):
    site.install("badspecs", "broken/regie_bad_hookspecs.py")

    with pytest.raises(PluginLoadError) as raised:
        Engine(["badspecs"])

    assert "hookspecs 'regie_nowhere.hookspecs' cannot be added" in str(raised.value)
