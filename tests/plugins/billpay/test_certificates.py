"""``regie billpay issue-cert | revoke-cert | crl``: a CA per deployment in the instance
folder, one certificate per desk (key, certificate, PKCS#12 for the browser), revocation."""

from __future__ import annotations

from types import SimpleNamespace

from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from regie_billpay.certificates import CertificateAuthority, fingerprint
from regie_billpay.certificates_cli import billpay
from regie_billpay.models import Desk

from .conftest import SLUG


def _run(regie_runtime, *args):
    return CliRunner().invoke(billpay, list(args), obj=SimpleNamespace(runtime=regie_runtime),
                              catch_exceptions=False)


def _desk(regie_runtime, desk_id) -> Desk:
    with regie_runtime.db.transaction() as session:
        desk = session.get(Desk, desk_id)
        session.expunge(desk)
        return desk


def _crl_serials(authority) -> set[int]:
    crl = x509.load_pem_x509_crl(authority.crl_path.read_bytes())
    assert crl.is_signature_valid(authority.certificate().public_key())
    return {entry.serial_number for entry in crl}


def test_issue_cert_writes_a_client_certificate_the_desk_is_bound_to(
        regie_runtime, desk, tmp_path):
    password_file = tmp_path / "p12-password"
    password_file.write_text("desk-secret-1\n")
    out = tmp_path / "issued"

    result = _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-01",
                  "--out", str(out), "--p12-password-file", str(password_file))

    assert result.exit_code == 0, result.output
    stem = f"{SLUG}-desk-K-01"
    assert {path.name for path in out.iterdir()} == {f"{stem}.key", f"{stem}.crt", f"{stem}.p12"}
    assert (out / f"{stem}.key").stat().st_mode & 0o077 == 0
    certificate = x509.load_pem_x509_certificate((out / f"{stem}.crt").read_bytes())
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    certificate.verify_directly_issued_by(authority.certificate())
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    key, bundled, _cas = pkcs12.load_key_and_certificates(
        (out / f"{stem}.p12").read_bytes(), b"desk-secret-1")
    assert bundled == certificate and key is not None
    stored = _desk(regie_runtime, desk)
    assert stored.certificate_fingerprint == fingerprint(certificate)
    assert stored.certificate_serial == format(certificate.serial_number, "x")
    assert stored.certificate_fingerprint in result.output
    assert "password (shown once)" not in result.output
    assert (regie_runtime.config.instance / "billpay-ca" / "ca.key").stat().st_mode & 0o077 == 0


def test_a_new_certificate_revokes_the_previous_one(regie_runtime, desk, tmp_path):
    _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-01",
         "--out", str(tmp_path / "first"))
    first = _desk(regie_runtime, desk).certificate_serial

    result = _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-01",
                  "--out", str(tmp_path / "second"))

    second = _desk(regie_runtime, desk).certificate_serial
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    assert second != first
    assert _crl_serials(authority) == {int(first, 16)}
    assert f"revoked the previous certificate {first}" in result.output
    assert "PKCS#12 password (shown once): " in result.output


def test_revoke_cert_by_desk_leaves_the_desk_without_certificate(regie_runtime, desk,
                                                                 tmp_path):
    _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-01",
         "--out", str(tmp_path))
    serial = _desk(regie_runtime, desk).certificate_serial

    result = _run(regie_runtime, "revoke-cert", "--establishment", SLUG, "--desk", "K-01",
                  "--reason", "stolen laptop")

    assert result.exit_code == 0, result.output
    stored = _desk(regie_runtime, desk)
    assert stored.certificate_serial is None and stored.certificate_fingerprint is None
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    assert int(serial, 16) in _crl_serials(authority)
    assert authority.revoked()[serial]["reason"] == "stolen laptop"
    again = _run(regie_runtime, "revoke-cert", "--serial", serial)
    assert "already revoked" in again.output


def test_bad_requests_say_what_is_wrong(regie_runtime, desk, tmp_path):
    out = tmp_path / "out"
    unknown_desk = _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-99",
                        "--out", str(out))
    unknown_place = _run(regie_runtime, "issue-cert", "--establishment", "nowhere", "--desk",
                         "K-01", "--out", str(out))
    nothing_to_revoke = _run(regie_runtime, "revoke-cert", "--establishment", SLUG, "--desk",
                             "K-01")
    both = _run(regie_runtime, "revoke-cert", "--serial", "ab", "--desk", "K-01")
    crl_without_ca = _run(regie_runtime, "crl")

    assert unknown_desk.exit_code != 0 and "desks: K-01" in unknown_desk.output
    assert unknown_place.exit_code != 0 and "no establishment 'nowhere'" in unknown_place.output
    assert nothing_to_revoke.exit_code != 0
    assert "K-01 has no certificate to revoke" in nothing_to_revoke.output
    assert both.exit_code != 0 and "either" in both.output
    assert crl_without_ca.exit_code != 0 and "does not exist yet" in crl_without_ca.output
    assert not out.exists()
    assert not CertificateAuthority.of_instance(regie_runtime.config.instance).exists()


def test_crl_command_signs_a_fresh_list(regie_runtime, desk, tmp_path):
    _run(regie_runtime, "issue-cert", "--establishment", SLUG, "--desk", "K-01",
         "--out", str(tmp_path))
    _run(regie_runtime, "revoke-cert", "--establishment", SLUG, "--desk", "K-01")
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    authority.crl_path.unlink()

    result = _run(regie_runtime, "crl")

    assert result.exit_code == 0 and "1 revoked" in result.output
    assert len(_crl_serials(authority)) == 1
    crl = x509.load_pem_x509_crl(authority.crl_path.read_bytes())
    assert (crl.next_update_utc - crl.last_update_utc).days >= 300
