"""What every command shares: the instance option, the runtime, output for people and scripts."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from regie.config import ConfigError, load_config
from regie.db import DatabaseUnavailable
from regie.engine import PluginLoadError
from regie.i18n import gettext as _
from regie.services.errors import Invalid, NotFound, Veto

if TYPE_CHECKING:
    from regie.runtime import Runtime

USER_ERRORS = (ConfigError, DatabaseUnavailable, PluginLoadError, Invalid, NotFound, Veto)


class State:
    """Carried in ``click.Context.obj``: builds the runtime on first use.

    Tests pass their own ``runtime`` (``CliRunner().invoke(cli, args, obj=State(runtime=…))``).
    """

    def __init__(self, instance: str | None = None, runtime: Runtime | None = None) -> None:
        self.instance = instance
        self._runtime = runtime

    @property
    def config(self):
        if self._runtime is not None:
            return self._runtime.config
        return load_config(self.instance)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from regie.runtime import Runtime

            self._runtime = Runtime(self.config)
        return self._runtime


INSTANCE_HELP = "Instance folder (regie.toml, databases). Default: $REGIE_INSTANCE or ./instance"


def _use_instance(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    state = ctx.find_object(State)
    if value and state is not None and state.instance != value:
        state.instance = value
        state._runtime = None


def pass_state(function):
    """Pass the :class:`State` to the command, which also accepts ``--instance`` after its name
    (``regie init --instance DIR`` as well as ``regie --instance DIR init``)."""
    function = click.make_pass_decorator(State)(function)
    return click.option("--instance", type=click.Path(file_okay=False), expose_value=False,
                        is_eager=True, callback=_use_instance, help=INSTANCE_HELP)(function)


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(_("Error: %(error)s", error=message), fg="red", err=True)
    sys.exit(code)


def format_option(function):
    return click.option("--format", "output_format", type=click.Choice(["table", "json"]),
                        default="table", show_default=True,
                        help="json: machine-readable output for scripts.")(function)


def emit(rows: list[dict[str, Any]], output_format: str, columns: list[str] | None = None) -> None:
    """Print ``rows`` as JSON or as an aligned table."""
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        click.echo("(none)")
        return
    columns = columns or list(rows[0])
    widths = {col: max(len(col), *(len(_cell(row.get(col))) for row in rows)) for col in columns}
    click.echo("  ".join(col.upper().ljust(widths[col]) for col in columns).rstrip())
    for row in rows:
        click.echo("  ".join(_cell(row.get(col)).ljust(widths[col]) for col in columns).rstrip())


def emit_one(record: dict[str, Any], output_format: str) -> None:
    """Print one record as JSON or as ``key: value`` lines (nested dicts indented)."""
    if output_format == "json":
        click.echo(json.dumps(record, indent=2, default=str, ensure_ascii=False))
        return
    _echo_mapping(record, 0)


def _echo_mapping(record: dict[str, Any], depth: int) -> None:
    width = max((len(key) for key in record), default=0)
    for key, value in record.items():
        if isinstance(value, dict):
            click.echo(f"{'  ' * depth}{key}:")
            _echo_mapping(value, depth + 1) if value else click.echo(f"{'  ' * (depth + 1)}-")
        else:
            click.echo(f"{'  ' * depth}{key.ljust(width)}  {_cell(value)}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "-"
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    return str(value)


def parse_pairs(pairs: tuple[str, ...], what: str) -> dict[str, str]:
    """``("a=1", "b=2")`` → ``{"a": "1", "b": "2"}``; a malformed pair is a usage error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(_("'%(pair)s' is not KEY=VALUE", pair=pair), param_hint=what)
        values[key.strip()] = value
    return values


def read_secret(stream: IO[str]) -> str:
    """The first line of a password file (``-`` is standard input), without its line end."""
    return stream.readline().rstrip("\r\n")


def password_file_option(name: str = "--password-file"):
    return click.option(name, "password_file", type=click.File("r", encoding="utf-8"),
                        help="Read the password from this file ('-' for standard input) "
                             "instead of generating a random one.")


def show_generated_password(username: str, password: str) -> None:
    """Print a generated password; it is stored hashed and shown only this once."""
    click.echo(_("Password of '%(username)s': %(password)s", username=username,
                 password=password))
    click.echo(_("  (shown once; change it with `regie user passwd %(username)s`)",
                 username=username))
