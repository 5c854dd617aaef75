"""The family's portal session: families are not core users; they sign in with the pupil's
login, and the Flask session remembers which individual of which school, with a stamp of the
credentials so a reset by the school or a new password signs the other devices out."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app, redirect, session, url_for

from regie.api import current_establishment, db_session
from regie_reservation import individuals
from regie_reservation.models import Individual

KEY = "reservation_portal"


def stamp(individual: Individual) -> str:
    """A keyed digest of the credentials: the session cookie is readable by its holder, so a
    plain hash would let anyone holding it guess the initialization password offline."""
    credentials = f"{individual.login}|{individual.password_hash}|{individual.initial_password}"
    key = str(current_app.secret_key).encode()
    return hmac.new(key, credentials.encode(), hashlib.sha256).hexdigest()[:32]


def remember(individual: Individual) -> None:
    signed = dict(session.get(KEY, {}))
    signed[str(individual.establishment_id)] = [individual.id, stamp(individual)]
    session[KEY] = signed
    session.permanent = True


def forget() -> None:
    signed = dict(session.get(KEY, {}))
    signed.pop(str(current_establishment().id), None)
    session[KEY] = signed


def current_individual() -> Individual | None:
    establishment = current_establishment()
    remembered = session.get(KEY, {}).get(str(establishment.id))
    if not remembered:
        return None
    individual = individuals.get(db_session(), establishment, remembered[0])
    if individual is None or not individual.active or stamp(individual) != remembered[1]:
        return None
    return individual


def family_required(view: Callable) -> Callable:
    """Decorate a portal view: the signed-in individual is passed as ``individual``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        individual = current_individual()
        if individual is None:
            return redirect(url_for("plugin_reservation_portal.sign_in"))
        return view(*args, individual=individual, **kwargs)

    return wrapped
