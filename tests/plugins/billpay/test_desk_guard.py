"""Cashier pages open only with the verified certificate of the cashier's own desk, here as
the TLS proxy passes it (nginx ``ssl_verify_client on`` and a header only it sets); the real
TLS handshake under gunicorn is in ``test_tls_gunicorn.py``. Pages are read in English, the
language the messages are written in."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regie.api import Establishment
from regie_billpay.certificates import CertificateAuthority, issue_for_desk
from regie_billpay.models import Desk

from .conftest import SLUG

HEADER = "X-Client-Certificate"
PAGES = [f"/{SLUG}/billpay/?lang=en", f"/{SLUG}/billpay/desk/reports?lang=en"]


@pytest.fixture
def guarded(enable_plugin, town):
    enable_plugin(town, "billpay", require_client_certificate=True, certificate_header=HEADER,
                  certificate_proxies="127.0.0.1")


def _issue(regie_runtime, town, desk_id) -> bytes:
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    with regie_runtime.db.transaction() as session:
        issued, _previous = issue_for_desk(session, authority, session.get(Establishment, town.id),
                                           session.get(Desk, desk_id))
    return issued.certificate_pem


@pytest.fixture
def other_desk(regie_runtime, town, centre) -> int:
    with regie_runtime.db.transaction() as session:
        desk = Desk(establishment_id=town.id, code="K-02", name="Каса 2", city_id=centre["city"])
        session.add(desk)
        session.flush()
        return desk.id


def _header(pem: bytes) -> dict:
    return {HEADER: quote(pem.decode())}  # as nginx's $ssl_client_escaped_cert


@pytest.mark.parametrize("page", PAGES)
def test_own_desk_certificate_opens_the_cashier_pages(guarded, cashier_client, regie_runtime,
                                                      town, desk, page):
    pem = _issue(regie_runtime, town, desk)

    response = cashier_client.get(page, headers=_header(pem))

    assert response.status_code == 200
    assert "K-01" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_without_certificate_the_page_says_to_install_it(guarded, cashier_client, regie_runtime,
                                                         town, desk, page):
    _issue(regie_runtime, town, desk)

    response = cashier_client.get(page)

    assert response.status_code == 403
    assert "did not present one" in response.get_data(as_text=True)


def test_another_desks_certificate_is_refused_naming_that_desk(
        guarded, cashier_client, regie_runtime, town, desk, other_desk):
    _issue(regie_runtime, town, desk)
    foreign = _issue(regie_runtime, town, other_desk)

    response = cashier_client.get(PAGES[1], headers=_header(foreign))

    assert response.status_code == 403
    assert "certificate of desk K-02, which is not your desk" in response.get_data(as_text=True)


def test_revoked_and_replaced_certificates_are_refused(guarded, cashier_client, regie_runtime,
                                                       town, desk):
    old = _issue(regie_runtime, town, desk)
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    authority.revoke(format(x509.load_pem_x509_certificate(old).serial_number, "x"))
    current = _issue(regie_runtime, town, desk)

    refused = cashier_client.get(PAGES[1], headers=_header(old))
    accepted = cashier_client.get(PAGES[1], headers=_header(current))

    assert refused.status_code == 403 and "has been revoked" in refused.get_data(as_text=True)
    assert accepted.status_code == 200


def test_certificate_of_another_authority_is_refused(guarded, cashier_client, regie_runtime,
                                                     town, desk):
    _issue(regie_runtime, town, desk)
    forged = _self_signed("kremenchuk desk K-01")

    response = cashier_client.get(PAGES[1], headers=_header(forged))

    assert response.status_code == 403
    assert "not issued by this settlement centre" in response.get_data(as_text=True)


def test_header_from_an_untrusted_address_is_ignored(guarded, cashier_client, regie_runtime,
                                                     town, desk):
    pem = _issue(regie_runtime, town, desk)

    response = cashier_client.get(PAGES[1], headers=_header(pem),
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"})

    assert response.status_code == 403
    assert "did not present one" in response.get_data(as_text=True)


def test_a_user_who_is_no_cashier_of_any_desk_is_told_so(guarded, signed_in, town, desk):
    client = signed_in(roles={town: ["billpay.cashier"]})

    response = client.get(PAGES[1])

    assert response.status_code == 403
    assert "not a cashier of any desk" in response.get_data(as_text=True)


def _self_signed(common_name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)
