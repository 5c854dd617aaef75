"""The family portal's table: recent failed sign-ins (see :mod:`.throttle`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regie.api import Model, TenantMixin

ANY = ""
"""The login or the address of a counter that counts every login, or every address."""
LOGIN_LENGTH = 64
ADDRESS_LENGTH = 45


class SignInFailures(TenantMixin, Model):
    """Recent failed sign-ins to the portal of one login from one client address (``ANY``:
    from every address), or from one address to any login."""

    __tablename__ = "reservation_signin_failures"
    __table_args__ = (
        UniqueConstraint("establishment_id", "login", "address"),
        Index("ix_reservation_signin_failures_last", "establishment_id", "last_failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(LOGIN_LENGTH))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Failures in a row since the last lock, the last right password, or a quiet while."""
    last_failed_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]
