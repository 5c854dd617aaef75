"""The root ``regie`` group. Plugin commands are imported only when invoked, so a broken plugin
cannot break ``regie --help`` or the core commands."""

from __future__ import annotations

import importlib
import sys

import click

from regie import __version__
from regie.cli.common import USER_ERRORS, State, fail

CORE_MODULES = {
    "init": "regie.cli.instance:init",
    "demo": "regie.cli.instance:demo",
    "serve": "regie.cli.instance:serve",
    "worker": "regie.cli.tasks:worker",
    "doctor": "regie.cli.doctor:doctor",
    "db": "regie.cli.db:db",
    "plugins": "regie.cli.plugins:plugins",
    "establishment": "regie.cli.establishments:establishment",
    "user": "regie.cli.users:user",
    "tasks": "regie.cli.tasks:tasks",
    "jobs": "regie.cli.tasks:jobs",
}


def _import(target: str):
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class RegieGroup(click.Group):
    def _plugin_commands(self, ctx: click.Context) -> dict:
        state = ctx.find_object(State) or State(ctx.params.get("instance"))
        try:
            engine = state.runtime.engine
        except Exception as exc:  # any start-up problem: core commands still work
            ctx.meta.setdefault("regie.plugin_problem", str(exc))
            return {}
        return {command.name: command for command in engine.items("regie_cli_commands")}

    def list_commands(self, ctx):
        return sorted(set(CORE_MODULES) | set(self._plugin_commands(ctx)))

    def get_command(self, ctx, name):
        if name in CORE_MODULES:
            return _import(CORE_MODULES[name])
        declared = self._plugin_commands(ctx).get(name)
        if declared is None:
            return None
        try:
            return _import(declared.target)
        except Exception as exc:
            fail(f"the command '{name}' of a plugin cannot be loaded: {exc!r}")

    def format_epilog(self, ctx, formatter):
        problem = ctx.meta.get("regie.plugin_problem")
        if problem:
            formatter.write_paragraph()
            formatter.write_text(f"Plugin commands are unavailable: {problem}")

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            fail(str(exc))


@click.group(cls=RegieGroup)
@click.option("--instance", envvar="REGIE_INSTANCE", type=click.Path(file_okay=False),
              help="Instance folder (regie.toml, databases). Default: ./instance")
@click.version_option(__version__, prog_name="regie")
@click.pass_context
def cli(ctx: click.Context, instance: str | None) -> None:
    """Régie: collect money for local establishments."""
    ctx.obj = State(instance)


def main() -> None:
    sys.exit(cli.main(prog_name="regie", standalone_mode=True))
