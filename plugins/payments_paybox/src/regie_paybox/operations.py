"""What the CLI and the scheduled task do with an instance: reconcile, recover pending
payments through Paybox Direct, send a signed test notification. Money is only ever recorded
through the core's notification path."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import urllib.request
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from regie.api import (
    Establishment,
    EstablishmentView,
    NotFound,
    ProviderNotification,
    Veto,
    apply_notification,
    audit,
    find_payments,
    payment_view,
    utcnow,
)
from regie.api import gettext as _
from regie_paybox import ppps, protocol, reconcile
from regie_paybox.provider import PayboxProvider

log = logging.getLogger("regie_paybox")

PLUGIN = "payments_paybox"
METHOD = "paybox"
PENDING_AFTER = dt.timedelta(hours=1)
#: How far back the weekly task looks for pending payments.
LOOK_BACK = dt.timedelta(days=35)
#: The audit action of a reconciliation report; its target is the source (``inquiry``,
#: ``export``), its details the report's lists and the run's parameters.
RECONCILIATION = "payments_paybox.reconciliation"


def establishment_by_slug(session, slug: str) -> Establishment:
    establishment = session.scalar(select(Establishment).where(Establishment.slug == slug))
    if establishment is None:
        raise NotFound(_("no establishment '%(slug)s'", slug=slug))
    return establishment


def plugin_settings_of(establishment: Establishment) -> dict[str, Any]:
    for row in establishment.plugins:
        if row.plugin == PLUGIN and row.enabled:
            return dict(row.settings or {})
    raise Veto(_("Paybox is not enabled for %(slug)s", slug=establishment.slug))


def provider_of(runtime, establishment: Establishment, **options: Any) -> PayboxProvider:
    view = EstablishmentView(
        id=establishment.id, slug=establishment.slug, name=establishment.name,
        currency=establishment.currency, locale=establishment.locale,
        base_url=runtime.config["base_url"].rstrip("/"))
    return PayboxProvider(plugin_settings_of(establishment), view, **options)


def find_payment(session, establishment: Establishment, reference: str):
    for payment in find_payments(session, establishment, method=METHOD, reference=reference):
        if payment.reference == reference:
            return payment
    raise NotFound(_("no Paybox payment with reference '%(reference)s' in %(slug)s",
                     reference=reference, slug=establishment.slug))


def _regie_payment(payment) -> reconcile.RegiePayment:
    return reconcile.RegiePayment(payment.id, payment.reference, payment.amount, payment.state,
                                  payment.created_at)


def _record(runtime, establishment_id: int, source: str, report: reconcile.Report,
            **extra: Any) -> None:
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment_id)
        audit(session, RECONCILIATION, establishment=place, actor=PLUGIN,
              target=source, details={**extra, **report.as_dict()})


# --- back-office export ---------------------------------------------------------------------


def reconcile_export(runtime, slug: str, data: bytes, *, first: dt.date | None = None,
                     last: dt.date | None = None, mapping: Mapping[str, str] | None = None,
                     encoding: str | None = None, delimiter: str | None = None,
                     minor_units: bool = False, apply: bool = False,
                     actor: str = "cli") -> reconcile.Report:
    """Compare a back-office export with Régie's Paybox payments from day ``first`` to day
    ``last`` included (days of the establishment's time zone, in which the export's dates
    are written too); with ``apply``, record what Paybox took and Régie missed."""
    with runtime.db.session() as session:
        place = establishment_by_slug(session, slug)
        provider = provider_of(runtime, place)
        rows, problems = reconcile.read_export(
            data, currency=place.currency, mapping=mapping, encoding=encoding,
            delimiter=delimiter, minor_units=minor_units)
        zone = zoneinfo.ZoneInfo(place.timezone)
        start = dt.datetime.combine(first, dt.time(), zone) if first else None
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone) if last else None
        rows = [row for row in rows if row.date is None or (
            (start is None or row.date >= start.replace(tzinfo=None))
            and (end is None or row.date < end.replace(tzinfo=None)))]
        known = {}
        for reference in {row.reference for row in rows}:
            try:
                known[reference] = _regie_payment(find_payment(session, place, reference))
            except NotFound:
                continue
        period = [_regie_payment(payment) for payment in find_payments(
            session, place, method=METHOD, start=start, end=end)]
        establishment_id = place.id
    report = reconcile.compare(rows, known, period)
    report.problems.extend(problems)
    if apply:
        for item in reconcile.to_apply(report):
            trans = item["transaction"] or f"export-line-{item['line']}"
            notification = ProviderNotification(
                event_key=f"{item['reference']}:{trans}:00000", reference=item["reference"],
                outcome="succeeded", amount=item["amount"], currency=None,
                merchant=provider.merchant_account(), provider_reference=item["transaction"],
                code="00000", reason="Paybox back-office export",
                details={"trans": item["transaction"], "source": "export",
                         "line": item["line"], "by": actor})
            result = apply_notification(runtime, establishment_id, METHOD, notification,
                                        source="reconciliation")
            report.applied.append({"reference": item["reference"], "status": result.status,
                                   "payment_state": result.payment_state,
                                   "reason": result.reason})
    _record(runtime, establishment_id, "export", report, applied_by=actor if apply else "",
            first=str(first or ""), last=str(last or ""))
    return report


# --- Paybox Direct --------------------------------------------------------------------------


def reconcile_pending(runtime, establishment: Establishment, *, now: dt.datetime | None = None,
                      provider: PayboxProvider | None = None) -> reconcile.Report:
    """Ask Paybox Direct about every Paybox payment still pending an hour after it began (the
    "paid but never recorded" recovery) and record what Paybox says."""
    now = now or utcnow()
    with runtime.db.session() as session:
        place = session.get(Establishment, establishment.id)
        provider = provider or provider_of(runtime, place)
        pending = [payment_view(payment) for payment in find_payments(
            session, place, method=METHOD, state="pending", start=now - LOOK_BACK,
            end=now - PENDING_AFTER)]
    report = reconcile.Report()
    for payment in pending:
        try:
            notification = provider.inquire(payment)
        except ppps.Unavailable as exc:
            log.warning("Paybox Direct inquiry for %s: %s", payment.reference, exc)
            report.problems.append(f"{payment.reference}: {exc}")
            continue
        if notification is None:
            report.in_regie_only.append({"reference": payment.reference,
                                         "payment_id": payment.id, "amount": payment.amount,
                                         "state": "pending"})
            continue
        result = apply_notification(runtime, establishment.id, METHOD, notification,
                                    source="inquiry")
        report.applied.append({"reference": payment.reference, "outcome": notification.outcome,
                               "status": result.status, "payment_state": result.payment_state,
                               "reason": result.reason})
    _record(runtime, establishment.id, "inquiry", report, asked=len(pending))
    return report


# --- signed test notifications --------------------------------------------------------------


Send = Callable[[str], int]


def http_get(url: str) -> int:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - checked above
        response.read()
        return response.status


def signed_ipn_query(reference: str, amount: int, code: str, *, trans: str, appel: str) -> str:
    """An IPN query string as Paybox sends it for our ``PBX_RETOUR``, signed with TestK004."""
    values = {"Mt": str(amount), "Ref": reference, "Auto": "XXXXXX" if code == "00000" else "",
              "Erreur": code, "Trans": trans, "Appel": appel}
    signed = "&".join(f"{name}={quote(values[name], safe='')}"
                      for name, _letter in protocol.RETURN_VARIABLES[:-1] if values.get(name))
    return f"{signed}&{protocol.SIGNATURE_NAME}=" + protocol.sign_response(
        signed, protocol.key_file("TestK004.prv.pem"))


def simulate_ipn(runtime, slug: str, reference: str, *, code: str = "00000",
                 repeat: int = 1, amount: int | None = None, url: str | None = None,
                 send: Send = http_get) -> list[int]:
    """Send ``repeat`` copies of a TestK004-signed IPN for an existing payment to the running
    server; the HTTP statuses, in order. Refused in production mode, whose IPN route accepts
    only the Paybox key."""
    with runtime.db.session() as session:
        place = establishment_by_slug(session, slug)
        provider = provider_of(runtime, place)
        payment = find_payment(session, place, reference)
        if not provider.config.test:
            raise Veto(_("%(slug)s is in production mode: it accepts only notifications signed "
                         "by Paybox, not the TEST key", slug=slug))
        target = url or (f"{runtime.config['base_url'].rstrip('/')}/callbacks/{place.slug}/"
                         f"{PLUGIN}/ipn")
        trans = secrets.choice("123456789") + "".join(secrets.choice("0123456789")
                                                      for _ in range(7))
        query = signed_ipn_query(payment.reference, payment.amount if amount is None else amount,
                                 code, trans=trans, appel=f"9{trans}")
    return [send(f"{target}?{query}") for _ in range(repeat)]
