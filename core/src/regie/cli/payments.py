"""``regie accounts …``, ``regie payments …`` and ``regie ledger verify``.

Amounts are typed as people write them (``12,50``, ``12.50 €``) and read in the establishment's
locale; ``--format json`` gives amounts in minor units with their currency, for scripts.
"""

from __future__ import annotations

import datetime as dt
import getpass
import zoneinfo
from typing import Any

import click

from regie.cli.common import State, emit, emit_one, fail, format_option, parse_pairs, pass_state
from regie.i18n import gettext as _

establishment_option = click.option("--establishment", "-e", "slug", required=True,
                                    metavar="SLUG", help="The establishment.")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _place(session, slug: str):
    from regie.services import establishments

    return establishments.by_slug(session, slug)


def _amount(text: str, currency: str, locale: str, field: str = "amount") -> int:
    from regie.services.errors import Invalid
    from regie.services.money import MoneyError, parse

    try:
        return parse(text, currency, locale).amount
    except MoneyError as exc:
        raise Invalid({field: str(exc)}) from None


def _money(amount: int, currency: str, locale: str, output_format: str) -> Any:
    from regie.services.money import Money

    return amount if output_format == "json" else Money(amount, currency).format(locale)


def _day(value: dt.date | None, place, *, end: bool = False) -> dt.datetime | None:
    """Midnight (local time of the establishment) starting ``value``, or ending it."""
    if value is None:
        return None
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(), zoneinfo.ZoneInfo(place.timezone))


# --- accounts ------------------------------------------------------------------------------


@click.group()
def accounts() -> None:
    """Ledger accounts: one per payer (pupil, trader, subscriber, member).

    \b
    An account is named by its number or by KIND:OWNER (e.g. reservation.pupil:1234).
    """


def _account_row(account, place, output_format: str) -> dict[str, Any]:
    return {"id": account.id, "kind": account.kind, "owner": account.owner_key,
            "label": account.label, "currency": account.currency,
            "balance": _money(account.balance, account.currency, place.locale, output_format)}


@accounts.command("create")
@establishment_option
@click.option("--kind", required=True, help="What the owner is, e.g. reservation.pupil.")
@click.option("--owner", required=True, help="The owner's key in its module, e.g. 1234.")
@click.option("--label", default="", help="Name shown in lists and statements.")
@click.option("--currency", help="ISO 4217 code (default: the establishment's).")
@pass_state
def create_account(state: State, slug: str, kind: str, owner: str, label: str,
                   currency: str | None) -> None:
    """Open the account of OWNER (nothing changes when it exists)."""
    from regie.services import ledger

    with state.runtime.db.transaction() as session:
        account = ledger.open_account(session, _place(session, slug), kind=kind,
                                      owner_key=owner, label=label, currency=currency,
                                      actor=_actor())
        number = account.id
    click.echo(_("Account %(id)s: %(kind)s:%(owner)s", id=number, kind=kind, owner=owner))


@accounts.command("list")
@establishment_option
@click.option("--kind", help="Only accounts of this kind.")
@click.option("--search", default="", help="Part of the label or owner key.")
@format_option
@pass_state
def list_accounts(state: State, slug: str, kind: str | None, search: str,
                  output_format: str) -> None:
    """The establishment's accounts with their balance."""
    from regie.services import ledger

    with state.runtime.db.session() as session:
        place = _place(session, slug)
        rows = [_account_row(account, place, output_format)
                for account in ledger.accounts(session, place, kind=kind, search=search)]
    emit(rows, output_format)


@accounts.command("statement")
@click.argument("account")
@establishment_option
@format_option
@pass_state
def statement(state: State, account: str, slug: str, output_format: str) -> None:
    """The entries of ACCOUNT (number or KIND:OWNER) with the running balance."""
    from regie.services import ledger

    with state.runtime.db.session() as session:
        place = _place(session, slug)
        found = ledger.find_account(session, place, account)
        rows = [{"entry": entry.sequence, "date": entry.created_at, "kind": entry.kind,
                 "label": entry.label, "payment": entry.payment_id,
                 "amount": _money(entry.amount, entry.currency, place.locale, output_format),
                 "balance": _money(entry.balance_after, entry.currency, place.locale,
                                   output_format)}
                for entry in ledger.statement(session, found)]
        header = _account_row(found, place, output_format)
    if output_format == "json":
        emit_one({**header, "entries": rows}, output_format)
        return
    click.echo(f"{header['label']} ({header['kind']}:{header['owner']})")
    emit(rows, output_format)
    click.echo(_("Balance: %(balance)s", balance=header["balance"]))


# --- payments ------------------------------------------------------------------------------


@click.group()
def payments() -> None:
    """Payments: record money received, ask for a payment online, cancel, refund."""


def _payment_row(payment, place, output_format: str) -> dict[str, Any]:
    return {"id": payment.id, "created": payment.created_at, "method": payment.method,
            "reference": payment.reference, "account": payment.account_id,
            "amount": _money(payment.amount, payment.currency, place.locale, output_format),
            "currency": payment.currency, "state": payment.state,
            "refunded": _money(payment.refunded_amount, payment.currency, place.locale,
                               output_format),
            "receipt": payment.receipt_number}


@payments.command("record")
@establishment_option
@click.option("--account", required=True, help="Account number or KIND:OWNER.")
@click.option("--method", required=True,
              help="cash, cheque, transfer, card_on_site (or a plugin's manual method).")
@click.option("--amount", required=True, help="e.g. 12,50")
@click.option("--reference", default="", help="Unique per method (default: the next number).")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE",
              help="The method's details: number=… bank=… (cheque), transfer_reference=…, "
                   "slip_number=… (card on site).")
@click.option("--note", default="", help="Kept with the payment.")
@pass_state
def record(state: State, slug: str, account: str, method: str, amount: str, reference: str,
           fields: tuple[str, ...], note: str) -> None:
    """Record money received by hand: the account is credited and a receipt numbered."""
    from regie.services import ledger
    from regie.services import payments as service

    runtime = state.runtime
    with runtime.db.transaction() as session:
        place = _place(session, slug)
        found = ledger.find_account(session, place, account)
        payment = service.record_manual(
            session, runtime, place, account=found, method=method,
            amount=_amount(amount, found.currency, place.locale), reference=reference,
            fields=parse_pairs(fields, "--field"), note=note, actor=_actor())
        number, receipt, ref = payment.id, payment.receipt_number, payment.reference
    click.echo(_("Payment %(id)s recorded (reference %(reference)s, receipt %(receipt)s).",
                 id=number, reference=ref, receipt=receipt))


@payments.command("request")
@establishment_option
@click.option("--account", required=True, help="Account number or KIND:OWNER.")
@click.option("--amount", required=True, help="e.g. 12,50")
@click.option("--description", required=True, help="What the payer pays for (shown to them).")
@click.option("--email", default="", help="The payer's address (for the provider's receipt).")
@click.option("--expires-in-days", type=click.IntRange(1, 365), help="Link valid this long.")
@pass_state
def request(state: State, slug: str, account: str, amount: str, description: str, email: str,
            expires_in_days: int | None) -> None:
    """Ask a payer for an amount: prints the link they pay through, online."""
    from regie.db.base import utcnow
    from regie.services import ledger, payments_requests

    runtime = state.runtime
    with runtime.db.transaction() as session:
        place = _place(session, slug)
        if not _online_methods(runtime, place):
            fail(_("no online payment method is enabled for %(slug)s", slug=slug))
        found = ledger.find_account(session, place, account)
        expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        created = payments_requests.create_request(
            session, runtime, place, account=found,
            amount=_amount(amount, found.currency, place.locale), description=description,
            payer_email=email, expires_at=expires, actor=_actor())
        link = payments_requests.request_link(runtime, place, created)
    click.echo(link)


def _online_methods(runtime, place):
    from regie.services import payments as service

    return service.available_methods(runtime, place, online=True)


@payments.command("list")
@establishment_option
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (created).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--method", help="Only this method.")
@click.option("--state", "state_filter",
              type=click.Choice(["pending", "succeeded", "failed", "cancelled", "refunded",
                                 "needs_review"]), help="Only this state.")
@click.option("--reference", help="Part of the reference.")
@click.option("--account", help="Account number or KIND:OWNER.")
@format_option
@pass_state
def list_payments(state: State, slug: str, start: dt.datetime | None, end: dt.datetime | None,
                  method: str | None, state_filter: str | None, reference: str | None,
                  account: str | None, output_format: str) -> None:
    """Payments, newest first."""
    from regie.services import ledger
    from regie.services import payments as service

    with state.runtime.db.session() as session:
        place = _place(session, slug)
        account_id = ledger.find_account(session, place, account).id if account else None
        found = service.search(session, place, start=_day(start and start.date(), place),
                               end=_day(end and end.date(), place, end=True), method=method,
                               state=state_filter, reference=reference, account_id=account_id)
        rows = [_payment_row(payment, place, output_format) for payment in found]
    emit(rows, output_format)


def _history(session, payment, place) -> dict[str, dict[str, str]]:
    from regie.services import payments as service

    def money(amount: int) -> str:
        return _money(amount, payment.currency, place.locale, "table")

    def when(moment: dt.datetime) -> str:
        return moment.astimezone(zoneinfo.ZoneInfo(place.timezone)).strftime("%Y-%m-%d %H:%M:%S")

    return {
        "entries": {f"#{e.sequence}": f"{e.kind} {money(e.amount)}"
                    for e in service.entries_of(session, payment)},
        "refunds": {f"#{r.id}": f"{r.state} {money(r.amount)} {r.reason}".strip()
                    for r in service.refunds_of(session, payment)},
        "notifications": {f"#{n.id}": f"{when(n.received_at)} {n.status} {n.code} "
                                      f"{n.reason}".strip()
                          for n in service.notifications_of(session, payment)},
        "audit": {f"#{a.id}": f"{when(a.created_at)} {a.action} ({a.actor})"
                  for a in service.audit_trail(session, payment)},
    }


@payments.command("show")
@click.argument("payment_id", type=int)
@establishment_option
@format_option
@pass_state
def show(state: State, payment_id: int, slug: str, output_format: str) -> None:
    """A payment with its ledger entries, refunds, provider notifications and audit trail."""
    from regie.services import payments as service

    with state.runtime.db.session() as session:
        place = _place(session, slug)
        payment = service.get(session, place, payment_id)
        review = ({"reason": payment.review_reason, **payment.review_evidence}
                  if payment.state == "needs_review" else {})
        record = {
            **_payment_row(payment, place, output_format),
            "description": payment.description, "payer": payment.payer_email,
            "details": dict(payment.provider_data),
            "provider_reference": payment.provider_reference, "note": payment.note,
            "review": review, **_history(session, payment, place),
        }
    emit_one(record, output_format)


@payments.command("cancel")
@click.argument("payment_id", type=int)
@establishment_option
@click.option("--reason", default="", help="Kept with the payment.")
@pass_state
def cancel(state: State, payment_id: int, slug: str, reason: str) -> None:
    """Cancel a pending payment, or void one recorded today (its credit is reversed)."""
    from regie.services import payments as service

    runtime = state.runtime
    with runtime.db.transaction() as session:
        service.cancel(session, runtime, _place(session, slug), payment_id, reason=reason,
                       actor=_actor())
    click.echo(_("Payment %(id)s cancelled.", id=payment_id))


@payments.command("refund")
@click.argument("payment_id", type=int)
@establishment_option
@click.option("--amount", help="Default: all that was not refunded yet.")
@click.option("--reason", required=True, help="Kept with the refund.")
@click.option("--record-only", is_flag=True,
              help="The money was given back outside Régie: do not ask the provider.")
@pass_state
def refund(state: State, payment_id: int, slug: str, amount: str | None, reason: str,
           record_only: bool) -> None:
    """Give back (part of) a payment; online methods refund through their provider."""
    from regie.services import payments as service

    runtime = state.runtime
    with runtime.db.session() as session:
        place = _place(session, slug)
        payment = service.get(session, place, payment_id)
        value = _amount(amount, payment.currency, place.locale) if amount else None
        place_id, locale, currency = place.id, place.locale, payment.currency
    made = service.refund(runtime, place_id, payment_id, value, reason=reason, actor=_actor(),
                          through_provider=False if record_only else None)
    shown = _money(made.amount, currency, locale, "table")
    if made.state != "succeeded":
        fail(_("the provider refused the refund of %(amount)s: %(message)s", amount=shown,
               message=made.provider_message or "-"))
    click.echo(_("Refund of %(amount)s recorded on payment %(id)s.", amount=shown,
                 id=payment_id))


# --- ledger --------------------------------------------------------------------------------


@click.group()
def ledger() -> None:
    """The ledger's integrity."""


@ledger.command("verify")
@click.option("--establishment", "-e", "slug", metavar="SLUG",
              help="Only this establishment (default: all).")
@pass_state
def verify(state: State, slug: str | None) -> None:
    """Recompute every balance and the hash chain; exit 1 naming the first broken entry."""
    from sqlalchemy import select

    from regie.db.models import Establishment
    from regie.services import ledger as service

    db = state.runtime.db
    with db.session() as session:
        ids = [_place(session, slug).id] if slug else list(session.scalars(
            select(Establishment.id).order_by(Establishment.slug)))
    broken = False
    for establishment_id in ids:
        result = service.verify_establishment(db, establishment_id)
        broken |= not result.ok
        click.secho(result.summary(), fg=None if result.ok else "red", err=not result.ok)
        for problem in result.problems[1:10]:
            click.echo(f"  {problem}", err=True)
    if broken:
        raise SystemExit(1)
