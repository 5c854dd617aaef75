"""``regie billpay …``: the desks' certificate commands and ``import FILE``, the settlement
centre's files through the core's sync runs."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from regie.api import Establishment, NotFound, run_sync
from regie_billpay.certificates_cli import billpay
from regie_billpay.imports import KINDS


@billpay.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--establishment", "slug", required=True, help="Slug of the establishment.")
@click.option("--kind", type=click.Choice(sorted(KINDS)),
              help="What the file holds; by default told from its columns.")
@click.option("--encoding", help="Code page of a DBF file whose header does not say it "
                                 "(cp866 by default, cp1251 …).")
def import_file(file: Path, slug: str, kind: str | None, encoding: str | None) -> None:
    """Import a CSV or DBF file of the settlement centre: cities, payees, services,
    subscriber accounts or accruals. Importing it again changes nothing; a file with bad lines
    imports nothing and leaves the reject file in the run's documents."""
    runtime = click.get_current_context().find_root().obj.runtime
    with runtime.db.session() as session:
        establishment = session.scalar(select(Establishment).where(Establishment.slug == slug))
    if establishment is None:
        raise click.BadParameter(f"no establishment '{slug}'", param_hint="--establishment")
    code = f"billpay.{kind}" if kind else "billpay.centre"
    try:
        run = run_sync(runtime, establishment, code, file,
                       options={"encoding": encoding} if encoding else None)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{run.state}: {run.message}")
    if run.state != "succeeded":
        if run.reject_document_id:
            click.echo(f"Refused lines and reasons: regie sync rejects {run.id} -e {slug} > FILE")
        raise SystemExit(1)


__all__ = ["billpay"]
