"""The audit trail: every administrative change is recorded in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from regie.db.base import utcnow
from regie.db.models import AuditEvent, Establishment, User

_INSERT = insert(AuditEvent.__table__)


def values(action: str, *, establishment: Establishment | None = None, user: User | None = None,
           actor: str = "", target: str = "", details: dict[str, Any] | None = None,
           ip: str = "") -> dict[str, Any]:
    """The columns of an audit event (see :func:`record`), for a statement that writes it
    with other rows (:func:`regie.services.ledger.post_locked`)."""
    return {
        "establishment_id": establishment.id if establishment else None,
        "user_id": user.id if user else None,
        "actor": actor or (user.username if user else "system"),
        "action": action,
        "target": target,
        "details": details or {},
        "ip": ip,
        "created_at": utcnow(),
    }


def record(session: Session, action: str, *, establishment: Establishment | None = None,
           user: User | None = None, actor: str = "", target: str = "",
           details: dict[str, Any] | None = None, ip: str = "") -> None:
    """Write an audit event in the session's transaction; ``actor`` defaults to the user's
    name (``cli`` for commands). ``establishment`` and ``user`` must have their ids.

    One plain insert, now: the trail is written on every change of money and settings, and
    the ORM's unit of work for a row nobody reads back cost more than the insert."""
    session.connection().execute(_INSERT, values(
        action, establishment=establishment, user=user, actor=actor, target=target,
        details=details, ip=ip))


def latest(session: Session, establishment: Establishment, action: str) -> AuditEvent | None:
    """The establishment's most recent ``action`` event (the last report a task kept, …)."""
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.establishment_id == establishment.id, AuditEvent.action == action)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(1))
