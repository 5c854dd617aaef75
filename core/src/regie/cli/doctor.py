"""``regie doctor``: is this instance in working order? Every check runs, whatever fails."""

from __future__ import annotations

import attrs
import click

from regie.cli.common import State, emit_one, format_option, pass_state
from regie.i18n import gettext as _


@attrs.define
class Check:
    name: str
    ok: bool = True
    summary: str = ""
    details: dict[str, object] = attrs.Factory(dict)


def check_config(state: State) -> tuple[Check, object]:
    from regie.config import ConfigError

    check = Check(_("config"))
    try:
        config = state.config
    except ConfigError as exc:
        check.ok, check.summary = False, str(exc)
        return check, None
    check.summary = str(config.path or _("%(path)s (missing: defaults apply)",
                                         path=config.instance / "regie.toml"))
    check.details = config.redacted()
    if not config["secret_key"]:
        check.ok = False
        check.summary += " — " + _("key 'secret_key' is empty: run `regie init`")
    return check, config


def check_database(config) -> tuple[Check, object]:
    from regie.db import Database, DatabaseUnavailable

    check = Check(_("database"))
    try:
        database = Database(config.database_url)
        database.check()
    except DatabaseUnavailable as exc:
        check.ok, check.summary = False, str(exc)
        return check, None
    check.summary = _("%(dialect)s, reachable (%(url)s)", dialect=database.engine.dialect.name,
                      url=database.display_url)
    return check, database


def check_plugins(config) -> tuple[Check, object]:
    from regie.engine import Engine, PluginLoadError, installed_plugins
    from regie.runtime import CORE_COMMANDS

    check = Check(_("plugins"))
    installed = installed_plugins()
    idle = {name: _("installed, not loaded") for name in sorted(installed)
            if name not in config.plugins}
    try:
        engine = Engine(config.plugins, reserved_cli=CORE_COMMANDS)
    except PluginLoadError as exc:
        check.ok = False
        check.summary = _("%(n)d problem(s)", n=len(exc.problems))
        check.details = {problem.plugin: problem.reason for problem in exc.problems} | idle
        return check, None
    check.summary = _("%(n)d loaded: %(names)s", n=len(engine.plugins),
                      names=", ".join(engine.plugins) or "-")
    check.details = {name: _("loaded (%(dist)s %(version)s)", dist=plugin.distribution,
                             version=plugin.version)
                     for name, plugin in engine.plugins.items()} | idle
    return check, engine


def check_migrations(config, database, engine) -> Check:
    from regie.db import migrations
    from regie.runtime import Runtime

    check = Check(_("migrations"))
    if database is None or engine is None:
        check.ok, check.summary = False, _("not checked: the database or the plugins fail")
        return check
    runtime = Runtime(config, engine=engine)
    try:
        waiting = migrations.pending(runtime)
        applied, shipped = migrations.current(runtime), migrations.heads(runtime)
    except Exception as exc:  # a broken history must be reported, not crash the doctor
        check.ok, check.summary = False, f"{type(exc).__name__}: {exc}"
        return check
    finally:
        runtime.close()
    check.details = {history: _("%(current)s (head %(head)s)",
                                current=applied.get(history, _("not applied")), head=head)
                     for history, head in shipped.items()}
    if waiting:
        check.ok = False
        check.summary = _("%(n)d pending: run `regie db upgrade`", n=len(waiting))
        check.details["pending"] = waiting
    else:
        check.summary = _("up to date")
    return check


def check_queue(config) -> Check:
    from regie.tasks.queue import check as check_tasks_url

    check = Check(_("task queue"))
    try:
        check.summary = check_tasks_url(config.tasks_url)
    except (ConnectionError, OSError) as exc:
        check.ok, check.summary = False, str(exc)
    return check


@click.command()
@format_option
@pass_state
def doctor(state: State, output_format: str) -> None:
    """Check configuration, database, migrations, plugins and task queue; exit code 1 when
    something is wrong."""
    config_check, config = check_config(state)
    checks = [config_check]
    if config is not None:
        database_check, database = check_database(config)
        plugins_check, engine = check_plugins(config)
        checks += [database_check, check_migrations(config, database, engine), plugins_check,
                   check_queue(config)]
        if database is not None:
            database.dispose()
    if output_format == "json":
        emit_one({"ok": all(check.ok for check in checks),
                  "checks": [attrs.asdict(check) for check in checks]}, output_format)
    else:
        for check in checks:
            mark = click.style(" ok ", fg="green") if check.ok else click.style("FAIL", fg="red")
            click.echo(f"[{mark}] {check.name}: {check.summary}")
            for key, value in check.details.items():
                if isinstance(value, list):
                    click.echo(f"         {key}:")
                    for item in value:
                        click.echo(f"           - {item}")
                else:
                    click.echo(f"         {key} = {value}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)
