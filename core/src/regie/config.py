"""Deployment configuration: ``regie.toml`` in the instance folder, overridden by ``REGIE_*``.

Every key is declared once in :data:`KEYS` with its type and default, so a typo or a value of
the wrong type is refused with a message that names the key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import attrs

DEFAULT_PLUGINS = (
    "payments_paybox",
    "mail_smtp",
    "mail_mapi_stub",
    "reservation",
    "markets",
    "billpay",
    "coop",
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@attrs.frozen
class Key:
    name: str
    type: type
    default: Any
    help: str
    secret: bool = False


KEYS: tuple[Key, ...] = (
    Key("secret_key", str, "", "Signs sessions and CSRF tokens. `regie init` writes a random one.",
        secret=True),
    Key("database_url", str, "", "SQLAlchemy URL; default: SQLite file regie.db in the instance."),
    Key("tasks_url", str, "", "Task queue: `redis://…` for RedisHuey, default SQLite tasks.db."),
    Key("plugins", list, list(DEFAULT_PLUGINS), "Plugins to load, in hook order."),
    Key("base_url", str, "http://127.0.0.1:8000", "Public address, used in mails and callbacks."),
    Key("default_locale", str, "fr", "Language of pages when the user has not chosen one."),
    Key("default_timezone", str, "Europe/Paris", "Time zone of new establishments."),
    Key("log_level", str, "INFO", "Python logging level."),
    Key("sync_folder", str, "",
        "Pickup folder of sync sources: files put in <folder>/<establishment>/<source>/ are "
        "imported every 5 minutes; default: the instance's sync folder."),
    Key("server.name", str, "gunicorn", "Web server: gunicorn, waitress or dev."),
    Key("server.bind", str, "127.0.0.1:8000", "HOST:PORT the web server listens on."),
    Key("server.workers", int, 2, "gunicorn worker processes."),
    Key("server.threads", int, 4, "Threads per worker (gunicorn gthread, waitress)."),
    Key("server.timeout", int, 30, "Seconds before a stuck worker is restarted."),
    Key("server.forwarded_allow_ips", str, "127.0.0.1,::1",
        "Proxies whose X-Forwarded-* headers gunicorn trusts (comma-separated addresses)."),
    Key("server.certfile", str, "", "gunicorn terminates TLS with this certificate (PEM)."),
    Key("server.keyfile", str, "", "The private key of server.certfile (PEM)."),
    Key("server.ca_certs", str, "",
        "CA certificates (PEM) that client certificates must be issued by."),
    Key("server.cert_reqs", int, 0,
        "Client certificates: 0 not asked, 1 checked when given, 2 required."),
    Key("security.max_failed_logins", int, 5, "Failed sign-ins before the account locks."),
    Key("security.lockout_minutes", int, 15, "How long a locked account stays locked."),
    Key("security.force_https_cookies", bool, False,
        "Mark cookies Secure even when the request did not arrive over TLS."),
    Key("tasks.schedule", dict, {}, "Per task name: a cron expression, or \"off\"."),
    Key("mail.default_sender", str, "",
        "From address of establishments that have no sender of their own (replies go to the "
        "establishment's address); default: no-reply@ the host of base_url."),
)
_BY_NAME = {key.name: key for key in KEYS}
SECTIONS = {name.split(".")[0] for name in _BY_NAME if "." in name}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        full = f"{prefix}{name}"
        if isinstance(value, dict) and full in SECTIONS:
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def _coerce(key: Key, value: Any, origin: str) -> Any:
    if key.type is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    elif key.type is int and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    elif key.type is list and isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if key.type is int and isinstance(value, bool):
        value = str(value)
    if isinstance(value, key.type):
        if key.type is list and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{origin}: key '{key.name}' must be a list of strings")
        return value
    raise ConfigError(
        f"{origin}: key '{key.name}' must be {key.type.__name__}, got {value!r}"
    )


def env_name(key: str) -> str:
    return "REGIE_" + key.replace(".", "_").upper()


@attrs.frozen
class Config:
    """The loaded configuration of one instance."""

    instance: Path
    values: dict[str, Any]
    path: Path | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def database_url(self) -> str:
        return self.values["database_url"] or f"sqlite:///{self.instance / 'regie.db'}"

    @property
    def tasks_url(self) -> str:
        return self.values["tasks_url"] or f"sqlite:///{self.instance / 'tasks.db'}"

    @property
    def plugins(self) -> list[str]:
        return list(self.values["plugins"])

    def redacted(self) -> dict[str, Any]:
        """The values with secrets hidden, for `regie doctor` and logs."""
        shown = dict(self.values)
        for key in KEYS:
            if key.secret and shown.get(key.name):
                shown[key.name] = "********"
        for name in ("database_url", "tasks_url"):
            shown[name] = _hide_password(getattr(self, name))
        return shown

    def with_values(self, **overrides: Any) -> Config:
        values = dict(self.values)
        values.update({name.replace("__", "."): value for name, value in overrides.items()})
        return attrs.evolve(self, values=values)


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    if url.startswith("redis"):
        return url.split("@")[-1] if "@" in url else url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported elsewhere; never echo it whole
        return "<unparsable url>"


def instance_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The instance folder: explicit argument, then ``REGIE_INSTANCE``, then ``./instance``."""
    chosen = explicit or os.environ.get("REGIE_INSTANCE") or "instance"
    return Path(chosen).expanduser().resolve()


def load_config(
    instance: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """Read ``regie.toml`` (``REGIE_CONFIG`` or ``<instance>/regie.toml``), then the environment.

    A missing file is allowed (defaults apply); a file that cannot be parsed, an unknown key or a
    value of the wrong type raises :class:`ConfigError`.
    """
    environ = dict(os.environ if environ is None else environ)
    folder = instance_path(instance or environ.get("REGIE_INSTANCE"))
    path = Path(environ["REGIE_CONFIG"]) if environ.get("REGIE_CONFIG") else folder / "regie.toml"
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    values = {key.name: key.default for key in KEYS}
    for name, value in _flatten(raw).items():
        if name not in _BY_NAME:
            raise ConfigError(f"{path}: unknown key '{name}'")
        values[name] = _coerce(_BY_NAME[name], value, str(path))
    for key in KEYS:
        if env_name(key.name) in environ and key.type is not dict:
            values[key.name] = _coerce(key, environ[env_name(key.name)], env_name(key.name))
    for name, value in overrides.items():
        values[name.replace("__", ".")] = value
    return Config(instance=folder, values=values, path=path if path.exists() else None)


def render_toml(secret_key: str, plugins: list[str], database_url: str = "",
                tasks_url: str = "", bind: str = "127.0.0.1:8000") -> str:
    """The text of a new ``regie.toml`` as ``regie init`` writes it."""
    plugin_list = ", ".join(f'"{name}"' for name in plugins)
    return f'''# Régie instance configuration. REGIE_<KEY> in the environment overrides any key.
secret_key = "{secret_key}"
# database_url = "postgresql+psycopg://regie@127.0.0.1/regie"   (default: SQLite in this folder)
database_url = "{database_url}"
# tasks_url = "redis://127.0.0.1:6379/0"                        (default: SQLite tasks.db here)
tasks_url = "{tasks_url}"
plugins = [{plugin_list}]
base_url = "http://{bind}"
default_locale = "fr"
default_timezone = "Europe/Paris"

[server]
name = "gunicorn"
bind = "{bind}"
workers = 2
threads = 4
timeout = 30

[security]
max_failed_logins = 5
lockout_minutes = 15

[tasks.schedule]
# "ledger_verify" = "30 2 * * *"
# "markets.sirene_pickup" = "off"
'''
