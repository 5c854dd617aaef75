"""``regie establishment …``: create establishments, switch their plugins on and off."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from regie.cli.common import (
    State,
    emit,
    emit_one,
    format_option,
    parse_pairs,
    pass_state,
    read_secret,
)
from regie.i18n import gettext as _


@click.group()
def establishment() -> None:
    """Establishments and the plugins each one uses.

    \b
    Establishment fields:  regie establishment set SLUG name="École Jaurès" currency=EUR
    Plugin settings:       regie establishment enable SLUG PLUGIN --setting key=value
                           (again on an enabled plugin: changes only the given settings;
                           --setting-file key=PATH reads a secret from a file)
    """


def _plugin_view(runtime, row) -> dict:
    from regie.services.settings import redact

    loaded = runtime.engine.plugins.get(row.plugin)
    settings = redact(loaded.info.settings, row.settings) if loaded else {
        key: "********" for key in row.settings}
    return {"enabled": row.enabled, "loaded": loaded is not None, "settings": settings}


def _record(runtime, est, *, detailed: bool) -> dict:
    enabled = [row.plugin for row in est.plugins if row.enabled]
    record = {"slug": est.slug, "name": est.name, "locale": est.locale,
              "timezone": est.timezone, "currency": est.currency}
    if not detailed:
        return {**record, "plugins": enabled}
    return {**record, "address": est.address, "email": est.email,
            "created_at": est.created_at,
            "plugins": {row.plugin: _plugin_view(runtime, row)
                        for row in sorted(est.plugins, key=lambda row: row.plugin)}}


@establishment.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Name shown to users.")
@click.option("--locale", help="fr, en or uk (default: default_locale of regie.toml).")
@click.option("--timezone", help="e.g. Europe/Paris (default: default_timezone of regie.toml).")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code.")
@pass_state
def create(state: State, slug: str, name: str, locale: str | None, timezone: str | None,
           currency: str) -> None:
    """Create establishment SLUG (its address: /SLUG/)."""
    from regie.services import establishments

    runtime = state.runtime
    with runtime.db.transaction() as session:
        est = establishments.create(
            session, runtime.engine, slug=slug, name=name, currency=currency.upper(),
            locale=locale or runtime.config["default_locale"],
            timezone=timezone or runtime.config["default_timezone"])
        created = est.slug
    click.echo(_("Establishment '%(slug)s' created.", slug=created))


@establishment.command("list")
@format_option
@pass_state
def list_establishments(state: State, output_format: str) -> None:
    """Every establishment with its enabled plugins."""
    from regie.db.models import Establishment

    runtime = state.runtime
    with runtime.db.session() as session:
        rows = [_record(runtime, est, detailed=False) for est in session.scalars(
            select(Establishment).order_by(Establishment.slug)
            .options(selectinload(Establishment.plugins)))]
    emit(rows, output_format, ["slug", "name", "locale", "timezone", "currency", "plugins"])


@establishment.command("show")
@click.argument("slug")
@format_option
@pass_state
def show(state: State, slug: str, output_format: str) -> None:
    """One establishment, its plugins and their settings (secrets masked)."""
    from regie.services import establishments

    runtime = state.runtime
    with runtime.db.session() as session:
        record = _record(runtime, establishments.by_slug(session, slug), detailed=True)
    emit_one(record, output_format)


@establishment.command("enable")
@click.argument("slug")
@click.argument("plugin")
@click.option("--setting", "settings", multiple=True, metavar="KEY=VALUE",
              help="A setting of the plugin here; repeat for several.")
@click.option("--setting-file", "setting_files", multiple=True, metavar="KEY=PATH",
              help="A setting read from the first line of a file (for secrets, which would "
                   "otherwise show in the shell history).")
@pass_state
def enable(state: State, slug: str, plugin: str, settings: tuple[str, ...],
           setting_files: tuple[str, ...]) -> None:
    """Switch PLUGIN on for establishment SLUG, or change its settings there."""
    from regie.services import establishments

    values: dict[str, str] = parse_pairs(settings, "--setting")
    for key, path in parse_pairs(setting_files, "--setting-file").items():
        try:
            with Path(path).expanduser().open(encoding="utf-8") as stream:
                values[key] = read_secret(stream)
        except OSError as exc:
            raise click.BadParameter(f"{path}: {exc.strerror}",
                                     param_hint="--setting-file") from exc
    runtime = state.runtime
    with runtime.db.transaction() as session:
        est = establishments.by_slug(session, slug)
        was_enabled = plugin in establishments.enabled_plugins(est)
        establishments.enable_plugin(session, runtime.engine, est, plugin, values)
    if was_enabled and not values:
        click.echo(_("%(plugin)s is already enabled for '%(slug)s'.", plugin=plugin, slug=slug))
    elif was_enabled:
        click.echo(_("Settings of %(plugin)s for '%(slug)s' updated.", plugin=plugin, slug=slug))
    else:
        click.echo(_("%(plugin)s enabled for '%(slug)s'.", plugin=plugin, slug=slug))


@establishment.command("disable")
@click.argument("slug")
@click.argument("plugin")
@pass_state
def disable(state: State, slug: str, plugin: str) -> None:
    """Switch PLUGIN off for establishment SLUG. Its data and settings are kept."""
    from regie.services import establishments
    from regie.services.errors import Veto

    runtime = state.runtime
    with runtime.db.transaction() as session:
        est = establishments.by_slug(session, slug)
        if plugin not in establishments.enabled_plugins(est):
            raise Veto(_("plugin '%(plugin)s' is not enabled for '%(slug)s'", plugin=plugin,
                         slug=slug))
        establishments.disable_plugin(session, runtime.engine, est, plugin)
    click.echo(_("%(plugin)s disabled for '%(slug)s'.", plugin=plugin, slug=slug))


@establishment.command("set")
@click.argument("slug")
@click.argument("fields", nargs=-1, required=True, metavar="KEY=VALUE...")
@pass_state
def set_fields(state: State, slug: str, fields: tuple[str, ...]) -> None:
    """Change fields of establishment SLUG: name, locale, timezone, currency, address, email.

    Plugin settings are changed with `regie establishment enable SLUG PLUGIN --setting …`.
    """
    from regie.services import establishments

    values = parse_pairs(fields, "KEY=VALUE")
    if "currency" in values:
        values["currency"] = values["currency"].upper()
    runtime = state.runtime
    with runtime.db.transaction() as session:
        establishments.update(session, establishments.by_slug(session, slug), values)
    click.echo(_("Establishment '%(slug)s' updated: %(keys)s", slug=slug,
                 keys=", ".join(sorted(values))))
