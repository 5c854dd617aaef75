"""A real gunicorn on loopback terminating TLS with client certificates required
(``--cert-reqs 2 --ca-certs`` + the plugin's CRL check), and a client holding certificates
issued by ``regie billpay issue-cert``: the desk's own is accepted; none, another desk's and a
revoked one are refused (at the handshake, or by the page when the TLS layer cannot know)."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regie.testing.plugin import PASSWORD
from regie_billpay.certificates import CertificateAuthority
from regie_billpay.certificates_cli import billpay
from regie_billpay.models import Desk

from .conftest import SLUG

REPORTS = f"/{SLUG}/billpay/desk/reports?lang=en"
REFUSED_AT_HANDSHAKE = (ssl.SSLError, ConnectionResetError, BrokenPipeError,
                        http.client.RemoteDisconnected)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_certificate(folder):
    """A self-signed certificate for 127.0.0.1: the server's identity, not a desk's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    (folder / "server.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return folder / "server.crt", folder / "server.key"


def _issue(regie_runtime, code, out):
    result = CliRunner().invoke(billpay, ["issue-cert", "--establishment", SLUG, "--desk", code,
                                          "--out", str(out)],
                                obj=SimpleNamespace(runtime=regie_runtime))
    assert result.exit_code == 0, result.output
    stem = out / f"{SLUG}-desk-{code}"
    return stem.with_suffix(".crt"), stem.with_suffix(".key")


@pytest.fixture
def desks(regie_runtime, enable_plugin, town, centre, desk, cashier, tmp_path):
    """Certificates of K-01 (the cashier's desk), of K-02, and a revoked one of K-03."""
    enable_plugin(town, "billpay", require_client_certificate=True)
    with regie_runtime.db.transaction() as session:
        for code in ("K-02", "K-03"):
            session.add(Desk(establishment_id=town.id, code=code, name=code,
                             city_id=centre["city"]))
    issued = tmp_path / "issued"
    certificates = {code: _issue(regie_runtime, code, issued) for code in ("K-01", "K-02", "K-03")}
    result = CliRunner().invoke(billpay, ["revoke-cert", "--establishment", SLUG, "--desk",
                                          "K-03"], obj=SimpleNamespace(runtime=regie_runtime))
    assert result.exit_code == 0, result.output
    return certificates


@pytest.fixture
def gunicorn(regie_runtime, desks, tmp_path):
    """gunicorn serving the test instance over TLS, desk certificates required."""
    certfile, keyfile = _server_certificate(tmp_path)
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    port = _free_port()
    config = regie_runtime.config
    env = {**os.environ, "REGIE_INSTANCE": str(config.instance),
           "REGIE_SECRET_KEY": config["secret_key"], "REGIE_DATABASE_URL": config.database_url,
           "REGIE_TASKS_URL": config.tasks_url, "REGIE_PLUGINS": ",".join(config.plugins)}
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:regie_billpay.gunicorn_tls",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--certfile", str(certfile),
         "--keyfile", str(keyfile), "--ca-certs", str(authority.certificate_path),
         "--cert-reqs", "2", "regie.web:create_app()"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    server = SimpleNamespace(port=port, server_certificate=certfile, authority=authority)
    try:
        _wait_until_serving(server, desks["K-01"], process, tmp_path / "gunicorn.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_serving(server, certificate, process, log_path) -> None:
    """Until the worker answers a request (the port accepts connections before it is ready)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            if _Browser(server, certificate, timeout=5).request("GET", "/login")[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start: {log_path.read_text()}")
        time.sleep(0.5)


class _Browser:
    """An HTTPS client presenting (or not) a client certificate, keeping the session cookie."""

    def __init__(self, server, certificate=None, timeout: float = 30) -> None:
        self.server, self.timeout = server, timeout
        self.context = ssl.create_default_context(cafile=str(server.server_certificate))
        if certificate:
            self.context.load_cert_chain(*map(str, certificate))
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.server.port,
                                                 context=self.context, timeout=self.timeout)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:  # over https, Flask-WTF wants a same-origin Referer
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1:{self.server.port}{path}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def sign_in(self, username: str) -> None:
        from urllib.parse import urlencode

        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        status, _page = self.request("POST", "/login", urlencode(
            {"csrf_token": token.group(1), "username": username, "password": PASSWORD}))
        assert status == 302, "sign-in failed"


def test_the_handshake_refuses_no_certificate_and_a_revoked_one(gunicorn, desks):
    with pytest.raises(REFUSED_AT_HANDSHAKE):
        _Browser(gunicorn).request("GET", "/login")
    with pytest.raises(REFUSED_AT_HANDSHAKE):
        _Browser(gunicorn, desks["K-03"]).request("GET", "/login")
    assert _Browser(gunicorn, desks["K-02"]).request("GET", "/login")[0] == 200


def test_own_desk_opens_the_reports_another_desk_is_refused_and_revocation_counts_at_once(
        gunicorn, desks, cashier, regie_runtime):
    own = _Browser(gunicorn, desks["K-01"])
    own.sign_in(cashier.username)
    foreign = _Browser(gunicorn, desks["K-02"])
    foreign.sign_in(cashier.username)

    status, page = own.request("GET", REPORTS)
    foreign_status, foreign_page = foreign.request("GET", REPORTS)

    assert status == 200 and "K-01" in page and "Consolidated register" in page
    assert foreign_status == 403
    assert "certificate of desk K-02, which is not your desk" in foreign_page

    result = CliRunner().invoke(billpay, ["revoke-cert", "--establishment", SLUG, "--desk",
                                          "K-01"], obj=SimpleNamespace(runtime=regie_runtime))
    assert result.exit_code == 0, result.output
    with pytest.raises(REFUSED_AT_HANDSHAKE):
        own.request("GET", REPORTS)
