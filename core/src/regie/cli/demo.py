"""``regie demo``: a working instance with demonstration data, from nothing, in one command."""

from __future__ import annotations

from typing import Any

import attrs
import click

from regie.cli.common import State, pass_state, show_generated_password
from regie.cli.instance import (
    DEFAULT_ADMIN,
    check_bind,
    config_path,
    create_instance,
    serve_instance,
)
from regie.config import instance_path
from regie.i18n import gettext as _
from regie.services.errors import Invalid, NotFound, Veto


@attrs.frozen
class DemoEstablishment:
    slug: str
    name: str
    plugins: tuple[str, ...]
    fields: dict[str, Any] = attrs.Factory(dict)


DEMO_ESTABLISHMENTS = (
    DemoEstablishment("ecole-demo", "École Jean Jaurès (démo)",
                      ("reservation", "payments_paybox", "mail_smtp")),
    DemoEstablishment("marches-demo", "Marchés de Villeneuve (démo)", ("markets",)),
    DemoEstablishment("regie-eaux", "Водоканал Поділля (demo)", ("billpay",),
                      {"locale": "uk", "currency": "UAH", "timezone": "Europe/Kyiv"}),
    DemoEstablishment("amap-demo", "AMAP du Plateau (démo)", ("coop",)),
    DemoEstablishment("boutique-demo", "Boutique du Musée (démo)",
                      ("mail_smtp", "mail_mapi_stub")),
)


def demo_establishments(loaded: list[str]) -> list[DemoEstablishment]:
    """The demonstration establishments, plus one for each loaded plugin none of them uses (a
    plugin from another distribution gets its demonstration too)."""
    used = {plugin for demo in DEMO_ESTABLISHMENTS for plugin in demo.plugins}
    extra = [DemoEstablishment(f"{plugin.replace('_', '-')}-demo", f"{plugin} (démo)",
                               (plugin,))
             for plugin in loaded if plugin not in used]
    return [*DEMO_ESTABLISHMENTS, *extra]


@attrs.frozen
class DemoReport:
    created: list[str]
    kept: list[str]
    warnings: list[str]


def load_demo_data(runtime) -> DemoReport:
    """Create the demonstration establishments that do not exist yet, each with those of its
    plugins that are loaded, and let every plugin enabled there add its demonstration data.

    Establishments that already exist are left as they are: a second run loses nothing. A
    plugin whose demonstration data fails is reported and its data rolled back; the others
    keep theirs.
    """
    from regie.services import establishments

    engine = runtime.engine
    report = DemoReport([], [], [])
    for demo in demo_establishments(list(engine.plugins)):
        with runtime.db.transaction() as session:
            try:
                establishments.by_slug(session, demo.slug)
            except NotFound:
                pass
            else:
                report.kept.append(demo.slug)
                continue
            establishment = establishments.create(session, engine, slug=demo.slug,
                                                  name=demo.name, **demo.fields)
            enabled = []
            for plugin in (name for name in demo.plugins if name in engine.plugins):
                try:
                    with session.begin_nested():
                        establishments.enable_plugin(session, engine, establishment, plugin)
                except (Invalid, Veto) as exc:
                    report.warnings.append(_("%(slug)s: plugin %(plugin)s not enabled: "
                                             "%(reason)s", slug=demo.slug, plugin=plugin,
                                             reason=exc))
                    continue
                enabled.append(plugin)
            for plugin in enabled:
                try:
                    with session.begin_nested():
                        engine.call_on(plugin, "regie_demo_data", session=session,
                                       establishment=establishment, runtime=runtime)
                except Exception as exc:
                    report.warnings.append(_("%(slug)s: demonstration data of %(plugin)s "
                                             "failed: %(error)r", slug=demo.slug, plugin=plugin,
                                             error=exc))
            report.created.append(demo.slug)
    return report


def ensure_admin(runtime, username: str = DEFAULT_ADMIN) -> str | None:
    """Create superuser ``username`` unless it exists; return its generated password."""
    from regie.services import users

    with runtime.db.transaction() as session:
        try:
            users.by_username(session, username)
        except NotFound:
            password = users.generate_password()
            users.create(session, username, password, is_superuser=True)
            return password
    return None


@click.command()
@click.option("--bind", metavar="HOST:PORT",
              callback=lambda _ctx, _param, value: value and check_bind(value),
              help="Address to listen on (default: server.bind of regie.toml).")
@click.option("--no-serve", is_flag=True, help="Prepare the instance and exit.")
@pass_state
def demo(state: State, bind: str | None, no_serve: bool) -> None:
    """Create (or reuse) an instance with demonstration establishments and serve it.

    \b
    First run: writes regie.toml in the instance folder (./instance by default), creates the
    SQLite database and the task database, loads demonstration data for every installed
    plugin, prints the address and a one-time admin password, then serves until Ctrl+C.
    Later runs keep everything and serve again.
    """
    from regie.db.migrations import upgrade

    folder = instance_path(state.instance)
    password = None
    if not config_path(folder).exists():
        click.echo(_("Creating the instance in %(folder)s …", folder=folder))
        password = create_instance(folder, bind=bind or "127.0.0.1:8000").password
    runtime = state.runtime
    runtime.db.check()
    upgrade(runtime)
    password = ensure_admin(runtime) or password
    report = load_demo_data(runtime)
    for warning in report.warnings:
        click.secho(warning, fg="yellow", err=True)
    if report.created:
        click.echo(_("Demonstration establishments created: %(slugs)s",
                     slugs=", ".join(report.created)))
    if report.kept:
        click.echo(_("Demonstration establishments kept as they were: %(slugs)s",
                     slugs=", ".join(report.kept)))
    address = bind or runtime.config["server.bind"]
    click.echo("")
    click.secho(_("Régie is ready: http://%(bind)s/", bind=address), bold=True)
    click.echo(_("Sign in as '%(username)s'.", username=DEFAULT_ADMIN))
    if password:
        show_generated_password(DEFAULT_ADMIN, password)
    else:
        click.echo(_("The password was shown when the instance was created; to choose a new "
                     "one: `regie --instance %(folder)s user passwd %(username)s`",
                     folder=folder, username=DEFAULT_ADMIN))
    if not no_serve:
        serve_instance(state, bind, None)
