"""Client certificates of the cashier desks: one certificate authority per deployment, one
certificate per desk, and the revocation list the TLS front end (nginx or gunicorn) checks.

The authority lives in ``<instance>/billpay-ca/``: ``ca.key`` (readable by the owner only),
``ca.crt`` (what nginx's ``ssl_client_certificate`` and gunicorn's ``--ca-certs`` name),
``crl.pem`` (nginx's ``ssl_crl``) and ``revoked.json`` (the serials revoked, the source of the
CRL). A desk row keeps the serial and the SHA-256 fingerprint of its current certificate;
issuing a new certificate for a desk revokes the previous one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from regie.api import Veto, audit
from regie.api import gettext as _

CA_FOLDER = "billpay-ca"
CA_YEARS = 20
CERTIFICATE_DAYS = 2 * 365
CRL_DAYS = 365


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, lowercase hex: what a desk row stores."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def serial_text(serial: int) -> str:
    return format(serial, "x")


@attrs.frozen
class IssuedCertificate:
    """A desk's new certificate: PEM key and certificate, and a PKCS#12 bundle for browsers
    protected by ``pkcs12_password``."""

    key_pem: bytes
    certificate_pem: bytes
    pkcs12: bytes
    pkcs12_password: str
    serial: str
    fingerprint: str
    not_after: dt.datetime


@attrs.frozen
class Presented:
    """What the authority says about a certificate a client presented."""

    certificate: x509.Certificate
    serial: str
    fingerprint: str
    issued_here: bool
    revoked: bool


class CertificateAuthority:
    """The deployment's authority for desk certificates, kept in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def of_instance(cls, instance: Path) -> CertificateAuthority:
        return cls(Path(instance) / CA_FOLDER)

    @property
    def key_path(self) -> Path:
        return self.folder / "ca.key"

    @property
    def certificate_path(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def crl_path(self) -> Path:
        return self.folder / "crl.pem"

    @property
    def revoked_path(self) -> Path:
        return self.folder / "revoked.json"

    def exists(self) -> bool:
        return self.key_path.exists() and self.certificate_path.exists()

    def ensure(self, name: str = "Régie billpay desks CA") -> None:
        """Create the authority (key, self-signed certificate, empty CRL) unless it exists."""
        if self.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
        _write_private(self.key_path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self._write_revoked({})
        self.write_crl()

    def certificate(self) -> x509.Certificate:
        self._require()
        return x509.load_pem_x509_certificate(self.certificate_path.read_bytes())

    def _key(self):
        self._require()
        return serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)

    def _require(self) -> None:
        if not self.exists():
            raise Veto(_("The desk certificate authority does not exist yet in %(folder)s: "
                            "issue a first certificate to create it.", folder=str(self.folder)))

    def issue(self, *, common_name: str, organisation: str,
              pkcs12_password: str | None = None) -> IssuedCertificate:
        """A new client certificate (TLS client authentication only) signed by the authority."""
        self.ensure()
        ca_certificate, ca_key = self.certificate(), self._key()
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        not_after = now + dt.timedelta(days=CERTIFICATE_DAYS)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=True, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
        password = pkcs12_password or secrets.token_urlsafe(12)
        bundle = pkcs12.serialize_key_and_certificates(
            common_name.encode(), key, certificate, [ca_certificate],
            serialization.BestAvailableEncryption(password.encode()))
        return IssuedCertificate(
            key_pem=key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()),
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
            pkcs12=bundle, pkcs12_password=password,
            serial=serial_text(certificate.serial_number),
            fingerprint=fingerprint(certificate), not_after=not_after)

    def revoked(self) -> dict[str, dict]:
        if not self.revoked_path.exists():
            return {}
        return json.loads(self.revoked_path.read_text(encoding="utf-8"))

    def _write_revoked(self, revoked: dict[str, dict]) -> None:
        self.revoked_path.write_text(json.dumps(revoked, indent=2, sort_keys=True),
                                     encoding="utf-8")

    def revoke(self, serial: str, *, reason: str = "") -> bool:
        """Revoke the certificate ``serial`` (hex) and rewrite the CRL. False when it already
        was revoked."""
        self._require()
        serial = _normal_serial(serial)
        revoked = self.revoked()
        if serial in revoked:
            return False
        revoked[serial] = {"revoked_at": _now().isoformat(timespec="seconds"), "reason": reason}
        self._write_revoked(revoked)
        self.write_crl()
        return True

    def write_crl(self) -> Path:
        """Sign a fresh CRL valid :data:`CRL_DAYS` days (nginx refuses every client once its
        CRL expires: re-run ``regie billpay crl`` from cron well before)."""
        ca_certificate, ca_key = self.certificate(), self._key()
        now = _now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(ca_certificate.subject)
                   .last_update(now)
                   .next_update(now + dt.timedelta(days=CRL_DAYS)))
        for serial, entry in self.revoked().items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial, 16))
                .revocation_date(dt.datetime.fromisoformat(entry["revoked_at"]))
                .build())
        crl = builder.sign(ca_key, hashes.SHA256())
        self.crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_path

    def examine(self, certificate: x509.Certificate) -> Presented:
        """Whether ``certificate`` was signed by this authority and is revoked."""
        try:
            certificate.verify_directly_issued_by(self.certificate())
            issued_here = True
        except (InvalidSignature, ValueError, TypeError):
            issued_here = False
        serial = serial_text(certificate.serial_number)
        return Presented(certificate=certificate, serial=serial,
                         fingerprint=fingerprint(certificate), issued_here=issued_here,
                         revoked=serial in self.revoked())


def _normal_serial(serial: str) -> str:
    cleaned = serial.strip().lower().replace(":", "")
    try:
        return serial_text(int(cleaned, 16))
    except ValueError:
        raise Veto(_("'%(serial)s' is not a certificate serial (hexadecimal digits).",
                        serial=serial)) from None


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def write_bundle(issued: IssuedCertificate, folder: Path, stem: str) -> list[Path]:
    """Write ``stem.key`` (owner only), ``stem.crt`` and ``stem.p12`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    key, certificate, bundle = (folder / f"{stem}.key", folder / f"{stem}.crt",
                                folder / f"{stem}.p12")
    _write_private(key, issued.key_pem)
    certificate.write_bytes(issued.certificate_pem)
    _write_private(bundle, issued.pkcs12)
    return [key, certificate, bundle]


def issue_for_desk(session, authority: CertificateAuthority, establishment, desk, *,
                   user=None, pkcs12_password: str | None = None) -> tuple[IssuedCertificate,
                                                                          str | None]:
    """Issue ``desk`` a new certificate and make it the desk's one; returns it with the serial
    of the previous certificate, which the caller revokes once the transaction commits
    (:func:`revoke_serial`) so a failed commit never locks the desk out."""
    issued = authority.issue(common_name=f"{establishment.slug} desk {desk.code}",
                             organisation=establishment.name[:64],
                             pkcs12_password=pkcs12_password)
    previous = desk.certificate_serial
    desk.certificate_serial = issued.serial
    desk.certificate_fingerprint = issued.fingerprint
    audit(session, "billpay.certificate_issued", establishment=establishment, user=user,
          actor="" if user else "cli", target=f"desk:{desk.code}",
          details={"serial": issued.serial, "fingerprint": issued.fingerprint,
                   "replaces": previous})
    return issued, previous


def revoke_for_desk(session, authority: CertificateAuthority, establishment, desk, *,
                    user=None, reason: str = "") -> str:
    """Revoke the desk's current certificate (the desk has none afterwards); returns its
    serial. :class:`Veto` when the desk has no certificate."""
    serial = desk.certificate_serial
    if not serial:
        raise Veto(_("Desk %(desk)s has no certificate to revoke.", desk=desk.code))
    authority.revoke(serial, reason=reason or f"desk {desk.code}")
    desk.certificate_serial = None
    desk.certificate_fingerprint = None
    audit(session, "billpay.certificate_revoked", establishment=establishment, user=user,
          actor="" if user else "cli", target=f"desk:{desk.code}",
          details={"serial": serial, "reason": reason})
    return serial


def revoke_serial(authority: CertificateAuthority, serial: str | None, reason: str) -> None:
    if serial:
        authority.revoke(serial, reason=reason)
