"""``regie billpay issue-cert | revoke-cert | crl``: the desks' client certificates."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from regie.api import Establishment, Veto, select_for
from regie_billpay.certificates import (
    CertificateAuthority,
    issue_for_desk,
    revoke_for_desk,
    revoke_serial,
    write_bundle,
)
from regie_billpay.models import Desk


def _runtime():
    return click.get_current_context().find_root().obj.runtime


def _desk(session, slug: str, code: str) -> tuple[Establishment, Desk]:
    establishment = session.scalar(select(Establishment).where(Establishment.slug == slug))
    if establishment is None:
        raise click.BadParameter(f"no establishment '{slug}'", param_hint="--establishment")
    desk = session.scalar(select_for(establishment, Desk, Desk.code == code))
    if desk is None:
        known = ", ".join(session.scalars(select_for(establishment, Desk).with_only_columns(
            Desk.code).order_by(Desk.code))) or "-"
        raise click.BadParameter(f"no desk '{code}' in '{slug}' (desks: {known})",
                                 param_hint="--desk")
    return establishment, desk


@click.group()
def billpay() -> None:
    """Utility cashier desks: client certificates and the settlement centre's files."""


@billpay.command("issue-cert")
@click.option("--establishment", "slug", required=True, help="Establishment slug.")
@click.option("--desk", "code", required=True, help="Desk code.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write DESK.key, DESK.crt and DESK.p12 into.")
@click.option("--p12-password-file", type=click.File("r"),
              help="Protect the PKCS#12 bundle with the password in this file (otherwise a "
                   "random one is printed once).")
def issue_cert(slug: str, code: str, out: Path, p12_password_file) -> None:
    """Issue a desk its client certificate (creating the deployment's CA on first use).

    A desk has one certificate: a new one revokes the previous one. Install the .p12 in the
    desk's browser; give nginx or gunicorn the CA and the CRL (see docs/billpay-tls.md).
    """
    runtime = _runtime()
    authority = CertificateAuthority.of_instance(runtime.config.instance)
    password = p12_password_file.read().strip() if p12_password_file else None
    with runtime.db.transaction() as session:
        establishment, desk = _desk(session, slug, code)
        issued, previous = issue_for_desk(session, authority, establishment, desk,
                                          pkcs12_password=password)
    revoke_serial(authority, previous, f"replaced by {issued.serial}")
    stem = f"{slug}-desk-{code}"
    for path in write_bundle(issued, out, stem):
        click.echo(f"wrote {path}")
    click.echo(f"serial {issued.serial}")
    click.echo(f"sha256 {issued.fingerprint}")
    click.echo(f"valid until {issued.not_after:%Y-%m-%d}")
    if previous:
        click.echo(f"revoked the previous certificate {previous}")
    if not password:
        click.echo(f"PKCS#12 password (shown once): {issued.pkcs12_password}")
    click.echo(f"CA certificate: {authority.certificate_path}")
    click.echo(f"revocation list: {authority.crl_path}")


@billpay.command("revoke-cert")
@click.option("--establishment", "slug", help="Establishment slug (with --desk).")
@click.option("--desk", "code", help="Revoke this desk's current certificate.")
@click.option("--serial", help="Revoke the certificate with this serial (hexadecimal).")
@click.option("--reason", default="", help="Why (kept in the revocation index).")
def revoke_cert(slug: str | None, code: str | None, serial: str | None, reason: str) -> None:
    """Revoke a desk's certificate (by desk, or by serial) and rewrite the CRL."""
    runtime = _runtime()
    authority = CertificateAuthority.of_instance(runtime.config.instance)
    if bool(serial) == bool(code):
        raise click.UsageError("give either --establishment and --desk, or --serial")
    try:
        if serial:
            done = authority.revoke(serial, reason=reason)
            click.echo(f"revoked {serial}" if done else f"{serial} was already revoked")
        else:
            if not slug:
                raise click.UsageError("--desk needs --establishment")
            with runtime.db.transaction() as session:
                establishment, desk = _desk(session, slug, code)
                revoked = revoke_for_desk(session, authority, establishment, desk,
                                          reason=reason)
            click.echo(f"revoked {revoked} (desk {code} has no certificate now)")
    except Veto as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revocation list: {authority.crl_path} (reload nginx)")


@billpay.command("crl")
def crl() -> None:
    """Sign a fresh revocation list (valid one year: run it from cron monthly)."""
    authority = CertificateAuthority.of_instance(_runtime().config.instance)
    try:
        path = authority.write_crl()
    except Veto as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"revocation list: {path} ({len(authority.revoked())} revoked)")
