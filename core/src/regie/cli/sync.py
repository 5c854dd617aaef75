"""``regie sync …``: the sync sources of the loaded plugins, running one on a file, and the
record of past runs."""

from __future__ import annotations

from pathlib import Path

import click

from regie.cli.common import State, emit, fail, format_option, pass_state
from regie.i18n import gettext as _


@click.group()
def sync() -> None:
    """Import files from outside through the plugins' sync sources."""


@sync.command("sources")
@format_option
@pass_state
def sources_command(state: State, output_format: str) -> None:
    """List the sync sources of the loaded plugins."""
    runtime = state.runtime
    emit([{"code": entry.item.code, "plugin": entry.plugin, "label": str(entry.item.label),
           "files": " ".join(entry.item.suffixes), "description": str(entry.item.description)}
          for entry in runtime.engine.entries("regie_sync_sources")], output_format,
         ["code", "plugin", "label", "files", "description"])


@sync.command("run")
@click.argument("code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--establishment", "-e", "slug", metavar="SLUG", required=True)
@pass_state
def run_command(state: State, code: str, path: Path, slug: str) -> None:
    """Run the sync source CODE on the file PATH for an establishment.

    Exits 1 when the file is refused (the reject file is stored with the run: `regie sync
    list` shows its number) and 2 when it could not be read at all."""
    from regie.services import establishments
    from regie.services.errors import NotFound
    from regie.services.sync import run_sync

    runtime = state.runtime
    with runtime.db.session() as session:
        try:
            establishment = establishments.by_slug(session, slug)
            run = run_sync(runtime, establishment, code, path)
        except NotFound as exc:
            fail(str(exc))
    click.echo(f"{run.source} {run.filename}: {run.state}. {run.message}")
    if run.reject_document_id:
        click.echo(_("Refused lines and reasons: regie sync rejects %(run)d -e %(slug)s > FILE",
                     run=run.id, slug=slug))
    if run.state == "failed":
        raise SystemExit(2)
    if run.state != "succeeded":
        raise SystemExit(1)


@sync.command("list")
@click.option("--establishment", "-e", "slug", metavar="SLUG", required=True)
@click.option("--source", help="Only the runs of this source.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@format_option
@pass_state
def list_command(state: State, slug: str, source: str | None, limit: int,
                 output_format: str) -> None:
    """The most recent runs, newest first."""
    from regie.services import establishments
    from regie.services.errors import NotFound
    from regie.services.sync import history

    with state.runtime.db.session() as session:
        try:
            establishment = establishments.by_slug(session, slug)
        except NotFound as exc:
            fail(str(exc))
        emit([{"id": run.id, "source": run.source, "state": run.state, "file": run.filename,
               "imported": run.imported, "unchanged": run.unchanged, "rejected": run.rejected,
               "finished": run.finished_at.isoformat(timespec="seconds")
               if run.finished_at else "", "message": run.message}
              for run in history(session, establishment, source=source, limit=limit)],
             output_format, ["id", "source", "state", "file", "imported", "unchanged",
                             "rejected", "finished", "message"])


@sync.command("rejects")
@click.argument("run_id", type=int)
@click.option("--establishment", "-e", "slug", metavar="SLUG", required=True)
@pass_state
def rejects_command(state: State, run_id: int, slug: str) -> None:
    """Write the reject file of a run to standard output."""
    from regie.db.sync import SyncRun
    from regie.db.tenancy import get_for
    from regie.services import documents, establishments
    from regie.services.errors import NotFound

    with state.runtime.db.session() as session:
        try:
            establishment = establishments.by_slug(session, slug)
        except NotFound as exc:
            fail(str(exc))
        run = get_for(session, establishment, SyncRun, run_id)
        if run is None:
            fail(_("no sync run %(id)d in %(establishment)s", id=run_id, establishment=slug))
        if not run.reject_document_id:
            fail(_("sync run %(id)d refused no line", id=run_id))
        document = documents.fetch(session, establishment, run.reject_document_id)
        click.echo(document.content, nl=False)
