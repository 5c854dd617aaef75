"""Plugin commands (``regie_cli_commands``): shown as ``regie <name> …``, imported only when
invoked, and unable to break ``regie --help`` or the core commands."""

from __future__ import annotations

import importlib
import json
import os
import sys

import pytest
from click.testing import CliRunner
from stevedore import ExtensionManager

from regie.cli.main import cli

PLUGIN = '''
from regie.api import CliCommand, PluginInfo, hookimpl

plugin_info = PluginInfo(label="CLI test")


@hookimpl
def regie_cli_commands():
    return [
        CliCommand("clitest", "regie_clitest_commands:group", "Tools of the CLI test plugin."),
        CliCommand("clibroken", "regie_clitest_missing:group", "Cannot be imported."),
    ]
'''

COMMANDS = '''
import click


@click.group()
def group():
    """Tools of the CLI test plugin."""


@group.command()
@click.argument("name")
def hello(name):
    click.echo(f"hello {name}")
'''

GREEDY = '''
from regie.api import CliCommand, PluginInfo, hookimpl

plugin_info = PluginInfo(label="Greedy")


@hookimpl
def regie_cli_commands():
    return [CliCommand("serve", "regie_greedy:nothing")]
'''

DEMO = """
from regie.api import PluginInfo, audit, hookimpl

plugin_info = PluginInfo(label="Demo test")


@hookimpl
def regie_demo_data(session, establishment):
    audit(session, "demotest.sample", establishment=establishment, target=establishment.slug)
"""

DEMO_FAILING = """
from regie.api import PluginInfo, audit, hookimpl

plugin_info = PluginInfo(label="Failing demo")


@hookimpl
def regie_demo_data(session, establishment):
    audit(session, "demofail.sample", establishment=establishment)
    raise RuntimeError("sample file missing")
"""

SERVER = """
from regie.api import PluginInfo, WebServer, hookimpl

plugin_info = PluginInfo(label="Recording server")
served = []


def record(app_factory, config, bind):
    app = app_factory()
    served.append((bind, app.test_client().get("/healthz").status_code))


@hookimpl
def regie_web_servers():
    return [WebServer("recorder", "Records what it would serve", record)]
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Plugins ``clitest`` and ``greedy`` installed as distributions."""
    for name in list(os.environ):
        if name.startswith("REGIE_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "site"
    folder.mkdir()
    for plugin, module, source in (("clitest", "regie_clitest", PLUGIN),
                                   ("greedy", "regie_greedy", GREEDY),
                                   ("demotest", "regie_demotest", DEMO),
                                   ("demofail", "regie_demofail", DEMO_FAILING),
                                   ("recorder", "regie_recorder", SERVER)):
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
        info = folder / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[regie.plugins]\n{plugin} = {module}\n")
    (folder / "regie_clitest_commands.py").write_text(COMMANDS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    ExtensionManager.ENTRY_POINT_CACHE.clear()
    yield folder
    ExtensionManager.ENTRY_POINT_CACHE.clear()
    for module in ("regie_clitest", "regie_clitest_commands", "regie_greedy", "regie_demotest",
                   "regie_demofail", "regie_recorder"):
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


def instance(tmp_path, plugins: list[str]):
    folder = tmp_path / "instance"
    folder.mkdir(exist_ok=True)
    names = ", ".join(f'"{name}"' for name in plugins)
    (folder / "regie.toml").write_text(f'secret_key = "k"\nplugins = [{names}]\n')
    return str(folder)


def regie(*args):
    return CliRunner().invoke(cli, list(args))


def test_plugin_commands_are_listed_without_being_imported(site, tmp_path):
    folder = instance(tmp_path, ["clitest"])

    result = regie("--instance", folder, "--help")

    assert result.exit_code == 0, result.output
    plugin_section = result.stdout.split("Plugin commands:")[1]
    assert "clitest" in plugin_section and "Tools of the CLI test plugin." in plugin_section
    assert "clibroken" in plugin_section
    assert "regie_clitest_commands" not in sys.modules


def test_plugin_command_runs_when_invoked(site, tmp_path):
    result = regie("--instance", instance(tmp_path, ["clitest"]), "clitest", "hello", "Marie")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello Marie\n"


def test_broken_plugin_command_fails_alone(site, tmp_path):
    folder = instance(tmp_path, ["clitest"])

    broken = regie("--instance", folder, "clibroken")

    assert broken.exit_code == 1
    assert "the command 'clibroken' of a plugin cannot be loaded" in broken.stderr
    assert "regie_clitest_missing" in broken.stderr
    assert regie("--instance", folder, "plugins", "list").exit_code == 0
    assert regie("--instance", folder, "clitest", "hello", "x").exit_code == 0


def test_plugin_cannot_take_a_core_command_name(site, tmp_path):
    folder = instance(tmp_path, ["greedy"])

    helped = regie("--instance", folder, "--help")
    assert helped.exit_code == 0, helped.output
    assert "CLI command 'serve' is a core command" in helped.stdout
    assert "Serve the hosted web." in helped.stdout  # the core's serve is still there

    served = regie("--instance", folder, "serve")
    assert served.exit_code == 1
    assert "CLI command 'serve' is a core command" in served.stderr


def test_every_reserved_command_name_is_a_core_command():
    from regie.cli.main import CORE_MODULES, _import
    from regie.runtime import CORE_COMMANDS

    assert set(CORE_MODULES) == CORE_COMMANDS
    for name, target in CORE_MODULES.items():
        assert _import(target).name == name


def test_demo_gives_every_loaded_plugin_an_establishment_and_its_demo_data(site, tmp_path):
    from sqlalchemy import select

    from regie.config import load_config
    from regie.db.models import AuditEvent
    from regie.runtime import Runtime

    folder = str(tmp_path / "instance")
    assert regie("--instance", folder, "init", "--plugins",
                 "markets,demotest,demofail").exit_code == 0

    first = regie("--instance", folder, "demo", "--no-serve")

    assert first.exit_code == 0, first.output
    assert "demofail-demo: demonstration data of demofail failed" in first.stderr
    assert "sample file missing" in first.stderr
    listed = json.loads(regie("--instance", folder, "establishment", "list", "--format",
                              "json").stdout)
    plugins = {row["slug"]: row["plugins"] for row in listed}
    assert plugins["demotest-demo"] == ["demotest"]
    assert plugins["demofail-demo"] == ["demofail"]
    assert plugins["marches-demo"] == ["markets"]

    second = regie("--instance", folder, "demo", "--no-serve")
    assert second.exit_code == 0, second.output
    runtime = Runtime(load_config(folder))
    try:
        with runtime.db.session() as session:
            samples = session.scalars(select(AuditEvent.target).where(
                AuditEvent.action.in_(["demotest.sample", "demofail.sample"]))).all()
    finally:
        runtime.close()
    assert samples == ["demotest-demo"]  # once, and the failing plugin's data rolled back


def test_serve_runs_a_server_a_plugin_adds_through_regie_web_servers(site, tmp_path):
    folder = str(tmp_path / "instance")
    assert regie("init", "--instance", folder, "--plugins", "recorder").exit_code == 0

    result = regie("serve", "--instance", folder, "--server", "recorder", "--bind",
                   "127.0.0.1:8099")

    assert result.exit_code == 0, result.output
    assert "Serving http://127.0.0.1:8099/ with recorder" in result.stdout
    assert importlib.import_module("regie_recorder").served == [("127.0.0.1:8099", 200)]
