"""The manual payment methods every establishment has: money staff receive and record.

Each provider says which details staff fill in (:meth:`fields`) and checks them
(:meth:`validate`); the core stores them with the payment.
"""

from __future__ import annotations

import re

from regie.api import PaymentMethod, hookimpl
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l

_DIGITS = re.compile(r"^\d{1,20}$")


class ManualMethod:
    """A manual method's provider: ``FIELDS`` lists ``(name, label, required)``; fields named
    in ``DIGITS_ONLY`` must be numbers (a cheque number, a card slip number)."""

    FIELDS: tuple[tuple[str, str, bool], ...] = ()
    DIGITS_ONLY: frozenset[str] = frozenset()

    def __init__(self, settings=None, establishment=None) -> None:
        self.settings = settings or {}
        self.establishment = establishment

    def fields(self) -> list[tuple[str, str, bool]]:
        return [(name, str(label), required) for name, label, required in self.FIELDS]

    def validate(self, values: dict[str, str]) -> dict[str, str]:
        errors = {}
        for name in self.DIGITS_ONLY:
            value = values.get(name, "").replace(" ", "")
            if value and not _DIGITS.match(value):
                errors[name] = _("digits only, as printed")
        for name, value in values.items():
            if len(value) > 100:
                errors[name] = _("at most %(n)d characters", n=100)
        return errors


class Cash(ManualMethod):
    pass


class Cheque(ManualMethod):
    FIELDS = (("number", _l("Cheque number"), True), ("bank", _l("Bank"), True))
    DIGITS_ONLY = frozenset({"number"})


class Transfer(ManualMethod):
    FIELDS = (("transfer_reference", _l("Transfer reference"), True),)


class CardOnSite(ManualMethod):
    FIELDS = (("slip_number", _l("Card terminal slip number"), True),)
    DIGITS_ONLY = frozenset({"slip_number"})


@hookimpl
def regie_payment_methods():
    return [
        PaymentMethod("cash", _l("Cash"), online=False, provider=Cash),
        PaymentMethod("cheque", _l("Cheque"), online=False, provider=Cheque),
        PaymentMethod("transfer", _l("Bank transfer"), online=False, provider=Transfer),
        PaymentMethod("card_on_site", _l("Card on site"), online=False, provider=CardOnSite),
    ]
