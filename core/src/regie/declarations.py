"""The value objects plugins return from registration hooks.

Registration hooks are declarative: a plugin returns a list of these frozen objects and the core
collects them, checks for duplicates, and decides when to use them. Each is re-exported by
:mod:`regie.api`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

SETTING_KINDS = ("str", "text", "int", "bool", "choice", "secret", "email", "url")


@attrs.frozen
class Setting:
    """One per-establishment setting of a plugin, edited in the admin plugin form.

    ``secret`` settings are write-only in the web and never printed by the CLI.
    """

    key: str
    label: str
    kind: str = attrs.field(default="str", validator=attrs.validators.in_(SETTING_KINDS))
    default: Any = None
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@attrs.frozen
class PluginInfo:
    """What a plugin module says about itself, as its module attribute ``plugin_info``.

    ``migrations`` names the package holding the plugin's Alembic versions (branch label = the
    plugin's name), or ``None`` when the plugin has no tables. ``hookspecs`` names a module of
    hookspecs (marked with ``pluggy.HookspecMarker("regie")``) that this plugin calls and other
    plugins may implement, its own plugin API (e.g. ``regie_billpay_fiscalize``).
    """

    label: str
    description: str = ""
    settings: tuple[Setting, ...] = ()
    migrations: str | None = None
    hookspecs: str | None = None


@attrs.frozen
class WebBlueprint:
    """A Flask blueprint of a plugin.

    ``kind`` is ``"establishment"`` (mounted at ``/<slug>/<plugin>/``, 404 where the plugin is off)
    or ``"callback"`` (mounted at ``/callbacks/<slug>/<plugin>/``: no CSRF, no session cookie, for
    provider notifications whose authenticity the view verifies itself). A ``menu_label`` puts a
    link to ``menu_endpoint`` on the establishment home for users holding ``permission``.
    ``landing_endpoint`` is where a visitor who is not signed in lands on opening ``/<slug>/``
    (a family portal); the first enabled plugin declaring one is used, else the sign-in page.
    """

    blueprint: Any
    kind: str = attrs.field(default="establishment",
                            validator=attrs.validators.in_(("establishment", "callback")))
    menu_label: str | None = None
    menu_endpoint: str = "index"
    menu_icon: str = "grid"
    permission: str | None = None
    landing_endpoint: str | None = None


@attrs.frozen
class CliCommand:
    """A click command or group added to ``regie``, imported only when it is invoked.

    ``target`` is ``"module:attribute"`` so a broken plugin cannot break ``regie --help``.
    """

    name: str
    target: str
    help: str = ""


@attrs.frozen
class ScheduledTask:
    """A periodic task. ``target`` is ``"module:function"``.

    The function is called as ``function(ctx)`` with a :class:`regie.api.TaskContext`. Per
    establishment tasks run once for every establishment where the plugin is enabled. ``schedule``
    is a cron expression (minute hour day month weekday) that ``tasks.schedule`` in ``regie.toml``
    can override or switch off.
    """

    name: str
    target: str
    schedule: str
    description: str = ""
    per_establishment: bool = True


@attrs.frozen
class Role:
    """A role a user can hold in an establishment, with the permissions it grants.

    Permission ``"*"`` grants everything in the establishment.
    """

    code: str
    label: str
    permissions: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    description: str = ""


@attrs.frozen
class WebServer:
    """A way to serve the WSGI app: ``run(app, config, bind)`` blocks until interrupted."""

    name: str
    label: str
    run: Callable[..., None]


@attrs.frozen
class DashboardWidget:
    """A panel on the establishment home. ``render(establishment, user)`` returns HTML markup,
    or an empty string to show nothing to this user (the panel is left out)."""

    name: str
    label: str
    render: Callable[..., Any]
    permission: str | None = None
    position: int = 100


@attrs.frozen
class MailPlaceholder:
    """A variable offered in user-edited mail and letter templates of ``document_type``
    (``"*"``: every document type).

    ``name`` is the dotted path of the value in the template's data (``receipt.number``,
    ``cashier.name`` for a related record's field) and is inserted as ``{{ receipt.number }}``;
    ``needs`` names the top-level data entries it reads (``("receipt",)``); ``sample`` is the
    value shown in previews and used to check a template when it is saved.
    """

    document_type: str
    name: str
    label: str
    sample: str
    needs: tuple[str, ...] = ()


@attrs.frozen
class MailDocumentType:
    """A kind of document Régie mails (``receipt``, ``reservation.login_letter`` …), returned
    from ``regie_mail_placeholders`` beside its placeholders.

    Its label names it in the template editor and makes the default subject (establishment
    name + label). The other fields are the defaults of a new template: ``text`` (and
    ``html``) the message, ``attach_pdf`` whether the document goes as a PDF attachment or in
    the body, ``to_payer``/``to_main_contact`` the default recipients rule. ``letter`` marks
    documents written in the template itself (letters to families), as opposed to documents a
    renderer draws (receipts).
    """

    code: str
    label: str
    text: str = ""
    html: str = ""
    attach_pdf: bool = True
    to_payer: bool = True
    to_main_contact: bool = False
    letter: bool = False


@attrs.frozen
class PaymentMethod:
    """A way to take money. ``provider`` is a factory taking the establishment's settings.

    Online methods redirect the payer and receive provider notifications; manual ones (cash,
    cheque, transfer, card on site) are recorded by staff.
    """

    code: str
    label: str
    online: bool
    provider: Callable[..., Any] | None = None


@attrs.frozen
class MailTransport:
    """A way to deliver mail. ``factory(settings)`` gets the plugin's settings in the
    establishment and returns a :class:`regie.api.Transport` (``send`` and ``check``)."""

    code: str
    label: str
    factory: Callable[..., Any]


@attrs.frozen
class DocumentRenderer:
    """Renders one kind of document: ``render(data) -> (filename, content_type, bytes)``."""

    code: str
    label: str
    render: Callable[..., Any]
    content_type: str = "application/pdf"


@attrs.frozen
class SyncSource:
    """Records from outside (a file of the settlement centre, the INSEE stock file …).

    ``run(ctx)`` gets a :class:`regie.api.SyncContext` (the file, the establishment, the
    database, progress) and returns a :class:`regie.api.SyncOutcome`. The core runs it from
    ``regie sync run``, the plugin's own commands and pages (:func:`regie.api.run_sync`) and the
    pickup folder, and records every run. ``suffixes`` are the file name endings it reads.
    """

    code: str
    label: str
    run: Callable[..., Any]
    description: str = ""
    suffixes: tuple[str, ...] = (".csv",)
