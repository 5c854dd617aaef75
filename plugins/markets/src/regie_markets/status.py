"""A trader's status: five criteria, each correct / alert / exceeded against thresholds of the
establishment's settings, and the global status shown in green / yellow / red.

Amounts and counts: alert from the alert threshold, exceeded from the limit. Dates: exceeded
once past (or unknown), alert within the alert delay before them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import attrs
from sqlalchemy.orm import Session

from regie.api import Establishment, Money, format_money
from regie.api import gettext as _
from regie_markets.models import Trader
from regie_markets.settings import markets_settings

CORRECT, ALERT, EXCEEDED = "correct", "alert", "exceeded"
LEVELS = (CORRECT, ALERT, EXCEEDED)
COLOURS = {CORRECT: "green", ALERT: "yellow", EXCEEDED: "red"}
CRITERIA = ("blocked", "arrears_amount", "arrears_count", "kbis", "insurance")

DEFAULTS = {"kbis_validity_months": 12, "kbis_alert_days": 30, "insurance_alert_days": 30,
            "arrears_amount_alert": 5000, "arrears_amount_limit": 20000,
            "arrears_count_alert": 1, "arrears_count_limit": 3}


@attrs.frozen
class Criterion:
    code: str
    label: str
    level: str
    detail: str

    @property
    def colour(self) -> str:
        return COLOURS[self.level]


@attrs.frozen
class TraderStatus:
    criteria: tuple[Criterion, ...]
    arrears_amount: int
    arrears_count: int
    kbis_valid_until: dt.date | None

    @property
    def level(self) -> str:
        return worst(criterion.level for criterion in self.criteria)

    @property
    def colour(self) -> str:
        return COLOURS[self.level]

    def criterion(self, code: str) -> Criterion:
        return next(c for c in self.criteria if c.code == code)


def worst(levels) -> str:
    return max(levels, key=LEVELS.index, default=CORRECT)


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def kbis_valid_until(trader: Trader, settings: dict[str, Any]) -> dt.date | None:
    if trader.kbis_checked_on is None:
        return None
    return add_months(trader.kbis_checked_on, int(settings["kbis_validity_months"]))


def _by_threshold(value: int, alert: int, limit: int) -> str:
    if value >= limit:
        return EXCEEDED
    return ALERT if value >= alert else CORRECT


def _by_date(until: dt.date | None, today: dt.date, alert_days: int) -> str:
    if until is None or until < today:
        return EXCEEDED
    return ALERT if (until - today).days <= alert_days else CORRECT


def evaluate(trader: Trader, settings: dict[str, Any], today: dt.date, *, arrears_amount: int,
             arrears_count: int, currency: str = "EUR", locale: str = "fr") -> TraderStatus:
    """The status from known arrears: pure, for tests and lists."""
    settings = {**DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
    kbis_until = kbis_valid_until(trader, settings)

    def money(value: int) -> str:
        return format_money(Money(value, currency), locale)

    def date(value: dt.date | None) -> str:
        return value.strftime("%d/%m/%Y") if value else _("unknown")

    blocked = Criterion(
        "blocked", _("Blocked"), EXCEEDED if trader.blocked else CORRECT,
        _("Blocked by a cadre: %(reason)s", reason=trader.blocked_reason or "-")
        if trader.blocked else _("Not blocked"))
    amount_alert, amount_limit = (int(settings["arrears_amount_alert"]),
                                  int(settings["arrears_amount_limit"]))
    amount = Criterion(
        "arrears_amount", _("Arrears (€)"),
        _by_threshold(arrears_amount, amount_alert, amount_limit),
        _("%(amount)s in arrears; alert from %(alert)s, limit %(limit)s",
          amount=money(arrears_amount), alert=money(amount_alert), limit=money(amount_limit)))
    count_alert, count_limit = (int(settings["arrears_count_alert"]),
                                int(settings["arrears_count_limit"]))
    count = Criterion(
        "arrears_count", _("Arrears (invoices)"),
        _by_threshold(arrears_count, count_alert, count_limit),
        _("%(count)d invoice(s) in arrears; alert from %(alert)d, limit %(limit)d",
          count=arrears_count, alert=count_alert, limit=count_limit))
    kbis = Criterion(
        "kbis", _("K-bis check"),
        _by_date(kbis_until, today, int(settings["kbis_alert_days"])),
        _("Next K-bis check due %(date)s", date=date(kbis_until)))
    insurance = Criterion(
        "insurance", _("Insurance"),
        _by_date(trader.insurance_until, today, int(settings["insurance_alert_days"])),
        _("Insurance valid until %(date)s", date=date(trader.insurance_until)))
    return TraderStatus((blocked, amount, count, kbis, insurance), arrears_amount,
                        arrears_count, kbis_until)


def trader_status(session: Session, establishment: Establishment, trader: Trader,
                  today: dt.date, settings: dict[str, Any] | None = None) -> TraderStatus:
    """The five criteria and the global status of a trader today."""
    from regie_markets import billing  # the office side of the plugin; imports this module

    amount, count = billing.arrears(session, establishment, trader, today)
    return evaluate(trader, settings if settings is not None
                    else markets_settings(establishment), today,
                    arrears_amount=amount, arrears_count=count,
                    currency=establishment.currency, locale=establishment.locale)
