"""The fixed words printed on receipts, in the establishment's language.

Receipts are printed in the establishment's locale whoever asks for them (a cashier whose web
pages are in English still hands a French customer a French receipt), so the words come from
the message catalogs for that locale rather than from the request's.
"""

from __future__ import annotations

import functools
from pathlib import Path

import attrs
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogs; translated later, per locale."""
    return message


@attrs.frozen
class ReceiptLabels:
    """Every fixed word of a receipt. Build with :meth:`for_locale`, or give them all (tests,
    plugins printing their own wording)."""

    receipt: str = N_("Receipt")
    number: str = N_("No.")
    date: str = N_("Date")
    till: str = N_("Till")
    cashier: str = N_("Cashier")
    payer: str = N_("Customer")
    reference: str = N_("Reference")
    description: str = N_("Description")
    quantity: str = N_("Qty")
    unit_price: str = N_("Unit price")
    amount: str = N_("Amount")
    total: str = N_("Total")
    payment_method: str = N_("Paid by")
    duplicate: str = N_("DUPLICATA")
    page: str = N_("Page")
    thanks: str = N_("Thank you for your visit")

    @classmethod
    def for_locale(cls, locale: str) -> ReceiptLabels:
        return _labels(locale)


@functools.lru_cache(maxsize=16)
def _labels(locale: str) -> ReceiptLabels:
    catalog = _translations(locale)
    english = ReceiptLabels()
    return ReceiptLabels(**{field.name: catalog.gettext(getattr(english, field.name))
                            for field in attrs.fields(ReceiptLabels)})


def _translations(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")
