"""The IPN route Paybox calls server to server (``PBX_REPONDRE_A``).

Mounted as a callback (``/callbacks/<slug>/payments_paybox/ipn``: no session, no CSRF). The
raw bytes go to the core's notification path, which verifies them through the provider,
stores them and applies them exactly once. Paybox wants HTTP 200 with an empty body and no
redirect, or it e-mails the merchant a warning and does not retry: every request that reaches
this view gets exactly that, refused ones included (the core keeps them with the reason).

The browser returns (``PBX_EFFECTUE`` …) are the core's payer pages: they show the state the
server knows and never confirm money.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from regie.api import (
    RawRequest,
    current_establishment,
    current_runtime,
    plugin_settings,
    receive_notification,
)
from regie_paybox import settings as paybox_settings

log = logging.getLogger("regie_paybox.ipn")

PLUGIN = "payments_paybox"
METHOD = "paybox"
#: A genuine IPN is well under 2 KiB; larger requests are logged and dropped.
MAX_BYTES = 64 * 1024
KEPT_HEADERS = ("User-Agent", "Content-Type", "X-Forwarded-For", "X-Real-Ip")


def _empty() -> Response:
    return Response(b"", status=200, content_type="text/plain")


def ipn() -> Response:
    establishment = current_establishment()
    remote = request.remote_addr or ""
    config = paybox_settings.load(plugin_settings(PLUGIN), establishment.locale)
    if not config.ip_allowed(remote):
        if config.enforce_ips:
            log.warning("Paybox IPN for %s from %s refused: address not in the allow-list "
                        "(%s)", establishment.slug, remote, request.query_string[:200])
            return _empty()
        log.warning("Paybox IPN for %s from %s, outside the allow-list (warn only)",
                    establishment.slug, remote)
    if (request.content_length or 0) > MAX_BYTES or len(request.query_string) > MAX_BYTES:
        log.warning("Paybox IPN for %s from %s dropped: %s bytes", establishment.slug, remote,
                    request.content_length)
        return _empty()
    raw = RawRequest(
        method=request.method, query_string=request.query_string,
        body=request.get_data(cache=False) if request.method == "POST" else b"",
        remote_addr=remote,
        headers={name: request.headers[name] for name in KEPT_HEADERS if name in request.headers})
    try:
        result = receive_notification(current_runtime(), establishment, METHOD, raw)
    except Exception:
        log.exception("Paybox IPN for %s from %s could not be processed", establishment.slug,
                      remote)
        return _empty()
    log.info("Paybox IPN for %s: %s %s %s", establishment.slug, result.status,
             result.payment_state or "", result.reason)
    return _empty()


def callbacks() -> Blueprint:
    blueprint = Blueprint(f"plugin_{PLUGIN}", __name__)
    blueprint.add_url_rule("/ipn", "ipn", ipn, methods=["GET", "POST"])
    return blueprint
