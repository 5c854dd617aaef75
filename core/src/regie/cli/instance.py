"""``regie init`` (a new instance) and ``regie serve`` (the hosted web)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import IO

import attrs
import click

from regie.cli.common import (
    State,
    pass_state,
    read_secret,
    show_generated_password,
)
from regie.config import (
    DEFAULT_PLUGINS,
    Config,
    ConfigError,
    instance_path,
    load_config,
    render_toml,
)
from regie.i18n import gettext as _
from regie.services.errors import NotFound

BIND_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):(\d{1,5})$")
DEFAULT_ADMIN = "admin"
UNWRITABLE = frozenset('"\\\n\r')


def check_bind(bind: str) -> str:
    match = BIND_RE.match(bind)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise click.BadParameter(_("'%(bind)s' is not HOST:PORT (e.g. 127.0.0.1:8000)",
                                   bind=bind), param_hint="--bind")
    return bind


def _bind_option(function):
    return click.option("--bind", metavar="HOST:PORT",
                        callback=lambda _ctx, _param, value: value and check_bind(value),
                        help="Address to listen on (default: server.bind of regie.toml).")(function)


def installed_in_order() -> list[str]:
    """Every installed plugin: the usual order first, then the others by name."""
    from regie.engine import installed_plugins

    installed = installed_plugins()
    return [name for name in DEFAULT_PLUGINS if name in installed] + sorted(
        name for name in installed if name not in DEFAULT_PLUGINS)


def config_path(folder: Path) -> Path:
    return Path(os.environ["REGIE_CONFIG"]) if os.environ.get("REGIE_CONFIG") else (
        folder / "regie.toml")


@attrs.frozen
class Created:
    config: Config
    admin: str
    password: str | None  # generated, to show once; None when chosen or kept


def create_instance(folder: Path, *, admin_username: str = DEFAULT_ADMIN,
                    admin_password: str | None = None, database_url: str = "",
                    tasks_url: str = "", plugins: list[str] | None = None,
                    bind: str = "127.0.0.1:8000", force: bool = False) -> Created:
    """Write ``regie.toml`` with a random secret key, migrate the database and create the
    first superuser. Everything is checked before anything is written."""
    from regie.db.migrations import upgrade
    from regie.engine import Engine
    from regie.runtime import CORE_COMMANDS, Runtime
    from regie.services import users

    path = config_path(folder)
    if path.exists() and not force:
        raise ConfigError(_("%(path)s already exists; use --force to replace it (a new secret "
                            "key signs everyone out)", path=path))
    if not admin_username.strip():
        raise ConfigError(_("the admin username is empty"))
    if admin_password is not None:
        problem = users.check_password_strength(admin_password)
        if problem:
            raise ConfigError(_("admin password: %(problem)s", problem=problem))
    plugins = installed_in_order() if plugins is None else plugins
    text = render_toml(secrets.token_urlsafe(48), plugins, database_url=database_url,
                       tasks_url=tasks_url, bind=bind)
    config = _validate(folder, text, database_url=database_url, tasks_url=tasks_url,
                       plugins=plugins)
    runtime = Runtime(config, engine=Engine(config.plugins, reserved_cli=CORE_COMMANDS))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        runtime.db.check()
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.replace(path.with_name(path.name + ".bak"))
        _write_private(path, text)
        upgrade(runtime)
        runtime.huey  # noqa: B018 - creates the SQLite task database
        with runtime.db.transaction() as session:
            if _user_exists(session, admin_username):
                return Created(config, admin_username, None)
            password = admin_password or users.generate_password()
            users.create(session, admin_username, password, is_superuser=True)
        return Created(config, admin_username, None if admin_password else password)
    finally:
        runtime.close()


def _user_exists(session, username: str) -> bool:
    from regie.services import users

    try:
        users.by_username(session, username)
    except NotFound:
        return False
    return True


def _validate(folder: Path, text: str, **expected) -> Config:
    """The configuration ``text`` gives once written, environment overrides included.

    Refuses values that do not survive the round trip through TOML (a quote in a URL).
    """
    for key, value in expected.items():
        for item in value if isinstance(value, list) else [value]:
            if any(char in item for char in UNWRITABLE):
                raise ConfigError(_("key '%(key)s': %(value)r cannot be written into "
                                    "regie.toml (no quotes, backslashes or line breaks)",
                                    key=key, value=item))
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "regie.toml"
        candidate.write_text(text, encoding="utf-8")
        written = load_config(folder, environ={"REGIE_CONFIG": str(candidate)})
        config = load_config(folder, environ={**os.environ, "REGIE_CONFIG": str(candidate)})
    for key, value in expected.items():
        if written[key] != value:
            raise ConfigError(_("key '%(key)s': %(value)r cannot be written into regie.toml",
                                key=key, value=value))
    return attrs.evolve(config, path=config_path(folder))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: it holds the secret key."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)


@click.command()
@click.option("--admin-username", default=DEFAULT_ADMIN, show_default=True,
              help="Name of the first superuser.")
@click.option("--admin-password-file", type=click.File("r", encoding="utf-8"),
              help="Read the superuser's password from this file ('-': standard input); "
                   "default: a random one, printed once.")
@click.option("--database-url", default="", metavar="URL",
              help="SQLAlchemy URL, e.g. postgresql+psycopg://regie@127.0.0.1/regie "
                   "(default: SQLite regie.db in the instance folder).")
@click.option("--tasks-url", default="", metavar="URL",
              help="redis://HOST:PORT/DB for Redis (default: SQLite tasks.db in the instance).")
@click.option("--plugins", metavar="A,B,…",
              help="Plugins to load, in hook order (default: every installed plugin).")
@_bind_option
@click.option("--force", is_flag=True,
              help="Replace an existing regie.toml (kept as regie.toml.bak).")
@pass_state
def init(state: State, admin_username: str, admin_password_file: IO[str] | None,
         database_url: str, tasks_url: str, plugins: str | None, bind: str | None,
         force: bool) -> None:
    """Create an instance: regie.toml with a random secret key, the migrated database and the
    first superuser.

    \b
    Example for scripts:
      regie init --instance /srv/regie --admin-password-file /run/secrets/admin
    """
    folder = instance_path(state.instance)
    chosen = None if plugins is None else [name.strip() for name in plugins.split(",")
                                            if name.strip()]
    created = create_instance(
        folder, admin_username=admin_username,
        admin_password=read_secret(admin_password_file) if admin_password_file else None,
        database_url=database_url, tasks_url=tasks_url, plugins=chosen,
        bind=bind or "127.0.0.1:8000", force=force)
    click.echo(_("Instance created in %(folder)s", folder=folder))
    click.echo(_("Configuration: %(path)s", path=created.config.path))
    if created.password:
        show_generated_password(created.admin, created.password)
    click.echo(_("Next: `regie --instance %(folder)s serve`", folder=folder))


def serve_instance(state: State, bind: str | None, server: str | None) -> None:
    """Refuse to serve a database behind the code, then run the chosen server until it stops."""
    from regie.db.migrations import assert_up_to_date
    from regie.web import create_app

    runtime = state.runtime
    config = runtime.config
    logging.basicConfig(level=config["log_level"].upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime.db.check()
    assert_up_to_date(runtime)
    servers = {item.name: item for item in runtime.engine.items("regie_web_servers")}
    name = server or config["server.name"]
    if name not in servers:
        raise ConfigError(_("unknown web server '%(name)s' (available: %(known)s)", name=name,
                            known=", ".join(servers)))
    bind = bind or check_bind(config["server.bind"])
    runtime.db.dispose()  # pre-forking servers must not inherit open connections
    click.echo(_("Serving http://%(bind)s/ with %(server)s (Ctrl+C to stop)", bind=bind,
                 server=name))
    with contextlib.suppress(KeyboardInterrupt):
        servers[name].run(functools.partial(create_app, config), config, bind)
    click.echo(_("Stopped."))


@click.command()
@_bind_option
@click.option("--server", metavar="NAME",
              help="gunicorn, waitress or dev (default: server.name of regie.toml).")
@pass_state
def serve(state: State, bind: str | None, server: str | None) -> None:
    """Serve the hosted web. Refuses to start while database migrations are pending."""
    serve_instance(state, bind, server)
