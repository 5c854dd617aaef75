"""``regie paybox …``: the simulator, signed test notifications, reconciliation."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import click

from regie_paybox.reconcile import ExportError


def _runtime():
    return click.get_current_context().find_root().obj.runtime


def _bind(value: str) -> tuple[str, int]:
    host, _sep, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("use HOST:PORT, e.g. 127.0.0.1:8089")
    return host, int(port)


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.group()
def paybox() -> None:
    """Paybox tools: simulator, signed notifications, reconciliation."""


@paybox.command()
@click.option("--bind", default="127.0.0.1:8089", show_default=True, help="HOST:PORT to serve.")
@click.option("--hmac-key", envvar="REGIE_PAYBOX_SIMULATOR_HMAC_KEY",
              help="Check the forms' HMAC with this key, as Paybox does (otherwise the page "
                   "warns that it was not checked).")
def simulate(bind: str, hmac_key: str | None) -> None:
    """Serve a stand-in for Paybox's payment page (test mode only, no real money).

    Set the establishment's "Payment page hosts" to this address (http://127.0.0.1:8089),
    pay from Régie, and choose the answer: the simulator sends the notification, signed with
    the TEST key, and sends the browser back.
    """
    from werkzeug.serving import run_simple

    from regie_paybox.protocol import check_hmac_key
    from regie_paybox.simulator import Simulator

    if hmac_key and check_hmac_key(hmac_key):
        raise click.BadParameter(check_hmac_key(hmac_key), param_hint="--hmac-key")
    host, port = _bind(bind)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    click.echo(f"Paybox simulator on http://{host}:{port} — responses signed with the TEST key")
    if not hmac_key:
        click.secho("Forms are not HMAC-checked (give --hmac-key to check them).", fg="yellow")
    run_simple(host, port, Simulator(hmac_key=hmac_key), threaded=True)


@paybox.command("simulate-ipn")
@click.option("--establishment", "slug", required=True, help="Establishment slug.")
@click.option("--reference", required=True, help="Reference of an existing Paybox payment.")
@click.option("--code", default="00000", show_default=True, help="Response code (E).")
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Send the same notification N times (it must count once).")
@click.option("--amount", type=click.IntRange(0), help="Amount in minor units (default: the "
              "payment's), to train on a mismatch.")
@click.option("--url", help="IPN address (default: base_url's route of the establishment).")
def simulate_ipn(slug: str, reference: str, code: str, repeat: int, amount: int | None,
                 url: str | None) -> None:
    """Send a TEST-key-signed notification for a payment to the running server."""
    from regie_paybox.operations import simulate_ipn as send

    if not (code.isdigit() and len(code) == 5):
        raise click.BadParameter("a response code has 5 digits, e.g. 00000", param_hint="--code")
    try:
        statuses = send(_runtime(), slug, reference, code=code, repeat=repeat, amount=amount,
                        url=url)
    except OSError as exc:
        raise click.ClickException(f"the server did not answer: {exc}") from None
    for number, status in enumerate(statuses, 1):
        click.echo(f"{number}: HTTP {status}")


@paybox.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--establishment", "slug", required=True, help="Establishment slug.")
@click.option("--from", "start", help="First day (YYYY-MM-DD), included.")
@click.option("--to", "end", help="Last day (YYYY-MM-DD), included.")
@click.option("--apply", is_flag=True, help="Record the payments Paybox took that Régie "
              "missed, through the normal confirmation path.")
@click.option("--mapping", multiple=True, metavar="COLUMN=HEADER",
              help="Which header holds reference, amount, date, state, transaction or currency "
                   '(e.g. --mapping reference="Ref. commande"); repeat as needed.')
@click.option("--encoding", help="File encoding (default: UTF-8, else Latin-1).")
@click.option("--delimiter", help="Column separator (default: guessed, usually ';').")
@click.option("--cents", is_flag=True, help="Amounts are in cents (1250), not 12,50.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True)
def reconcile(file: Path, slug: str, start: str | None, end: str | None, apply: bool,
              mapping: tuple[str, ...], encoding: str | None, delimiter: str | None,
              cents: bool, output_format: str) -> None:
    """Compare a Paybox back-office CSV export with Régie's Paybox payments.

    Exits with status 3 when something differs (and nothing was applied).
    """
    from regie_paybox.operations import reconcile_export

    columns = {}
    for item in mapping:
        name, sep, header = item.partition("=")
        if not sep or not header.strip():
            raise click.BadParameter(f"{item!r}: use COLUMN=HEADER", param_hint="--mapping")
        columns[name.strip()] = header.strip()
    if delimiter == "\\t":
        delimiter = "\t"
    try:
        report = reconcile_export(
            _runtime(), slug, file.read_bytes(), first=_day(start), last=_day(end),
            mapping=columns,
            encoding=encoding, delimiter=delimiter, minor_units=cents, apply=apply)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, default=str, ensure_ascii=False))
    else:
        _print_report(report, _money_formatter(slug))
    if not report.clean and not apply:
        sys.exit(3)


def _money_formatter(slug: str):
    from regie.api import Money, format_money
    from regie_paybox.operations import establishment_by_slug

    with _runtime().db.session() as session:
        place = establishment_by_slug(session, slug)
        currency, locale = place.currency, place.locale
    return lambda amount: format_money(Money(amount, currency), locale)


def _print_report(report, money) -> None:
    sections = (
        ("At Paybox, not in Régie", report.at_paybox_only),
        ("In Régie, not at Paybox", report.in_regie_only),
        ("Amount or state differs", report.mismatches),
        ("Recorded now", report.applied),
    )
    for title, items in sections:
        click.secho(f"{title}: {len(items)}", bold=True)
        for item in items:
            click.echo("  " + "  ".join(
                f"{key}={money(value) if key in ('amount', 'regie_amount') else value}"
                for key, value in item.items() if value not in ("", None)))
    for problem in report.problems:
        click.secho(f"  ! {problem}", fg="yellow")
    if report.clean:
        click.secho("Everything matches.", fg="green")
