"""gunicorn settings for desks that connect to gunicorn itself over TLS (no proxy in front):
the desk certificate authority's revocation list is checked at the handshake.

    gunicorn -c python:regie_billpay.gunicorn_tls --bind 0.0.0.0:443 \\
        --certfile server.crt --keyfile server.key \\
        --ca-certs INSTANCE/billpay-ca/ca.crt --cert-reqs 2 'regie.web:create_app()'

The list is ``REGIE_BILLPAY_CRL`` or ``$REGIE_INSTANCE/billpay-ca/crl.pem``, read again for
every connection (gunicorn builds the TLS context per connection), so a revocation counts at
once. A missing list refuses every connection rather than letting revoked desks in.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path


def crl_path() -> Path:
    explicit = os.environ.get("REGIE_BILLPAY_CRL")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("REGIE_INSTANCE") or "instance") / "billpay-ca" / "crl.pem"


def ssl_context(conf, default_ssl_context_factory):
    context = default_ssl_context_factory()
    context.load_verify_locations(cafile=str(crl_path()))
    context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context
