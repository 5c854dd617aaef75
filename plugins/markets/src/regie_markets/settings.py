"""The Markets settings of an establishment, defaults filled in, outside a request too."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from regie.api import Establishment


def markets_settings(establishment: Establishment) -> dict[str, Any]:
    from regie_markets.plugin import plugin_info

    stored = next((row.settings for row in establishment.plugins if row.plugin == "markets"),
                  None) or {}
    values = {setting.key: setting.default for setting in plugin_info.settings}
    values.update({key: value for key, value in stored.items() if value is not None})
    return values


def today_in(establishment: Establishment) -> dt.date:
    """Today's date where the establishment is."""
    return dt.datetime.now(zoneinfo.ZoneInfo(establishment.timezone)).date()
