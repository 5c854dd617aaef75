"""Form helpers shared by the core pages: service errors shown beside their fields, the
generated plugin settings form, and validators the services do not cover."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from regie.declarations import Setting
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services.errors import Invalid


def choices(pairs) -> list[SelectChoice]:
    """``SelectField`` choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A form with no field: a button that POSTs (enable, revoke, deactivate, sign out)."""


def show_errors(form: FlaskForm, error: Invalid, fields: dict[str, str] | None = None) -> None:
    """Put the messages of a service's :class:`Invalid` beside the matching fields.

    ``fields`` maps service keys to form field names when they differ; a message whose key
    has no field goes to ``form.form_errors`` so it is still shown.
    """
    fields = fields or {}
    for key, message in error.errors.items():
        field = form._fields.get(fields.get(key, key))
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def looks_like_email(_form: FlaskForm, field: Field) -> None:
    """A light check (one ``@``, a dot in the domain): the mail server has the last word."""
    value = (field.data or "").strip()
    if not value:
        return
    local, _at, domain = value.rpartition("@")
    if not local or "." not in domain.strip(".") or " " in value:
        raise ValidationError(_("is not an e-mail address"))


# --- plugin settings ----------------------------------------------------------------------

FIELD_PREFIX = "setting_"


class MarkedRequired:
    """Marks a field required (the asterisk) while leaving the check itself to
    :func:`regie.services.settings.clean_settings`, which knows that a stored secret may be
    left empty."""

    field_flags = {"required": True}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        return None


def _settings_field(setting: Setting, current: dict[str, Any]):
    description = setting.help
    options: dict[str, Any] = {"label": setting.label, "description": description}
    if setting.required and setting.kind != "bool" and not (
            setting.secret and current.get(setting.key)):
        options["validators"] = [MarkedRequired()]
    if setting.kind == "bool":
        return BooleanField(**options)
    if setting.kind == "choice":
        pairs = list(setting.choices)
        if not setting.required:
            pairs.insert(0, ("", _l("(none)")))
        # The service checks the choice, with the message every other setting error has.
        return SelectField(choices=choices(pairs), validate_choice=False, **options)
    if setting.kind == "secret":
        hint = (_l("A value is stored; leave empty to keep it.") if current.get(setting.key)
                else _l("No value stored yet."))
        options["description"] = f"{description} {hint}".strip() if description else hint
        return PasswordField(render_kw={"autocomplete": "new-password"}, **options)
    if setting.kind == "text":
        return TextAreaField(render_kw={"rows": 4}, **options)
    input_types = {"int": "number", "email": "email", "url": "url"}
    render_kw = {"type": input_types[setting.kind]} if setting.kind in input_types else {}
    if setting.kind == "int":
        render_kw["inputmode"] = "numeric"
    return StringField(render_kw=render_kw or None, **options)


def settings_form(declared: tuple[Setting, ...], current: dict[str, Any]) -> FlaskForm:
    """A form for a plugin's declared settings, filled with ``current`` values.

    Secrets are write-only: the field always starts empty, and an empty secret keeps the
    stored value (see :func:`regie.services.settings.clean_settings`).
    """
    fields = {FIELD_PREFIX + setting.key: _settings_field(setting, current)
              for setting in declared}
    form_class = type("PluginSettingsForm", (FlaskForm,), fields)
    data = {FIELD_PREFIX + setting.key: _initial(setting, current) for setting in declared}
    return form_class(data=data)


def _initial(setting: Setting, current: dict[str, Any]) -> Any:
    if setting.secret:
        return ""
    value = current.get(setting.key, setting.default)
    if setting.kind == "bool":
        return bool(value)
    return "" if value is None else str(value)


def settings_values(form: FlaskForm, declared: tuple[Setting, ...]) -> dict[str, Any]:
    """The raw values typed in ``form``, by setting key, for ``clean_settings``."""
    return {setting.key: form[FIELD_PREFIX + setting.key].data for setting in declared}


def settings_fields(error: Invalid) -> dict[str, str]:
    """Map the keys of a settings :class:`Invalid` to the form's field names."""
    return {key: FIELD_PREFIX + key for key in error.errors}
