"""What every command shares: the instance option, the runtime, output for people and scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from regie.config import ConfigError, load_config
from regie.db import DatabaseUnavailable
from regie.engine import PluginLoadError
from regie.services.errors import Invalid, NotFound, Veto

USER_ERRORS = (ConfigError, DatabaseUnavailable, PluginLoadError, Invalid, NotFound, Veto)


class State:
    """Carried in ``click.Context.obj``: builds the runtime on first use."""

    def __init__(self, instance: str | None) -> None:
        self.instance = instance
        self._runtime = None

    @property
    def config(self):
        return load_config(self.instance)

    @property
    def runtime(self):
        if self._runtime is None:
            from regie.runtime import Runtime

            self._runtime = Runtime(self.config)
        return self._runtime


pass_state = click.make_pass_decorator(State)


def fail(message: str, code: int = 1) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
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
    widths = {col: max(len(col), *(len(str(row.get(col, ""))) for row in rows)) for col in columns}
    click.echo("  ".join(col.upper().ljust(widths[col]) for col in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row.get(col, "")).ljust(widths[col]) for col in columns).rstrip())
