"""``regie plugins list``: what is installed, what the configuration loads, what fails."""

from __future__ import annotations

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from regie.cli.common import State, emit, format_option, pass_state
from regie.i18n import gettext as _


@click.group()
def plugins() -> None:
    """Installed plugins. Installing is not enabling: regie.toml's `plugins` list loads them,
    `regie establishment enable` switches one on for an establishment."""


def _enabled_counts(database_url: str) -> dict[str, int] | None:
    """Establishments per enabled plugin, or ``None`` when the database cannot tell."""
    from regie.db import Database, DatabaseUnavailable
    from regie.db.models import EstablishmentPlugin

    try:
        database = Database(database_url)
    except DatabaseUnavailable:
        return None
    try:
        with database.session() as session:
            return dict(session.execute(
                select(EstablishmentPlugin.plugin, func.count())
                .where(EstablishmentPlugin.enabled.is_(True))
                .group_by(EstablishmentPlugin.plugin)).all())
    except SQLAlchemyError:
        return None
    finally:
        database.dispose()


@plugins.command("list")
@format_option
@pass_state
def list_plugins(state: State, output_format: str) -> None:
    """Every installed plugin: distribution, version, loaded / not loaded / failed (with the
    reason), and in how many establishments it is enabled."""
    from regie.engine import Engine, PluginLoadError, installed_plugins
    from regie.runtime import CORE_COMMANDS

    config = state.config
    problems: dict[str, str] = {}
    try:
        Engine(config.plugins, reserved_cli=CORE_COMMANDS)
    except PluginLoadError as exc:
        for problem in exc.problems:
            problems[problem.plugin] = "; ".join(filter(None, (problems.get(problem.plugin),
                                                                problem.reason)))
    counts = _enabled_counts(config.database_url)
    installed = installed_plugins()
    rows = []
    for name in dict.fromkeys([*config.plugins, *sorted(installed), *problems]):
        entry_point = installed.get(name)
        dist = entry_point.dist if entry_point is not None else None
        if name in problems:
            status = "failed"
        elif name in config.plugins:
            status = "loaded"
        else:
            status = "not loaded"
        rows.append({
            "name": name,
            "distribution": dist.metadata["Name"] if dist else "",
            "version": dist.version if dist else "",
            "status": status,
            "reason": problems.get(name, ""),
            "establishments": None if counts is None else counts.get(name, 0),
        })
    emit(rows, output_format, ["name", "distribution", "version", "status", "establishments",
                               "reason"])
    if problems and output_format != "json":
        click.echo(_("Régie refuses to start until every failure is fixed."), err=True)
    if counts is None and output_format != "json":
        click.echo(_("(establishment counts unavailable: the database cannot be read)"),
                   err=True)
