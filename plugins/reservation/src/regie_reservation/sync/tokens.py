"""Per-school tokens of the sync API: create, rotate, revoke, authenticate.

A token reads ``<public id>.<secret>``; the database keeps the public id and the SHA-256 of the
secret (the secret has 256 random bits, so a fast hash is enough and a stolen database gives no
usable token). Rotating makes a new token and revokes the old one at once: the school pastes
the new one into the agent's configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from regie.api import Establishment, NotFound, Veto, audit, get_for, select_for, utcnow
from regie.api import gettext as _
from regie_reservation.sync.models import SyncToken


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(session: Session, establishment: Establishment, *, label: str = "",
           actor: str = "") -> tuple[SyncToken, str]:
    """A new token; returns the row and the token text, which is never shown again."""
    public_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = SyncToken(establishment_id=establishment.id, public_id=public_id,
                      secret_hash=_hash(secret), label=label.strip()[:100] or _("Agent"),
                      created_by=actor[:150], created_at=utcnow())
    session.add(token)
    session.flush()
    audit(session, "reservation.sync_token.create", establishment=establishment,
          actor=actor or "system", target=f"sync-token:{public_id}")
    return token, f"{public_id}.{secret}"


def tokens(session: Session, establishment: Establishment) -> list[SyncToken]:
    return list(session.scalars(select_for(establishment, SyncToken)
                                .order_by(SyncToken.revoked_at.is_not(None),
                                          SyncToken.created_at.desc())))


def _active(session: Session, establishment: Establishment, token_id: int) -> SyncToken:
    token = get_for(session, establishment, SyncToken, token_id)
    if token is None:
        raise NotFound(_("no sync token %(id)s here", id=token_id))
    if token.revoked_at is not None:
        raise Veto(_("token %(name)s is already revoked", name=token.public_id))
    return token


def revoke(session: Session, establishment: Establishment, token_id: int, *,
           actor: str = "") -> SyncToken:
    token = _active(session, establishment, token_id)
    token.revoked_at = utcnow()
    audit(session, "reservation.sync_token.revoke", establishment=establishment,
          actor=actor or "system", target=f"sync-token:{token.public_id}")
    return token


def rotate(session: Session, establishment: Establishment, token_id: int, *,
           actor: str = "") -> tuple[SyncToken, str]:
    """Replace token ``token_id`` by a new one with the same label; the old one stops
    working now."""
    old = _active(session, establishment, token_id)
    new, text = create(session, establishment, label=old.label, actor=actor)
    old.revoked_at = utcnow()
    old.replaced_by_id = new.id
    audit(session, "reservation.sync_token.rotate", establishment=establishment,
          actor=actor or "system", target=f"sync-token:{old.public_id}",
          details={"new": new.public_id})
    return new, text


def authenticate(session: Session, establishment: Establishment,
                 presented: str) -> SyncToken | None:
    """The active token of the establishment that ``presented`` is, or ``None``."""
    public_id, _dot, secret = presented.strip().partition(".")
    if not public_id or not secret:
        return None
    token = session.scalar(select_for(establishment, SyncToken,
                                      SyncToken.public_id == public_id))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    return token
