"""What the supervisor changes on a desk once it exists: the bank and its details (IBAN, BIC,
checked with python-stdnum) and the working hours, the usual ones and those of the weekdays
that differ (a shorter Saturday, a closed Sunday)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from stdnum import bic, iban
from stdnum.exceptions import ValidationError

from regie.api import gettext as _
from regie_billpay.models import Desk

WEEKDAYS = range(1, 8)
"""ISO weekdays, Monday first."""
_RANGE = re.compile(r"(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})")


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def parse_range(text: str) -> str:
    """``"9:00 – 13:00"`` → ``"09:00-13:00"``, the form :attr:`Desk.week_hours` keeps;
    ValueError with the message to show when it is no range of a day."""
    match = _RANGE.fullmatch(text.strip())
    try:
        opens, closes = (_time(match.group(1)), _time(match.group(2))) if match else (None, None)
    except ValueError:
        opens = closes = None
    if opens is None or closes is None:
        raise ValueError(_("Give the hours as 09:00-13:00."))
    if opens >= closes:
        raise ValueError(_("The desk must close after it opens."))
    return f"{opens:%H:%M}-{closes:%H:%M}"


def change(desk: Desk, form: Mapping[str, str]) -> dict[str, str]:
    """Apply the details form to ``desk``; the refused fields and why (nothing applied then)."""
    errors: dict[str, str] = {}
    bank = form.get("bank", "").strip()
    if len(bank) > 200:
        errors["bank"] = _("At most %(count)s characters.", count=200)
    account, code = iban.compact(form.get("iban", "")), bic.compact(form.get("bic", ""))
    if account and not iban.is_valid(account):
        errors["iban"] = _("This IBAN is not valid: check it against the bank's papers.")
    if code:
        try:
            bic.validate(code)
        except ValidationError:
            errors["bic"] = _("A BIC has 8 or 11 letters and digits, e.g. PBANUA2X.")
    usual = {}
    for field in ("opens_at", "closes_at"):
        try:
            usual[field] = _time(form.get(field, "").strip())
        except ValueError:
            errors[field] = _("Give a time such as 08:30.")
    if len(usual) == 2 and usual["opens_at"] >= usual["closes_at"]:
        errors["closes_at"] = _("The desk must close after it opens.")
    week_hours = {}
    for day in WEEKDAYS:
        if form.get(f"closed_{day}") == "on":
            week_hours[str(day)] = ""
        elif text := form.get(f"hours_{day}", "").strip():
            try:
                week_hours[str(day)] = parse_range(text)
            except ValueError as refusal:
                errors[f"hours_{day}"] = str(refusal)
    if not errors:
        desk.bank, desk.iban, desk.bic = bank, account, code
        desk.opens_at, desk.closes_at = usual["opens_at"], usual["closes_at"]
        desk.week_hours = week_hours
    return errors
