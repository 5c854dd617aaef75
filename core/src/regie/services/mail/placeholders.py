"""Document types and their placeholders, as plugins declare them through
``regie_mail_placeholders`` (:class:`regie.api.MailDocumentType` and
:class:`regie.api.MailPlaceholder` in one list)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from regie.declarations import MailDocumentType, MailPlaceholder
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.services.errors import NotFound

#: Placeholders declared for this document type are offered with every document type.
EVERY_TYPE = "*"


def document_types(engine: Engine, enabled: Iterable[str] | None = None
                   ) -> dict[str, MailDocumentType]:
    """Code → document type, the core's and (with ``enabled``) the enabled plugins' ones."""
    return {item.code: item for item in engine.items("regie_mail_placeholders", enabled=enabled)
            if isinstance(item, MailDocumentType)}


def document_type(engine: Engine, code: str, enabled: Iterable[str] | None = None
                  ) -> MailDocumentType:
    found = document_types(engine, enabled)
    if code not in found:
        raise NotFound(_("no mail document type '%(code)s'", code=code))
    return found[code]


def for_document(engine: Engine, code: str, enabled: Iterable[str] | None = None
                 ) -> list[MailPlaceholder]:
    """The placeholders a template of document type ``code`` may use, common ones first."""
    found = [item for item in engine.items("regie_mail_placeholders", enabled=enabled)
             if isinstance(item, MailPlaceholder) and item.document_type in (EVERY_TYPE, code)]
    return sorted(found, key=lambda item: item.document_type != EVERY_TYPE)


def insertion(placeholder: MailPlaceholder) -> str:
    """What the picker inserts into a template."""
    return "{{ " + placeholder.name + " }}"


def sample_data(placeholders: Iterable[MailPlaceholder]) -> dict[str, Any]:
    """Template data made of the placeholders' sample values, nested along their dotted names
    (``cashier.name`` → ``{"cashier": {"name": …}}``)."""
    data: dict[str, Any] = {}
    for placeholder in placeholders:
        *parents, leaf = placeholder.name.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = str(placeholder.sample)
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated in depth by ``override`` (real values over samples)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
