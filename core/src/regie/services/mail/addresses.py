"""Recipient addresses as people type them: several separated by ``;`` (the seed's rule; ``,``
and line breaks are accepted too), each checked with ``email-validator``."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

from regie.i18n import gettext as _
from regie.services.errors import Invalid

SEPARATORS = re.compile(r"[;,\n\r]+")


def split(text: str | Iterable[str] | None) -> list[str]:
    """The non-empty addresses of ``text`` (or of a list), stripped, in order, without
    duplicates (compared case-insensitively)."""
    parts = SEPARATORS.split(text) if isinstance(text, str) else list(text or ())
    seen: set[str] = set()
    addresses = []
    for part in (item.strip() for item in parts):
        if part and part.lower() not in seen:
            seen.add(part.lower())
            addresses.append(part)
    return addresses


@functools.lru_cache(maxsize=4096)
def check(address: str) -> str:
    """The normalised form of one address; :class:`ValueError` with a reason a person can act
    on otherwise. Good addresses are remembered: a batch checks the same sender every time."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(_("'%(address)s' is not a valid e-mail address: %(reason)s",
                           address=address, reason=str(exc))) from None


def parse(text: str | Iterable[str] | None, *, field: str = "recipients",
          required: bool = True) -> list[str]:
    """Every address of ``text``, normalised; :class:`Invalid` naming each bad one under
    ``field`` (and an empty list when ``required``)."""
    addresses, problems = [], []
    for address in split(text):
        try:
            addresses.append(check(address))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise Invalid({field: " ".join(problems)})
    if required and not addresses:
        raise Invalid({field: _("enter at least one e-mail address (several: separate them "
                                "with ';')")})
    return addresses


def join(addresses: Iterable[str]) -> str:
    """Addresses as shown in a form: ``a@example.org; b@example.org``."""
    return "; ".join(addresses)
