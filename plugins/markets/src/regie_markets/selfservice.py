"""The trader's own page: the QR code of the badge opens the badge URL, which asks the 4-digit
access code a placier gave; the right code shows the same summary as the placier's INFO mode,
read-only. Three wrong codes lock the access until a placier generates a new code."""

from __future__ import annotations

from flask import render_template, request

from regie.api import audit, current_establishment
from regie.api import gettext as _
from regie_markets import traders
from regie_markets.field.summary import summary
from regie_markets.models import Trader
from regie_markets.settings import markets_settings, today_in
from regie_markets.web import request_db


def code_page(trader: Trader, error: str = "", status: int = 200):
    return render_template("markets/selfservice/code.html", trader=trader, error=error,
                           locked=traders.access_code_state(trader) == "locked"), status


def check(trader: Trader):
    """Check the code typed; the failure is counted in the database before answering."""
    db, place = request_db(), current_establishment()
    code = request.form.get("code", "")
    granted = traders.check_access_code(db, place, trader, code)
    audit(db, "markets.self_service", establishment=place, actor="trader",
          target=f"trader:{trader.number}", details={"granted": granted})
    db.commit()
    if not granted:
        if traders.access_code_state(trader) == "locked":
            return code_page(trader, _("Access locked after 3 wrong codes: ask a placier for "
                                       "a new access code."), 403)
        return code_page(trader, _("Code refused. %(left)d tries left.",
                                   left=traders.tries_left(trader)), 403)
    card = summary(db, place, trader, today_in(place), markets_settings(place))
    return render_template("markets/selfservice/summary.html", s=card)
