"""``regie mail …``: the outbox from the command line, and the test mail of an establishment."""

from __future__ import annotations

import click

from regie.cli.common import State, emit, fail, format_option, pass_state
from regie.i18n import gettext as _


@click.group()
def mail() -> None:
    """The mail outbox: list, retry, abandon, resend; send a test mail."""


@mail.command("outbox")
@click.option("--establishment", "-e", "slug", metavar="SLUG", help="Only this establishment.")
@click.option("--state", "state_filter",
              type=click.Choice(["queued", "sending", "sent", "failed", "cancelled"]),
              help="Only mails in this state.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@format_option
@pass_state
def outbox_command(state: State, slug: str | None, state_filter: str | None, limit: int,
                   output_format: str) -> None:
    """List the most recent mails, newest first."""
    from sqlalchemy import select

    from regie.db.mail import MailMessage
    from regie.db.models import Establishment
    from regie.services import establishments
    from regie.services.mail import outbox

    with state.runtime.db.session() as session:
        statement = (select(MailMessage, Establishment.slug)
                     .join(Establishment, Establishment.id == MailMessage.establishment_id))
        if slug:
            statement = statement.where(
                MailMessage.establishment_id == establishments.by_slug(session, slug).id)
        if state_filter:
            statement = statement.where(MailMessage.state == state_filter)
        rows = session.execute(statement.order_by(MailMessage.id.desc()).limit(limit)).all()
        emit([{**outbox.summary(message), "establishment": place}
              for message, place in rows], output_format,
             ["id", "establishment", "state", "attempts", "to", "subject", "last_error"])


def _establishment_of(session, message_id: int):
    from regie.db.mail import MailMessage
    from regie.db.models import Establishment

    message = session.get(MailMessage, message_id)
    if message is None:
        fail(_("no mail %(id)s", id=message_id))
    return session.get(Establishment, message.establishment_id)


def _send_and_report(state: State, message_id: int) -> None:
    from regie.db.mail import MailMessage
    from regie.services.mail import outbox

    outbox.send_due(state.runtime, ids=[message_id])
    with state.runtime.db.session() as session:
        message = session.get(MailMessage, message_id)
        if message.state == "sent":
            click.echo(_("mail %(id)s sent", id=message_id))
            return
        fail(_("mail %(id)s not sent (%(state)s): %(reason)s", id=message_id,
               state=message.state, reason=message.last_error))


@mail.command("retry")
@click.argument("message_id", type=int)
@pass_state
def retry(state: State, message_id: int) -> None:
    """Send a failed or waiting mail again now."""
    from regie.services.mail import outbox

    with state.runtime.db.transaction() as session:
        outbox.retry(session, _establishment_of(session, message_id), message_id)
    _send_and_report(state, message_id)


@mail.command("cancel")
@click.argument("message_id", type=int)
@pass_state
def cancel(state: State, message_id: int) -> None:
    """Abandon a mail that was not sent (it stays listed)."""
    from regie.services.mail import outbox

    with state.runtime.db.transaction() as session:
        outbox.cancel(session, _establishment_of(session, message_id), message_id)
    click.echo(_("mail %(id)s abandoned", id=message_id))


@mail.command("resend")
@click.argument("message_id", type=int)
@click.option("--to", default="", help="Other recipients, separated by ';' (default: the same).")
@pass_state
def resend(state: State, message_id: int, to: str) -> None:
    """Send a copy of a mail (a new message), to its recipients or to --to."""
    from regie.services.mail import outbox

    runtime = state.runtime
    with runtime.db.transaction() as session:
        copy = outbox.resend(session, runtime, _establishment_of(session, message_id),
                             message_id, to=to or None)
        copy_id = copy.id
    click.echo(_("mail %(id)s queued as a copy of %(original)s", id=copy_id,
                 original=message_id))
    _send_and_report(state, copy_id)


@mail.command("test")
@click.option("--establishment", "-e", "slug", required=True, metavar="SLUG")
@click.option("--to", required=True, help="Where to send the test mail.")
@pass_state
def test(state: State, slug: str, to: str) -> None:
    """Send a test mail with the establishment's settings; success allows sending."""
    from regie.services import establishments
    from regie.services.mail.checks import send_test

    runtime = state.runtime
    with runtime.db.session() as session:
        place = establishments.by_slug(session, slug)
    result = send_test(runtime, place, to)
    if not result.ok:
        fail(_("the test mail failed at step '%(step)s': %(problem)s", step=result.step,
               problem=result.message))
    click.echo(result.message)
    click.echo(_("Mail can now be sent for %(slug)s.", slug=slug))
