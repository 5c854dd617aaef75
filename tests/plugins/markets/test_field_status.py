"""Status criteria against configurable thresholds, and the global colour."""

from __future__ import annotations

import datetime as dt

import pytest

from regie_markets.models import Trader
from regie_markets.status import evaluate

TODAY = dt.date(2026, 11, 18)
SETTINGS = {"kbis_validity_months": 12, "kbis_alert_days": 30, "insurance_alert_days": 15,
            "arrears_amount_alert": 5000, "arrears_amount_limit": 20000,
            "arrears_count_alert": 1, "arrears_count_limit": 3}


def trader(**fields) -> Trader:
    values = {"blocked": False, "blocked_reason": "", "kbis_checked_on": TODAY,
              "insurance_until": TODAY + dt.timedelta(days=200)}
    values.update(fields)
    return Trader(**values)


@pytest.mark.parametrize(("fields", "amount", "count", "criterion", "level"), [
    ({}, 0, 0, "arrears_amount", "correct"),
    ({}, 4999, 0, "arrears_amount", "correct"),
    ({}, 5000, 0, "arrears_amount", "alert"),
    ({}, 19999, 0, "arrears_amount", "alert"),
    ({}, 20000, 0, "arrears_amount", "exceeded"),
    ({}, 0, 1, "arrears_count", "alert"),
    ({}, 0, 3, "arrears_count", "exceeded"),
    ({"blocked": True, "blocked_reason": "Arrêté"}, 0, 0, "blocked", "exceeded"),
    # K-bis valid 12 months after the last check; alert 30 days before.
    ({"kbis_checked_on": dt.date(2025, 12, 18)}, 0, 0, "kbis", "alert"),
    ({"kbis_checked_on": dt.date(2025, 11, 18)}, 0, 0, "kbis", "alert"),
    ({"kbis_checked_on": dt.date(2025, 12, 19)}, 0, 0, "kbis", "correct"),
    ({"kbis_checked_on": dt.date(2025, 11, 17)}, 0, 0, "kbis", "exceeded"),
    ({"kbis_checked_on": None}, 0, 0, "kbis", "exceeded"),
    ({"insurance_until": TODAY}, 0, 0, "insurance", "alert"),
    ({"insurance_until": TODAY + dt.timedelta(days=16)}, 0, 0, "insurance", "correct"),
    ({"insurance_until": TODAY - dt.timedelta(days=1)}, 0, 0, "insurance", "exceeded"),
    ({"insurance_until": None}, 0, 0, "insurance", "exceeded"),
])
def test_each_criterion_against_its_thresholds(fields, amount, count, criterion, level):
    status = evaluate(trader(**fields), SETTINGS, TODAY, arrears_amount=amount,
                      arrears_count=count)
    assert status.criterion(criterion).level == level


@pytest.mark.parametrize(("fields", "amount", "count", "level", "colour"), [
    ({}, 0, 0, "correct", "green"),
    ({}, 6000, 0, "alert", "yellow"),
    ({"insurance_until": TODAY + dt.timedelta(days=3)}, 0, 0, "alert", "yellow"),
    ({}, 6000, 3, "exceeded", "red"),
    ({"blocked": True}, 0, 0, "exceeded", "red"),
])
def test_global_status_is_the_worst_criterion(fields, amount, count, level, colour):
    status = evaluate(trader(**fields), SETTINGS, TODAY, arrears_amount=amount,
                      arrears_count=count)
    assert (status.level, status.colour) == (level, colour)


def test_thresholds_come_from_the_settings():
    stricter = {**SETTINGS, "arrears_amount_alert": 100, "arrears_amount_limit": 1000}
    status = evaluate(trader(), stricter, TODAY, arrears_amount=1000, arrears_count=0)
    assert status.level == "exceeded"
    assert "10,00" in status.criterion("arrears_amount").detail
