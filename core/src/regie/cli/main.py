"""The root ``regie`` group. Plugin commands are imported only when invoked, so a broken plugin
cannot break ``regie --help`` or the core commands."""

from __future__ import annotations

import importlib
import sys

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from regie import __version__
from regie.cli.common import INSTANCE_HELP, USER_ERRORS, State, fail
from regie.i18n import gettext as _

CORE_MODULES = {
    "init": "regie.cli.instance:init",
    "demo": "regie.cli.demo:demo",
    "serve": "regie.cli.instance:serve",
    "worker": "regie.cli.tasks:worker",
    "doctor": "regie.cli.doctor:doctor",
    "db": "regie.cli.db:db",
    "plugins": "regie.cli.plugins:plugins",
    "establishment": "regie.cli.establishments:establishment",
    "user": "regie.cli.users:user",
    "tasks": "regie.cli.tasks:tasks",
    "jobs": "regie.cli.tasks:jobs",
    "accounts": "regie.cli.payments:accounts",
    "payments": "regie.cli.payments:payments",
    "ledger": "regie.cli.payments:ledger",
    "mail": "regie.cli.mail:mail",
    "sync": "regie.cli.sync:sync",
}
PROBLEM = "regie.plugin_problem"


def _import(target: str):
    module, _sep, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def database_error(exc: OperationalError | ProgrammingError) -> str | None:
    """One line saying what went wrong with the database and what to do, or ``None`` when the
    error is a bug rather than the state of the database."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    if "no such table" in reason or "does not exist" in reason:
        return _("the database is not set up (%(reason)s): run `regie db upgrade`",
                 reason=reason)
    if isinstance(exc, OperationalError):
        return _("database error: %(reason)s", reason=reason)
    return None


class RegieGroup(click.Group):
    def _plugin_commands(self, ctx: click.Context) -> dict:
        if not isinstance(ctx.obj, State):
            ctx.obj = State(ctx.params.get("instance"))
        state = ctx.obj
        try:
            engine = state.runtime.engine
        except Exception as exc:  # any start-up problem: core commands still work
            ctx.meta.setdefault(PROBLEM, str(exc))
            return {}
        return {command.name: command for command in engine.items("regie_cli_commands")}

    def list_commands(self, ctx):
        return sorted(set(CORE_MODULES) | set(self._plugin_commands(ctx)))

    def get_command(self, ctx, name):
        if name in CORE_MODULES:
            return _import(CORE_MODULES[name])
        declared = self._plugin_commands(ctx).get(name)
        if declared is None:
            if ctx.meta.get(PROBLEM) and not ctx.resilient_parsing:
                fail(_("no command '%(name)s'; plugin commands are unavailable: %(problem)s",
                       name=name, problem=ctx.meta[PROBLEM]))
            return None
        try:
            return _import(declared.target)
        except Exception as exc:
            if ctx.resilient_parsing:  # shell completion: never fail
                return None
            fail(_("the command '%(name)s' of a plugin cannot be loaded: %(error)r",
                   name=name, error=exc))

    def format_commands(self, ctx, formatter):
        """Core commands, then plugin commands described by their declaration: listing them
        imports no plugin code."""
        core = [(name, _import(target)) for name, target in sorted(CORE_MODULES.items())]
        plugins = sorted(self._plugin_commands(ctx).items())
        width = max(len(name) for name, _command in [*core, *plugins])
        limit = formatter.width - 6 - width
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in core])
        if plugins:
            with formatter.section(_("Plugin commands")):
                formatter.write_dl([
                    (name, click.Command(name, help=str(declared.help)).get_short_help_str(limit))
                    for name, declared in plugins])

    def format_epilog(self, ctx, formatter):
        problem = ctx.meta.get(PROBLEM)
        if problem:
            formatter.write_paragraph()
            formatter.write_text(_("Plugin commands are unavailable:"))
            with formatter.indentation():
                for line in problem.splitlines():
                    formatter.write_text(line.strip())

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            fail(str(exc))
        except (OperationalError, ProgrammingError) as exc:
            message = database_error(exc)
            if message is None:
                raise
            fail(message)
        except Exception as exc:
            if not _is_migration_error(exc):
                raise
            fail(str(exc))


def _is_migration_error(exc: Exception) -> bool:
    """Migration problems are the user's to fix; the check does not import Alembic when no
    migration ran."""
    migrations = sys.modules.get("regie.db.migrations")
    return migrations is not None and isinstance(exc, migrations.MigrationError)


@click.group(cls=RegieGroup)
@click.option("--instance", envvar="REGIE_INSTANCE", type=click.Path(file_okay=False),
              is_eager=True,  # known before --help lists the plugins' commands
              help=INSTANCE_HELP)
@click.version_option(__version__, prog_name="regie")
@click.pass_context
def cli(ctx: click.Context, instance: str | None) -> None:
    """Régie: collect money for local establishments."""
    if not isinstance(ctx.obj, State):
        ctx.obj = State(instance)


def main() -> None:
    sys.exit(cli.main(prog_name="regie", standalone_mode=True))
