"""The sync API the school's agent talks to, under
``/callbacks/<slug>/reservation/sync/v1/`` (a callback blueprint: no session cookie, no CSRF).

Every request carries ``Authorization: Bearer <token>``, one of the school's active tokens
(:mod:`.tokens`); anything else is refused with 401, logged and kept in the audit log with the
caller's address. The deployment serves it over HTTPS only (its TLS proxy), and the agent
refuses plain HTTP except towards its own machine. Answers are JSON; a push is answered per
item, so one bad individual never blocks the others.

- ``GET payments?after=N&limit=L``: web payments with receipt number above N.
- ``GET reservations?since=T``: reservations made or cancelled since T.
- ``GET refresh?since=T``: individuals to push now (signed in, or asked for by the school).
- ``POST individuals``: individuals with their passages and balances (:mod:`.push`).
"""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, jsonify, request

from regie.api import (
    Establishment,
    Invalid,
    audit,
    current_establishment,
    current_runtime,
    record_sync,
    utcnow,
)
from regie.api import gettext as _
from regie_reservation.sync import pulls, push, tokens
from regie_reservation.sync.status import source

log = logging.getLogger("regie.reservation.sync")


def _error(message: str, status: int):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _refuse(reason: str):
    establishment = current_establishment()
    address = request.remote_addr or ""
    log.warning("sync API refused for %s from %s: %s", establishment.slug, address, reason)
    with current_runtime().db.transaction() as session:
        audit(session, "reservation.sync.refused", establishment=session.get(
            Establishment, establishment.id), actor="agent", ip=address,
            details={"reason": reason, "path": request.path})
    return _error(_("refused: %(reason)s", reason=reason), 401)


def _with_token(view):
    """Run ``view(session, establishment)`` in one transaction, for a valid token only."""

    @functools.wraps(view)
    def wrapper():
        scheme, _space, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return _refuse(_("no bearer token"))
        try:
            with current_runtime().db.transaction() as session:
                establishment = session.get(Establishment, current_establishment().id)
                token = tokens.authenticate(session, establishment, presented)
                if token is None:
                    raise _BadToken
                token.last_used_at = utcnow()
                return jsonify(view(session, establishment))
        except _BadToken:
            return _refuse(_("unknown or revoked token"))
        except Invalid as exc:
            return _error("; ".join(f"{field}: {message}"
                                    for field, message in exc.errors.items()), 400)

    return wrapper


class _BadToken(Exception):
    pass


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_reservation_syncapi", __name__)

    @bp.get("/sync/v1/payments")
    @_with_token
    def payments(session, establishment):
        page = pulls.payments_after(session, establishment, request.args.get("after"),
                                    request.args.get("limit"))
        record_sync(session, establishment, source("payments"), imported=len(page["items"]),
                    message=_("up to receipt %(n)s", n=page["next"]))
        return page

    @bp.get("/sync/v1/reservations")
    @_with_token
    def reservations(session, establishment):
        page = pulls.reservations_since(session, establishment, request.args.get("since"))
        record_sync(session, establishment, source("reservations"),
                    imported=len(page["items"]))
        return page

    @bp.get("/sync/v1/refresh")
    @_with_token
    def refresh(session, establishment):
        return pulls.refresh_since(session, establishment, request.args.get("since"))

    @bp.post("/sync/v1/individuals")
    @_with_token
    def individuals(session, establishment):
        payload = request.get_json(silent=True)
        results = push.push_individuals(session, establishment, payload)
        _record_push(session, establishment, payload.get("mode", "periodic"), results)
        return {"results": results}

    return bp


def _record_push(session, establishment: Establishment, mode: str, results: list[dict]) -> None:
    counts = {status: sum(1 for result in results if result["status"] == status)
              for status in ("created", "updated", "unchanged", "rejected")}
    imported = counts["created"] + counts["updated"]
    state = ("rejected" if counts["rejected"] and not imported and not counts["unchanged"]
             else "partial" if counts["rejected"] else "succeeded")
    reasons = [f"{result['key']}: {result['reason']}" for result in results
               if result["status"] == "rejected"]
    message = _("%(mode)s push", mode=mode) + "".join(f"; {reason}" for reason in reasons[:5])
    record_sync(session, establishment, source("individuals"), state=state, imported=imported,
                unchanged=counts["unchanged"], rejected=counts["rejected"], message=message[:500])
    recorded = sum(result.get("passages_recorded", 0) for result in results)
    known = sum(result.get("passages_known", 0) for result in results)
    if mode != "full":
        record_sync(session, establishment, source("passages"), imported=recorded,
                    unchanged=known)
    for reason in reasons:
        log.warning("sync push refused an item for %s: %s", establishment.slug, reason)
