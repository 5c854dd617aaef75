"""A real SMTP server for tests (aiosmtpd in a thread): STARTTLS or implicit TLS with a
self-signed certificate made on the spot, AUTH PLAIN/LOGIN, per-recipient refusals, optional DSN,
and stop/start on the same port to play an outage.

Exposed as the ``smtp_server`` and ``make_smtp_server`` fixtures of the ``regie`` pytest plugin.
Needs the ``testing`` extra of ``regie`` (aiosmtpd, cryptography).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import attrs


@attrs.frozen
class Certificate:
    """A self-signed certificate for ``localhost`` and ``127.0.0.1``; ``cert_file`` is also the
    CA file a client trusts to verify it."""

    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, folder: Path) -> Certificate:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return cls(cert_file, key_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@attrs.frozen
class ReceivedMail:
    """One message the server accepted: its envelope and its content, parsed."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    rcpt_options: tuple[str, ...] = ()
    authenticated_as: str | None = None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SMTPTestServer:
    """An SMTP server on ``host:port`` that keeps what it receives in :attr:`received`.

    ``tls`` is ``"starttls"`` (offered, not required), ``"ssl"`` (implicit TLS) or ``None``.
    With ``username``/``password``, AUTH PLAIN and LOGIN accept exactly those (and, with
    ``auth_required``, mail is refused without them). ``refuse(address)`` makes RCPT answer 550
    for that address; ``dsn=True`` advertises DSN and accepts its parameters.
    """

    def __init__(self, folder: Path, *, tls: str | None = "starttls", username: str | None = None,
                 password: str | None = None, auth_required: bool = False, dsn: bool = False,
                 host: str = "127.0.0.1") -> None:
        if tls not in ("starttls", "ssl", None):
            raise ValueError("tls must be 'starttls', 'ssl' or None")
        self.host = host
        self.port = free_port(host)
        self.tls = tls
        self.username = username
        self.password = password
        self.auth_required = auth_required
        self.dsn = dsn
        self.certificate = Certificate.create(folder) if tls else None
        self.received: list[ReceivedMail] = []
        self.refused: dict[str, str] = {}
        self._arrived = threading.Condition()
        self._controller = None

    @property
    def ca_file(self) -> str:
        """The file a client trusts to verify the server's certificate."""
        return str(self.certificate.cert_file) if self.certificate else ""

    def smtp_settings(self) -> dict[str, object]:
        """Settings of the ``mail_smtp`` plugin that deliver to this server."""
        return {"host": self.host, "port": self.port, "security": self.tls or "none",
                "username": self.username or "", "password": self.password or "",
                "ca_file": self.ca_file, "timeout": 10}

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SMTPTestServer:
        if self._controller is None:
            self._controller = self._make_controller()
            self._controller.start()
        return self

    def stop(self) -> None:
        """Close the port: clients get "connection refused" until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        self.refused[address.lower()] = reply

    def accept(self, address: str) -> None:
        self.refused.pop(address.lower(), None)

    def clear(self) -> None:
        with self._arrived:
            self.received.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """The received messages once there are at least ``count``; AssertionError after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} message(s), the SMTP server "
                                         f"received {len(self.received)}")
                self._arrived.wait(left)
            return list(self.received)

    def _store(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.received.append(mail)
            self._arrived.notify_all()

    def _make_controller(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        server = self

        def authenticate(_server, _session, _envelope, mechanism, auth_data):
            good = (isinstance(auth_data, LoginPassword) and server.username is not None
                    and auth_data.login.decode() == server.username
                    and auth_data.password.decode() == server.password)
            return AuthResult(success=good, handled=False, auth_data=auth_data)

        class Handler:
            async def handle_EHLO(self, _server, _session, _envelope, hostname, responses):
                _session.host_name = hostname
                if server.dsn:
                    responses.insert(-1, "250-DSN")
                return responses

            async def handle_RCPT(self, _server, _session, envelope, address, rcpt_options):
                reply = server.refused.get(address.lower())
                if reply:
                    return reply
                envelope.rcpt_tos.append(address)
                envelope.rcpt_options.extend(rcpt_options)
                return "250 OK"

            async def handle_DATA(self, _server, session, envelope):
                login = session.auth_data.login.decode() if isinstance(
                    session.auth_data, LoginPassword) else None
                server._store(ReceivedMail(
                    envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content),
                    tuple(envelope.rcpt_options), login))
                return "250 Message accepted for delivery"

        class DSNAwareSMTP(SMTP):
            """Accepts the DSN parameters of RCPT (NOTIFY, ORCPT) when DSN is advertised."""

            def _getparams(self, params):
                parsed = super()._getparams(params)
                if server.dsn and parsed is not None:
                    for name in ("NOTIFY", "ORCPT", "RET", "ENVID"):
                        parsed.pop(name, None)
                return parsed

        class TestController(Controller):
            def factory(self):
                return DSNAwareSMTP(self.handler, **self.SMTP_kwargs)

        options: dict = {
            "hostname": self.host, "port": self.port, "authenticator": authenticate,
            "auth_required": self.auth_required, "auth_require_tls": self.tls is not None,
            "server_hostname": "localhost", "ready_timeout": 10.0,
        }
        if self.tls == "starttls":
            options["tls_context"] = self.certificate.server_context()
        elif self.tls == "ssl":
            options["ssl_context"] = self.certificate.server_context()
        return TestController(Handler(), **options)
