"""Delivering through an SMTP server with :mod:`smtplib`: one connection per batch, and every
failure named by the step it happened at (DNS, connection, TLS, authentication, sender,
recipient) so the "send a test mail" button can say exactly what to fix."""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from regie.api import CheckResult, DeliveryResult, OutgoingMail
from regie.api import gettext as _

PRIORITY_HEADERS = {"high": ("1 (Highest)", "high"), "low": ("5 (Lowest)", "low")}
DSN_NOTIFY = "NOTIFY=SUCCESS,FAILURE"


class SMTPProblem(Exception):
    """A delivery problem at ``step``; ``permanent`` when trying again cannot help."""

    def __init__(self, step: str, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.permanent = permanent


@attrs.frozen
class SMTPSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout: int = 30
    ca_file: str = ""
    read_receipt: bool = False
    delivery_receipt: bool = False
    priority: str = "normal"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SMTPSettings:
        known = {field.name for field in attrs.fields(cls)}
        chosen = {key: value for key, value in values.items()
                  if key in known and value not in (None, "")}
        return cls(**chosen)


@functools.cache
def _local_hostname() -> str:
    return socket.getfqdn()


class SMTPTransport:
    """The ``smtp`` transport of one establishment (see :class:`regie.api.Transport`)."""

    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> SMTPTransport:
        return cls(SMTPSettings.from_mapping(values))

    # --- the transport contract ------------------------------------------------------------

    def send(self, mails: Sequence[OutgoingMail]) -> list[DeliveryResult]:
        """Deliver on one connection; when the server drops a long batch, the message in flight
        fails (the outbox retries it) and the rest goes on over a new connection."""
        results: list[DeliveryResult] = []
        pending = list(mails)
        while pending:
            try:
                connection = self._connect()
            except SMTPProblem as problem:
                return results + [DeliveryResult.failed(mail.key, problem.message)
                                  for mail in pending]
            delivered_here = 0
            try:
                while pending:
                    results.append(self._attempt(connection, pending[0]))
                    pending.pop(0)
                    delivered_here += 1
            except SMTPProblem as problem:
                lost = pending if not delivered_here else pending[:1]
                results.extend(DeliveryResult.failed(mail.key, problem.message) for mail in lost)
                pending = pending[len(lost):]
            finally:
                _quit(connection)
        return results

    def check(self, mail: OutgoingMail) -> CheckResult:
        try:
            connection = self._connect()
            try:
                self._deliver(connection, mail)
            finally:
                _quit(connection)
        except SMTPProblem as problem:
            return CheckResult(False, problem.step, problem.message)
        return CheckResult(True, "delivered", _(
            "A test mail was handed to %(server)s for %(to)s.", server=self._server(),
            to=", ".join(mail.recipients)))

    # --- one connection ----------------------------------------------------------------------

    def _server(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        """An open, secured and authenticated connection; :class:`SMTPProblem` otherwise."""
        settings = self.settings
        if not settings.host:
            raise SMTPProblem("settings", _("No SMTP server is set: enter the server of your "
                                            "mail provider in the SMTP mail settings."))
        try:
            socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise SMTPProblem("dns", _(
                "The SMTP server name '%(host)s' cannot be resolved (DNS): %(error)s. Check "
                "the spelling of the server name.", host=settings.host,
                error=_reason(exc))) from None
        try:
            if settings.security == "ssl":
                connection = smtplib.SMTP_SSL(settings.host, settings.port,
                                              local_hostname=_local_hostname(),
                                              timeout=settings.timeout,
                                              context=self._tls_context())
            else:
                connection = smtplib.SMTP(settings.host, settings.port,
                                          local_hostname=_local_hostname(),
                                          timeout=settings.timeout)
        except ssl.SSLError as exc:
            raise self._tls_problem(exc) from None
        except TimeoutError:
            raise self._timeout_problem() from None
        except ConnectionRefusedError:
            raise SMTPProblem("connect", _(
                "The SMTP server %(server)s refused the connection: check the port, and that "
                "the server is running.", server=self._server())) from None
        except (OSError, smtplib.SMTPException) as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib wraps a silent server
                raise self._timeout_problem() from None
            raise SMTPProblem("connect", _(
                "Cannot connect to the SMTP server %(server)s: %(error)s",
                server=self._server(), error=_reason(exc))) from None
        try:
            self._secure_and_log_in(connection)
        except BaseException:
            _quit(connection)
            raise
        return connection

    def _secure_and_log_in(self, connection: smtplib.SMTP) -> None:
        settings = self.settings
        try:
            connection.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise SMTPProblem("tls", _(
                        "The SMTP server %(server)s does not offer STARTTLS: choose the security "
                        "your provider documents (SSL/TLS on port 465, or none on a trusted "
                        "network).", server=self._server()))
                connection.starttls(context=self._tls_context())
                connection.ehlo()
            if settings.username:
                connection.login(settings.username, settings.password)
        except ssl.SSLError as exc:
            raise self._tls_problem(exc) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SMTPProblem("auth", _(
                "Authentication failed for the user '%(user)s' on %(server)s: the server "
                "answered %(answer)s. Check the user name and password.",
                user=settings.username, server=self._server(), answer=_answer(exc))) from None
        except smtplib.SMTPNotSupportedError:
            raise SMTPProblem("auth", _(
                "The SMTP server %(server)s does not accept authentication on this connection: "
                "use STARTTLS or SSL/TLS, or leave the user name empty.",
                server=self._server())) from None
        except smtplib.SMTPException as exc:
            step = "auth" if settings.username else "connect"
            raise SMTPProblem(step, _("The SMTP server %(server)s refused the session: "
                                      "%(error)s", server=self._server(),
                                      error=_reason(exc))) from None
        except OSError as exc:
            raise SMTPProblem("connect", _("The connection to %(server)s was lost: %(error)s",
                                           server=self._server(), error=_reason(exc))) from None

    def _timeout_problem(self) -> SMTPProblem:
        return SMTPProblem("connect", _(
            "No answer from the SMTP server %(server)s within %(timeout)s seconds: check the "
            "server name and port, or a firewall.", server=self._server(),
            timeout=self.settings.timeout))

    def _tls_problem(self, exc: ssl.SSLError) -> SMTPProblem:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return SMTPProblem("tls", _(
                "The certificate of %(server)s cannot be trusted (%(error)s): check the server "
                "name, or the trusted certificate file for a private relay.",
                server=self._server(), error=exc.verify_message or _reason(exc)))
        return SMTPProblem("tls", _(
            "The TLS handshake with %(server)s failed (%(error)s): check the security setting "
            "against the port (SSL/TLS: 465, STARTTLS: 587).", server=self._server(),
            error=_reason(exc)))

    # --- one message -------------------------------------------------------------------------

    def _attempt(self, connection: smtplib.SMTP, mail: OutgoingMail) -> DeliveryResult:
        """The result of sending one message; a lost connection is raised for :meth:`send`."""
        try:
            return self._deliver(connection, mail)
        except SMTPProblem as problem:
            if problem.step == "connect":
                raise
            return DeliveryResult.failed(mail.key, problem.message, permanent=problem.permanent)

    def _deliver(self, connection: smtplib.SMTP, mail: OutgoingMail) -> DeliveryResult:
        """Send one message; :class:`SMTPProblem` at step ``connect`` when the connection is
        lost, at ``auth``/``sender``/``recipient``/``message`` when the server refuses it."""
        message = mail.message
        settings = self.settings
        if settings.read_receipt and "Disposition-Notification-To" not in message:
            message["Disposition-Notification-To"] = message.get("Reply-To") or message["From"]
        if settings.priority in PRIORITY_HEADERS and "X-Priority" not in message:
            message["X-Priority"], message["Importance"] = PRIORITY_HEADERS[settings.priority]
        rcpt_options = [DSN_NOTIFY] if settings.delivery_receipt and connection.has_extn(
            "dsn") else []
        try:
            refused = connection.send_message(message, from_addr=mail.sender,
                                              to_addrs=list(mail.recipients),
                                              rcpt_options=rcpt_options)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SMTPProblem("recipient", _(
                "Every recipient was refused: %(list)s", list=_refusals(exc.recipients)),
                permanent=all(code >= 500 for code, _text in exc.recipients.values())) from None
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code == 530:
                raise SMTPProblem("auth", _(
                    "The SMTP server %(server)s requires authentication: enter the user name "
                    "and password of your mail account.", server=self._server())) from None
            raise SMTPProblem("sender", _(
                "The server refused the sender %(sender)s: %(answer)s. Check the sender address "
                "the server allows.", sender=mail.sender, answer=_answer(exc)),
                permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPDataError as exc:
            raise SMTPProblem("message", _(
                "The server refused the message: %(answer)s", answer=_answer(exc)),
                permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise SMTPProblem("connect", _("The SMTP server %(server)s closed the connection: "
                                           "%(error)s", server=self._server(),
                                           error=_reason(exc))) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SMTPProblem("connect", _("Sending through %(server)s failed: %(error)s",
                                           server=self._server(), error=_reason(exc))) from None
        return DeliveryResult.sent(mail.key, {
            address: f"{code} {_text(text)}" for address, (code, text) in refused.items()})


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _answer(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_text(text)})" for address, (code, text)
                     in refused.items())


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
