"""Validation of plugin settings against the plugin's declared :class:`regie.api.Setting` list."""

from __future__ import annotations

from typing import Any

from regie.declarations import Setting
from regie.i18n import gettext as _
from regie.services.errors import Invalid

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


def _clean(setting: Setting, value: Any) -> Any:
    if setting.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(_("must be yes or no"))
    if setting.kind == "int":
        try:
            return int(str(value).strip())
        except ValueError:
            raise ValueError(_("must be a whole number")) from None
    text = "" if value is None else str(value).strip()
    if setting.kind == "choice" and text and text not in {code for code, _l in setting.choices}:
        allowed = ", ".join(code for code, _l in setting.choices)
        raise ValueError(_("must be one of: %(allowed)s", allowed=allowed))
    if setting.kind == "email" and text and "@" not in text:
        raise ValueError(_("is not an e-mail address"))
    if setting.kind == "url" and text and not text.startswith(("http://", "https://")):
        raise ValueError(_("must start with http:// or https://"))
    return text


def clean_settings(declared: tuple[Setting, ...], raw: dict[str, Any],
                   current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the full settings dict from ``raw`` values over ``current`` ones and defaults.

    A secret left empty keeps its current value (secrets are write-only). Raises
    :class:`Invalid` naming each bad key.
    """
    current = current or {}
    known = {setting.key: setting for setting in declared}
    errors = {key: _("unknown setting") for key in raw if key not in known}
    values: dict[str, Any] = {}
    for setting in declared:
        if setting.key in raw and not (setting.secret and raw[setting.key] in ("", None)):
            try:
                values[setting.key] = _clean(setting, raw[setting.key])
            except ValueError as exc:
                errors[setting.key] = str(exc)
                continue
        elif setting.key in current:
            values[setting.key] = current[setting.key]
        else:
            values[setting.key] = setting.default
        if setting.required and values[setting.key] in (None, ""):
            errors[setting.key] = _("is required")
    if errors:
        raise Invalid(errors)
    return values


def redact(declared: tuple[Setting, ...], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every secret replaced by a mask (or empty when unset)."""
    secret = {setting.key for setting in declared if setting.secret}
    return {key: ("********" if key in secret and value else value)
            for key, value in values.items()}
