"""``regie markets …``: the back office's commands."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from regie.api import Establishment, run_sync
from regie_markets.sirene.alerts import SOURCE_CODE


def _runtime():
    return click.get_current_context().find_root().obj.runtime


@click.group()
def markets() -> None:
    """Markets: SIRENE alerts and other back-office work."""


@markets.command("sirene-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--establishment", "slug", required=True, help="Slug of the establishment.")
@click.option("--full/--update", default=None,
              help="A full stock file (SIRETs missing from it are alerted) or a daily update "
                   "file; by default, a file whose name contains 'Stock' is a full stock.")
def sirene_import(file: Path, slug: str, full: bool | None) -> None:
    """Compare the traders' SIRETs with the INSEE file FILE and raise alerts."""
    runtime = _runtime()
    with runtime.db.session() as session:
        establishment_id = session.scalar(select(Establishment.id)
                                          .where(Establishment.slug == slug))
    if establishment_id is None:
        raise click.BadParameter(f"no establishment '{slug}'", param_hint="--establishment")
    options = {} if full is None else {"full": full}
    run = run_sync(runtime, establishment_id, SOURCE_CODE, file, options=options)
    click.echo(f"{run.state}: {run.message}")
    if run.state != "succeeded":
        raise SystemExit(1)
