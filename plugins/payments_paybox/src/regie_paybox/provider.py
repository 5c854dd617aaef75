"""The Paybox implementation of the core's online payment provider contract.

It parses and verifies; the core decides and records. Notes on what Paybox does not say:

- **Currency**: Paybox does not echo it. The currency travels in the HMAC-signed request
  (``PBX_DEVISE``), which the payer cannot change, so notifications leave ``currency`` empty
  and the core keeps the payment's own.
- **Merchant account**: the IPN names no site either. Its signature proves Paybox sent it, not
  for which merchant: someone with their own Paybox account could pay our reference there and
  point ``PBX_REPONDRE_A`` at us. By default notifications name the account of the
  establishment whose callback URL received them (``site/rang``), and the reconciliation
  (Paybox Direct inquiries with our credentials, the back-office export) is what proves the
  money reached our account. With ``confirm_by_inquiry`` on, every success is first confirmed
  by a Paybox Direct inquiry made with our credentials: only a confirmed one names our
  account; any other goes to review through the core's merchant check.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import attrs

from regie.api import (
    AutoSubmitForm,
    InvalidNotification,
    ProviderNotification,
    ProviderResult,
    Veto,
    gettext,
)
from regie_paybox import hosts, ppps, protocol
from regie_paybox import settings as paybox_settings

log = logging.getLogger("regie_paybox")

PAYBOX_KEY = protocol.key_file("paybox-public.pem")
TEST_KEY = protocol.key_file("TestK004.pub.pem")
#: Seconds the IPN waits for Paybox Direct when confirming a payment (Paybox waits for us).
INQUIRY_TIMEOUT = 5.0


class PayboxProvider:
    """One establishment's Paybox account, built by the core from the plugin's settings."""

    def __init__(self, settings: dict[str, Any], establishment: Any = None, *,
                 chooser: hosts.HostChooser | None = None, ppps_post: ppps.Post | None = None):
        self.establishment = establishment
        self.config = paybox_settings.load(settings, getattr(establishment, "locale", "fr"))
        self.chooser = chooser or hosts.default_chooser
        self.ppps_post = ppps_post or ppps.http_post

    # --- contract ---------------------------------------------------------------------------

    def merchant_account(self) -> str:
        return self.config.merchant

    def public_keys(self) -> tuple[bytes, ...]:
        """Keys whose signatures are accepted: Paybox's always (pre-production signs with it
        too), the TestK004 test key only in test mode."""
        return (PAYBOX_KEY, TEST_KEY) if self.config.test else (PAYBOX_KEY,)

    def start(self, payment, urls) -> AutoSubmitForm:
        email = payment.payer_email or self.config.fallback_email
        request = protocol.PaymentRequest(
            reference=payment.reference, amount=payment.amount, currency=payment.currency,
            email=email, succeeded_url=urls.succeeded, failed_url=urls.failed,
            cancelled_url=urls.cancelled, pending_url=urls.pending, notify_url=self.ipn_url(urls),
            language=self.config.language, payer_name=payment.payer_name,
            payer_address=payment.payer_address or {})
        try:
            fields = protocol.request_fields(self.config.account, request)
        except ValueError as exc:
            raise Veto(gettext("Paybox cannot take this payment: %(reason)s",
                               reason=str(exc))) from exc
        host = self.chooser.choose(self.config.page_hosts)
        return AutoSubmitForm(action=host + hosts.PAYMENT_PATH, fields=tuple(fields))

    def ipn_url(self, urls) -> str:
        """Our IPN route, which adds the optional IP allow-list and Paybox's empty answer to
        the core's notification path; the core's generic URL when the establishment is not
        known."""
        if self.establishment is None:
            return urls.notify
        base = self.establishment.base_url.rstrip("/")
        return f"{base}/callbacks/{self.establishment.slug}/payments_paybox/ipn"

    def parse_notification(self, request) -> ProviderNotification:
        raw = signed_bytes(request)
        if not any(protocol.verify_response(raw, key) for key in self.public_keys()):
            reason = "signature missing or invalid"
            if not self.config.test and protocol.verify_response(raw, TEST_KEY):
                reason = "signed with the TEST key, refused in production mode"
            raise InvalidNotification(reason)
        notification = self._notification(protocol.parse_response(raw))
        if notification.outcome == "succeeded" and self.config.confirm_by_inquiry:
            return self.confirmed(notification)
        return notification

    def confirmed(self, notification: ProviderNotification) -> ProviderNotification:
        """``notification`` naming our account when Paybox Direct, asked with our credentials,
        knows the transaction as paid; otherwise naming why not, which the core's merchant
        check sends to review, with Paybox Direct's answer among the details."""
        answer = self.ppps_client(timeout=INQUIRY_TIMEOUT).inquire(
            amount=notification.amount or 0,
            currency=getattr(self.establishment, "currency", "EUR"),
            reference=notification.reference,
            numappel=notification.details.get("appel", ""),
            numtrans=notification.details.get("trans", ""))
        status = answer.fields.get("STATUS", "")
        details = {**notification.details, "inquiry": {
            "code": answer.code, "comment": answer.comment[:500], "status": status}}
        if answer.ok and ppps.status_outcome(status) == "succeeded":
            return attrs.evolve(notification, details=details)
        log.warning("Paybox Direct does not confirm %s on %s: %s %s %s",
                    notification.reference, self.merchant_account(), answer.code,
                    answer.comment, status)
        return attrs.evolve(notification, details=details,
                            merchant=f"not confirmed by Paybox Direct ({answer.code})"[:100])

    def parse_return(self, request) -> ProviderNotification | None:
        try:
            return self.parse_notification(request)
        except InvalidNotification as exc:
            log.info("browser return not shown as verified: %s", exc)
            return None

    def _notification(self, values: dict[str, str]) -> ProviderNotification:
        reference = values.get("Ref", "")
        code = values.get("Erreur", "")
        trans = values.get("Trans", "")
        if not reference:
            raise InvalidNotification("no reference (Ref) in the notification")
        if not re.fullmatch(r"\d{5}", code):
            raise InvalidNotification(f"response code (Erreur) is not 5 digits: {code!r}")
        amount_text = values.get("Mt", "")
        if not re.fullmatch(r"\d{1,12}", amount_text):
            raise InvalidNotification(f"amount (Mt) is not a whole number: {amount_text!r}")
        described = protocol.describe_code(code)
        details = {"code": code, "trans": trans, "appel": values.get("Appel", ""),
                   "auto": values.get("Auto", "")}
        return ProviderNotification(
            event_key=f"{reference}:{trans}:{code}", reference=reference,
            outcome=described.outcome, amount=int(amount_text), currency=None,
            merchant=self.merchant_account(), provider_reference=trans, code=code,
            reason=described.label, details={key: value for key, value in details.items()
                                             if value})

    # --- Paybox Direct ----------------------------------------------------------------------

    def ppps_client(self, timeout: float = ppps.TIMEOUT) -> ppps.Client:
        return ppps.Client(self.config.account, self.config.ppps_urls, cle=self.config.ppps_key,
                           post=self.ppps_post, timeout=timeout)

    def transaction(self, payment) -> tuple[str, str]:
        """NUMTRANS and NUMAPPEL of a payment: from what the confirming notification said, or
        asked of Paybox Direct by reference when they were not kept."""
        data = payment.provider_data or {}
        trans = data.get("trans") or getattr(payment, "provider_reference", "")
        appel = data.get("appel", "")
        if trans and appel:
            return trans, appel
        answer = self.ppps_client().inquire(amount=payment.amount, currency=payment.currency,
                                            reference=payment.reference, numtrans=trans)
        if answer.ok:
            return answer.fields.get("NUMTRANS", trans), answer.fields.get("NUMAPPEL", appel)
        return trans, appel

    def refund(self, payment, amount: int) -> ProviderResult:
        trans, appel = self.transaction(payment)
        if not trans or not appel:
            return ProviderResult(ok=False, code="no-transaction",
                                  message="Paybox Direct knows no transaction for this payment")
        answer = self.ppps_client().refund(amount=amount, currency=payment.currency,
                                           reference=payment.reference, numappel=appel,
                                           numtrans=trans)
        return ProviderResult(ok=answer.ok, code=answer.code, message=answer.comment,
                              provider_reference=answer.fields.get("NUMTRANS", ""),
                              details=answer.fields)

    def inquire(self, payment) -> ProviderNotification | None:
        """What Paybox Direct knows of the payment, asked with our own credentials (so it also
        proves the transaction is on our account); ``None`` when it knows nothing final.

        Raises :class:`ppps.Unavailable` when Paybox Direct could not answer, so that silence
        is never mistaken for "Paybox has no such payment"."""
        data = payment.provider_data or {}
        answer = self.ppps_client().inquire(
            amount=payment.amount, currency=payment.currency, reference=payment.reference,
            numappel=data.get("appel", ""), numtrans=data.get("trans", ""))
        if answer.code in ppps.NO_ANSWER:
            raise ppps.Unavailable(f"Paybox Direct: {answer.code} {answer.comment}".strip())
        if not answer.ok:
            log.info("Paybox Direct inquiry for %s: %s %s", payment.reference, answer.code,
                     answer.comment)
            return None
        status = answer.fields.get("STATUS", "")
        outcome = ppps.status_outcome(status)
        if outcome is None:
            return None
        trans = answer.fields.get("NUMTRANS", "")
        code = "00000" if outcome == "succeeded" else ""
        return ProviderNotification(
            event_key=f"{payment.reference}:{trans}:inquiry:{protocol.ascii_text(status)}",
            reference=payment.reference, outcome=outcome, amount=payment.amount, currency=None,
            merchant=self.merchant_account(), provider_reference=trans, code=code,
            reason=f"Paybox Direct inquiry: {status}",
            details={"trans": trans, "appel": answer.fields.get("NUMAPPEL", ""),
                     "status": status, "source": "inquiry"})


def signed_bytes(request) -> bytes:
    """The bytes Paybox signed: the POST body (``PBX_RUF1=POST``) or the query string."""
    if request.method.upper() == "POST" and request.body:
        return request.body
    return request.query_string
