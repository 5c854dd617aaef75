"""``CB_Internet``: a web payment recorded by hand when the online payment never reached Régie
(seed: « Saisie manuelle de tickets d'encaissement WEB »), with the order reference of the
payment ticket so that it is never recorded twice."""

from __future__ import annotations

from regie.api import lazy_gettext as _l

CB_INTERNET = "cb_internet"


class CbInternet:
    """The manual provider of ``cb_internet``: no field beyond the reference."""

    def __init__(self, settings=None, establishment=None) -> None:
        self.settings = settings or {}
        self.establishment = establishment

    def fields(self) -> list[tuple[str, str, bool]]:
        return []

    def validate(self, values: dict[str, str]) -> dict[str, str]:
        return {}


LABEL = _l("CB_Internet (web payment entered by hand)")
