"""The check that a cashier works from their desk: the TLS client certificate the server
verified must be the one issued to a desk the signed-in cashier belongs to.

The certificate comes from the TLS socket when gunicorn terminates TLS itself
(``--cert-reqs 2 --ca-certs ca.crt``), or from the header a reverse proxy sets after verifying
it (nginx ``ssl_verify_client on``; see ``docs/billpay-tls.md``). The header is read only when
the plugin setting ``certificate_header`` names it and the request comes straight from one of
the ``certificate_proxies`` addresses, so a browser cannot send one of its own. Whatever the
source, the certificate must be signed by the deployment's desk authority and not revoked.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote

from cryptography import x509
from flask import abort, make_response, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.api import Establishment, current_runtime, plugin_settings, select_for
from regie.api import gettext as _
from regie_billpay.certificates import CertificateAuthority, Presented
from regie_billpay.models import Desk, DeskCashier

SETTING_REQUIRE = "require_client_certificate"
SETTING_HEADER = "certificate_header"
SETTING_PROXIES = "certificate_proxies"
DEFAULT_PROXIES = "127.0.0.1, ::1"


def cashier_desks(session: Session, establishment: Establishment, user) -> list[Desk]:
    """The desks ``user`` is a cashier of, by code."""
    return list(session.scalars(select_for(establishment, Desk).where(
        Desk.id.in_(select(DeskCashier.desk_id).where(
            DeskCashier.establishment_id == establishment.id,
            DeskCashier.user_id == user.id))).order_by(Desk.code)))


def current_desk(session: Session, establishment: Establishment, user) -> Desk:
    """The desk the signed-in cashier works at, proven by the verified client certificate.

    Aborts with a 403 page saying what is wrong: the user is no cashier here, no certificate
    was presented, it is not one of this deployment's desk certificates, it was revoked, or it
    belongs to another desk. With the setting ``require_client_certificate`` off (demo, tests)
    the cashier's first desk is used.
    """
    desks = cashier_desks(session, establishment, user)
    if not desks:
        refuse(_("You are not a cashier of any desk here. A supervisor assigns cashiers to "
                 "desks."))
    settings = plugin_settings("billpay")
    if not settings.get(SETTING_REQUIRE, True):
        return desks[0]
    certificate = presented_certificate(settings)
    if certificate is None:
        refuse(_("This page needs your desk's client certificate, and the browser did not "
                 "present one. Install the desk certificate issued by the settlement centre "
                 "and open the site through its https address."))
    presented = CertificateAuthority.of_instance(current_runtime().config.instance).examine(
        certificate)
    return desk_for(presented, desks, establishment, session)


def desk_for(presented: Presented, desks: list[Desk], establishment: Establishment,
             session: Session) -> Desk:
    """The cashier's desk whose current certificate is ``presented``, or a 403 page."""
    if not presented.issued_here:
        refuse(_("The certificate presented was not issued by this settlement centre."))
    if presented.revoked:
        refuse(_("The certificate presented (serial %(serial)s) has been revoked. Ask the "
                 "settlement centre for a new one.", serial=presented.serial))
    for desk in desks:
        if desk.certificate_fingerprint == presented.fingerprint:
            return desk
    owner = session.scalar(select_for(establishment, Desk,
                                      Desk.certificate_fingerprint == presented.fingerprint))
    if owner is not None:
        refuse(_("This computer holds the certificate of desk %(desk)s, which is not your "
                 "desk. Work from your own desk.", desk=owner.code))
    refuse(_("The certificate presented is no longer the certificate of any desk here."))


def presented_certificate(settings) -> x509.Certificate | None:
    """The client certificate the TLS layer verified for this request, if any."""
    socket = request.environ.get("gunicorn.socket")
    getpeercert = getattr(socket, "getpeercert", None)
    if getpeercert is not None:
        der = getpeercert(binary_form=True)
        if der:
            return x509.load_der_x509_certificate(der)
    header = (settings.get(SETTING_HEADER) or "").strip()
    if header and _from_trusted_proxy(settings):
        value = request.headers.get(header, "").strip()
        if value:
            try:
                return x509.load_pem_x509_certificate(unquote(value).encode("ascii"))
            except ValueError:
                return None
    return None


def _from_trusted_proxy(settings) -> bool:
    allowed = settings.get(SETTING_PROXIES) or DEFAULT_PROXIES
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for item in allowed.replace(";", ",").split(","):
        item = item.strip()
        if item:
            try:
                if peer in ipaddress.ip_network(item, strict=False):
                    return True
            except ValueError:
                continue
    return False


def refuse(message: str):
    """Stop the request with the 403 page that says ``message``."""
    page = render_template("billpay/desk/refused.html", message=message)
    abort(make_response(page, 403))
