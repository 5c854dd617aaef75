"""The plugin's settings, checked together."""

from __future__ import annotations

from typing import Any

from regie.api import Veto
from regie.api import gettext as _


def check(settings: dict[str, Any]) -> None:
    """Refuse combinations the per-setting checks cannot see."""
    if settings.get("days_ahead", 21) < 1:
        raise Veto(_("Reservations need at least one day ahead."))
    if settings.get("days_before", 0) < 0:
        raise Veto(_("The number of days before the meal cannot be negative."))
    if settings.get("days_before", 0) > settings.get("days_ahead", 21):
        raise Veto(_("Reservations must be made before the meal no earlier than they open: "
                     "days before cannot exceed days ahead."))
    low, high = settings.get("top_up_min", 5), settings.get("top_up_max", 300)
    if low < 1:
        raise Veto(_("The minimum top-up must be at least 1."))
    if high < low:
        raise Veto(_("The maximum top-up cannot be below the minimum."))
    if settings.get("web_payments_kept_days", 90) < 1:
        raise Veto(_("Web payments must be kept at least one day after the back office has "
                     "them."))
