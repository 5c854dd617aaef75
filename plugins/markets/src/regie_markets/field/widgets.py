"""Dashboard widgets of the field side: the Markets profile panel (says when the user's
profile is not configured), the badge emulation and PC badge scan demo widgets, and the
follow-up of badges to print."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from regie.api import can, select_for
from regie_markets.models import Trader
from regie_markets.settings import markets_settings
from regie_markets.web import request_db

EMULATED_BADGES = 12


def profile(establishment, user) -> str:
    """The seed's "profil non configuré" notice, and the way into the placier mode; nothing
    for a configured profile without field work (the module card opens Markets)."""
    if can("markets.view") and not can("markets.field"):
        return ""
    return render_template("markets/widgets/profile.html", configured=can("markets.view"))


def badge_emulation(establishment, user) -> str:
    if not markets_settings(establishment)["demo_widgets"]:
        return render_template("markets/widgets/emulation.html", rows=None)
    rows = request_db().scalars(select_for(establishment, Trader,
                                           Trader.badge_associated.is_(True))
                                .order_by(Trader.number).limit(EMULATED_BADGES)).all()
    return render_template("markets/widgets/emulation.html", rows=rows)


def scan_badge(establishment, user) -> str:
    return render_template("markets/widgets/scan.html")


def badge_follow_up(establishment, user) -> str:
    counts = dict(request_db().execute(
        select(Trader.photo_document_id.is_(None), func.count(Trader.id))
        .where(Trader.establishment_id == establishment.id, Trader.active.is_(True),
               Trader.badge_associated.is_(False))
        .group_by(Trader.photo_document_id.is_(None))).all())
    return render_template("markets/widgets/badges.html", without_photo=counts.get(True, 0),
                           not_associated=counts.get(False, 0))
