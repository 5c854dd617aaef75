"""``regie user …``: accounts, passwords and roles per establishment."""

from __future__ import annotations

from typing import IO

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from regie.cli.common import (
    State,
    emit,
    format_option,
    pass_state,
    password_file_option,
    read_secret,
    show_generated_password,
)
from regie.i18n import gettext as _


@click.group()
def user() -> None:
    """User accounts and their roles in establishments."""


def _password(password_file: IO[str] | None) -> tuple[str, bool]:
    """The chosen password, or a random one; and whether it was generated."""
    from regie.services import users

    if password_file is not None:
        return read_secret(password_file), False
    return users.generate_password(), True


@user.command("create")
@click.argument("username")
@password_file_option()
@click.option("--email", default="", help="E-mail address.")
@click.option("--full-name", default="", help="Name shown in the audit log and pages.")
@click.option("--superuser", is_flag=True, help="Administers the whole deployment.")
@pass_state
def create(state: State, username: str, password_file: IO[str] | None, email: str,
           full_name: str, superuser: bool) -> None:
    """Create account USERNAME. Without --password-file, a random password is printed once."""
    from regie.services import users

    password, generated = _password(password_file)
    with state.runtime.db.transaction() as session:
        users.create(session, username, password, email=email, full_name=full_name,
                     is_superuser=superuser)
    click.echo(_("User '%(username)s' created.", username=username))
    if generated:
        show_generated_password(username, password)


@user.command("passwd")
@click.argument("username")
@password_file_option()
@pass_state
def passwd(state: State, username: str, password_file: IO[str] | None) -> None:
    """Set the password of USERNAME (and unlock the account). Without --password-file, a random
    password is printed once."""
    from regie.services import users

    password, generated = _password(password_file)
    with state.runtime.db.transaction() as session:
        users.set_password(session, users.by_username(session, username), password)
    click.echo(_("Password of '%(username)s' changed.", username=username))
    if generated:
        show_generated_password(username, password)


def _role_change(state: State, username: str, slug: str, role: str, granting: bool) -> bool:
    from regie.services import establishments, users

    runtime = state.runtime
    with runtime.db.transaction() as session:
        account = users.by_username(session, username)
        est = establishments.by_slug(session, slug)
        if granting:
            had = role in users.roles_of(session, account, est)
            users.grant(session, runtime.engine, account, est, role)
            return not had
        return users.revoke(session, account, est, role)


@user.command("grant")
@click.argument("username")
@click.argument("slug")
@click.argument("role")
@pass_state
def grant(state: State, username: str, slug: str, role: str) -> None:
    """Give USERNAME the role ROLE in establishment SLUG (roles: `regie user roles`)."""
    names = {"username": username, "role": role, "slug": slug}
    if _role_change(state, username, slug, role, granting=True):
        click.echo(_("'%(username)s' is now %(role)s in '%(slug)s'.", **names))
    else:
        click.echo(_("'%(username)s' already is %(role)s in '%(slug)s'.", **names))


@user.command("revoke")
@click.argument("username")
@click.argument("slug")
@click.argument("role")
@pass_state
def revoke(state: State, username: str, slug: str, role: str) -> None:
    """Take role ROLE in establishment SLUG away from USERNAME."""
    names = {"username": username, "role": role, "slug": slug}
    if _role_change(state, username, slug, role, granting=False):
        click.echo(_("'%(username)s' is no longer %(role)s in '%(slug)s'.", **names))
    else:
        click.echo(_("'%(username)s' was not %(role)s in '%(slug)s'.", **names))


@user.command("list")
@format_option
@pass_state
def list_users(state: State, output_format: str) -> None:
    """Every account with its roles (establishment:role)."""
    from regie.db.models import Establishment, User

    with state.runtime.db.session() as session:
        slugs = dict(session.execute(select(Establishment.id, Establishment.slug)).all())
        accounts = session.scalars(select(User).order_by(User.username)
                                   .options(selectinload(User.memberships)))
        rows = [{
            "username": account.username,
            "email": account.email,
            "full_name": account.full_name,
            "superuser": account.is_superuser,
            "active": account.active,
            "locked_until": account.locked_until,
            "roles": sorted(f"{slugs[membership.establishment_id]}:{membership.role}"
                            for membership in account.memberships),
        } for account in accounts]
    emit(rows, output_format, ["username", "email", "superuser", "active", "roles"])


@user.command("roles")
@format_option
@pass_state
def roles(state: State, output_format: str) -> None:
    """The roles that can be granted, from the core and the loaded plugins."""
    entries = state.runtime.engine.entries("regie_roles")
    emit([{"role": entry.item.code, "plugin": entry.plugin, "label": str(entry.item.label),
           "permissions": sorted(entry.item.permissions)} for entry in entries], output_format)
