"""What a revoked badge opens: a page saying when and why it was revoked and what to do, for
the placier who scans it and for the trader whose QR code it is (HTTP 410, nothing created).
Every such scan is logged and kept in the audit trail: a lost or stolen card shown on a
market is something the office wants to know about."""

from __future__ import annotations

import logging

from flask import render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

from regie.api import audit, can, current_establishment
from regie_markets import traders
from regie_markets.web import request_db

log = logging.getLogger("regie.markets")
FIELD = "markets.field"


def refusal(*, token: str = "", serial: str = "", session: Session | None = None):
    """The page for the revoked badge of this URL token or serial, or ``None`` when neither
    was ever revoked (an unknown badge). The audit event is committed in ``session`` (default:
    the request's), which must hold no other pending change."""
    db, place = session or request_db(), current_establishment()
    row = traders.revoked_badge(db, place, token=token, serial=serial)
    if row is None:
        return None
    trader = row.trader
    placier = current_user.is_authenticated and can(FIELD)
    actor = current_user.username if current_user.is_authenticated else "anonymous"
    details = {"reason": row.reason, "revoked_at": row.revoked_at.isoformat(),
               "scanned": "serial" if serial else "url", "method": request.method}
    audit(db, "markets.badge_refused", establishment=place, actor=actor,
          target=f"trader:{trader.number}", details=details, ip=request.remote_addr or "")
    db.commit()
    log.warning("revoked badge of trader %s scanned by %s in %s (%s, revoked %s)",
                trader.number, actor, place.slug, row.reason, row.revoked_at.date())
    current = (trader.badge_serial if trader.badge_associated and trader.active
               and trader.badge_serial != row.serial else None)
    return render_template("markets/field/revoked.html", row=row, trader=trader,
                           placier=placier, current_serial=current), 410
