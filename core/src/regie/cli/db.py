"""``regie db``: migrate the database of the core and of the loaded plugins, and check it."""

from __future__ import annotations

import click

from regie.cli.common import emit, fail, format_option, pass_state
from regie.db import migrations
from regie.i18n import gettext as _
from regie.i18n import ngettext


@click.group()
def db() -> None:
    """Migrate the database (the core's history and one per loaded plugin).

    Problems (database unreachable, migrations pending or unknown) end with exit code 1.
    """


@db.command()
@click.option("--target", default="heads", show_default=True,
              help="heads, <history>@head, <history>@+1 or a revision id.")
@pass_state
def upgrade(state, target: str) -> None:
    """Apply the migrations not applied yet."""
    applied = migrations.upgrade(state.runtime, target)
    if not applied:
        click.echo(_("The database is up to date: nothing to apply."))
        return
    click.echo(ngettext("Applied %(num)d migration:", "Applied %(num)d migrations:",
                        len(applied)))
    for line in applied:
        click.echo(f"  {line}")


@db.command()
@click.argument("target")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_state
def downgrade(state, target: str, yes: bool) -> None:
    """Revert migrations down to TARGET: <history>@base (drops that plugin's tables),
    <history>@-1, a revision id, or base (drops every table)."""
    if not yes:
        click.confirm(_("Reverting migrations can drop tables and the data in them. Revert "
                        "down to %(target)s?", target=target), abort=True)
    reverted = migrations.downgrade(state.runtime, target)
    if not reverted:
        click.echo(_("Nothing to revert: the database is already at %(target)s.",
                     target=target))
        return
    click.echo(ngettext("Reverted %(num)d migration:", "Reverted %(num)d migrations:",
                        len(reverted)))
    for line in reverted:
        click.echo(f"  {line}")


@db.command()
@format_option
@pass_state
def current(state, output_format: str) -> None:
    """Show where each history stands in the database."""
    runtime = state.runtime
    applied = migrations.current(runtime)
    rows = []
    for history, head in migrations.heads(runtime).items():
        revision = applied.get(history)
        if revision is None:
            status = _("not applied")
        elif revision == head:
            status = _("up to date")
        else:
            status = _("behind")
        rows.append({"history": history, "revision": revision or "", "head": head,
                     "status": status})
    emit(rows, output_format, ["history", "revision", "head", "status"])


@db.command()
@format_option
@pass_state
def heads(state, output_format: str) -> None:
    """Show the last revision of each history and the folder of its files."""
    runtime = state.runtime
    folders = migrations.branches(runtime)
    rows = [{"history": history, "head": head, "folder": str(folders[history])}
            for history, head in migrations.heads(runtime).items()]
    emit(rows, output_format, ["history", "head", "folder"])


@db.command()
@pass_state
def check(state) -> None:
    """Exit 1 when the models and the migrations differ (the database must be up to date)."""
    differences = migrations.check(state.runtime)
    if differences:
        click.echo(ngettext(
            "%(num)d difference between the models and the migrations:",
            "%(num)d differences between the models and the migrations:", len(differences)),
            err=True)
        for difference in differences:
            click.echo(f"  - {difference}", err=True)
        fail(_("write a migration: regie db revision --plugin NAME -m MESSAGE --autogenerate"))
    click.echo(_("The models and the migrations agree."))


@db.command()
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--plugin", required=True,
              help=f"The plugin whose history gets the revision ('{migrations.CORE_BRANCH}' "
                   "for the core).")
@click.option("--autogenerate", is_flag=True,
              help="Fill it with what the models have and the database lacks.")
@pass_state
def revision(state, message: str, plugin: str, autogenerate: bool) -> None:
    """Write a new revision file in a plugin's migrations package (for developers)."""
    path = migrations.revision(state.runtime, message, plugin, autogenerate=autogenerate)
    if path is None:
        click.echo(_("The models and the database agree: no revision written."))
        return
    click.echo(_("Wrote %(path)s: review it before committing.", path=str(path)))
