"""The Régie plugin API: every hook a plugin may implement.

A plugin is a module named by an entry point in the ``regie.plugins`` group. It carries a
``plugin_info`` attribute (:class:`regie.api.PluginInfo`) and implements any of the hooks below
with the :data:`regie.api.hookimpl` decorator, using only the argument names it needs.

Hooks run in the order of ``plugins`` in ``regie.toml``, core builtins first. Hooks that concern
one establishment are called only on the plugins enabled there.

Registration hooks (``regie_payment_methods`` …) take no argument and return a list of value
objects; the core collects them once at start-up and refuses to start on duplicates.

Event hooks come in pairs. ``…_precommit(session, …)`` runs inside the transaction: it may update
the plugin's own rows atomically with the event, or veto the event by raising
:class:`regie.api.Veto`. ``…_postcommit(…)`` runs after the commit, for mail, receipts and
notifications; it may not write money state and its failures are logged, never raised.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("regie")


# --- registration hooks -------------------------------------------------------------------------


@hookspec
def regie_payment_methods():
    """Return a list of :class:`regie.api.PaymentMethod` this plugin provides.

    A code must be unique across the deployment: ``cash``, ``cheque``, ``paybox`` … An
    establishment offers a method when the plugin providing it is enabled there.
    """


@hookspec
def regie_mail_transports():
    """Return a list of :class:`regie.api.MailTransport` (``smtp``, ``mapi`` …).

    ``MailTransport(code, label, factory)``: the core calls ``factory(settings)`` with the
    plugin's settings in the establishment and uses the returned object as a
    :class:`regie.api.Transport`:

    - ``send(mails)`` gets a batch of :class:`regie.api.OutgoingMail` (``key``, a complete
      ``email.message.EmailMessage``, envelope ``sender`` and ``recipients``), delivers them over
      one connection where the protocol has connections, and returns one
      :class:`regie.api.DeliveryResult` per mail: ``sent``, or ``failed`` with an error a person
      can act on and ``permanent=True`` when retrying cannot help (the outbox retries the
      others with backoff). It never raises for a delivery problem.
    - ``check(mail)`` delivers the test mail of the "send a test mail" button and returns a
      :class:`regie.api.CheckResult` naming the step that failed (``settings``, ``dns``,
      ``connect``, ``tls``, ``auth``, ``sender``, ``recipient``, ``message``, ``folder``) or
      ``delivered``. Sending is allowed only once a check succeeded with the settings in force.

    The core composes every header (From, Reply-To, To, Subject, Date, Message-ID); a transport
    may add its own (read receipt, priority). Settings named ``sender_name``,
    ``sender_address`` and ``reply_to`` are the sender; a user's own mail settings override
    them, and without a sender address the platform's default sender is used with replies to
    the establishment.
    """


@hookspec
def regie_document_renderers():
    """Return a list of :class:`regie.api.DocumentRenderer` (receipts, invoices, badges …).

    A renderer whose code starts with ``receipt_`` takes a :class:`regie.documents.ReceiptData`
    and is offered wherever a receipt is printed (a printer's own layout or code page, e.g.
    ``TextReceipt(columns=32, encoding="cp1125")``).
    """


@hookspec
def regie_sync_sources():
    """Return a list of :class:`regie.api.SyncSource`: importers of outside records."""


@hookspec
def regie_blueprints():
    """Return a list of :class:`regie.api.WebBlueprint`.

    The Flask blueprint must be named ``plugin_<name>`` after the plugin, or
    ``plugin_<name>_<suffix>`` when the plugin has several (an establishment page and a provider
    callback, say; ``suffix`` is lowercase letters and digits). Establishment blueprints
    are mounted under ``/<establishment-slug>/<plugin>/`` and answer 404 where the plugin is off;
    inside a view, :func:`regie.api.current_establishment` is the establishment of the URL.
    """


@hookspec
def regie_cli_commands():
    """Return a list of :class:`regie.api.CliCommand`, shown as ``regie <name> …``."""


@hookspec
def regie_scheduled_tasks():
    """Return a list of :class:`regie.api.ScheduledTask`.

    Task names are prefixed with the plugin name by convention (``markets.sirene_pickup``).
    """


@hookspec
def regie_roles():
    """Return a list of :class:`regie.api.Role` users can be granted in an establishment.

    Codes are prefixed with the plugin name (``markets.placier``).
    """


@hookspec
def regie_mail_placeholders():
    """Return the mail document types this plugin sends and the placeholders their templates
    may use: :class:`regie.api.MailDocumentType` and :class:`regie.api.MailPlaceholder` items in
    one list.

    A document type (``code``, ``label``, default texts and recipients rule) gets a template per
    establishment in the mail settings. A placeholder names a dotted path in the template's
    data (``receipt.number``; ``cashier.name`` for a field of a related record), the top-level
    entries it ``needs``, a label for the picker and a ``sample`` for previews and for checking
    a template when it is saved. ``document_type="*"`` offers a placeholder in every template.
    Templates are rendered in a sandbox that reads dict keys and list items only: give plain
    data (strings already formatted for the establishment's locale), never ORM objects.
    """


@hookspec
def regie_dashboard_widgets():
    """Return a list of :class:`regie.api.DashboardWidget` shown on the establishment home."""


@hookspec
def regie_web_servers():
    """Return a list of :class:`regie.api.WebServer`; ``regie serve`` runs the configured one."""


# --- establishment life cycle -------------------------------------------------------------------


@hookspec
def regie_plugin_installed(session, establishment, settings):
    """The plugin was just enabled for ``establishment`` (called on that plugin only).

    Runs inside the enabling transaction: create the plugin's default rows for the
    establishment here. Raising :class:`regie.api.Veto` refuses the enabling with its message.
    """


@hookspec
def regie_plugin_uninstalled(session, establishment):
    """The plugin was just disabled for ``establishment`` (called on that plugin only).

    Runs inside the transaction. Data is kept: an establishment that enables the plugin again
    finds it where it was.
    """


@hookspec
def regie_settings_changed_precommit(session, establishment, old, new):
    """The plugin's settings for ``establishment`` change from ``old`` to ``new`` (dicts).

    Called on that plugin only, inside the transaction; raise :class:`regie.api.Veto` to refuse
    a combination the per-setting checks cannot see (two options that exclude each other).
    """


@hookspec
def regie_establishment_created_precommit(session, establishment):
    """A new establishment is being created; runs inside the transaction on every plugin."""


@hookspec
def regie_establishment_created_postcommit(establishment_id):
    """A new establishment was committed. Runs after commit on every plugin."""


@hookspec
def regie_demo_data(session, establishment, runtime):
    """Fill ``establishment`` with demonstration data for ``regie demo`` (plugin enabled there).

    ``runtime`` is the application's :class:`regie.api.Runtime`, for the core services that
    need it (recording payments, queueing mail). Must be quick (a few seconds) and
    deterministic: use a seeded ``random.Random``.
    """


# --- payments -----------------------------------------------------------------------------------
# Called on the core and the plugins enabled for the payment's establishment. ``payment`` is the
# core's payment row (read ``id``, ``account_id``, ``amount``, ``currency``, ``method``,
# ``reference``, ``state``, ``receipt_number``, ``request_id``); money state is the core's to
# change, a plugin updates its own rows. Every payment hook may also name ``runtime`` (the
# application's :class:`regie.api.Runtime`): the hooks run in web requests and in task workers
# alike, so a plugin that queues mail or reads settings takes it from there, never from a Flask
# app context. A precommit veto of a payment confirmed by a provider
# sends the payment to review instead of losing it; a veto of a payment recorded by staff is
# shown to them and nothing is recorded.


@hookspec
def regie_payment_succeeded_precommit(session, payment, runtime):
    """``payment`` has just succeeded: the account is credited and the receipt number assigned.

    Runs inside the confirming transaction: mark your order or invoice paid here, atomically
    with the money. Raise :class:`regie.api.Veto` to refuse the payment.
    """


@hookspec
def regie_payment_succeeded_postcommit(payment_id, runtime):
    """Payment ``payment_id`` succeeded and was committed: send receipts and notifications."""


@hookspec
def regie_payment_refunded_precommit(session, payment, refund, runtime):
    """``refund`` (``amount``, ``reason``) of ``payment`` has just been paid out and debited.

    Runs inside the transaction; ``payment.refunded_amount`` already includes it, and
    ``payment.state`` is ``refunded`` even when the refund is partial. Raising
    :class:`regie.api.Veto` refuses a refund recorded by staff; a refund the provider has
    already made is recorded whatever the plugins say.
    """


@hookspec
def regie_payment_refunded_postcommit(payment_id, refund_id, runtime):
    """Refund ``refund_id`` of payment ``payment_id`` was committed."""


@hookspec
def regie_payment_cancelled_precommit(session, payment, runtime):
    """``payment`` has just been cancelled, inside the transaction.

    ``payment.succeeded_at`` tells a same-day void of money taken (the account's credit was
    reversed) from an attempt abandoned before any money moved. Raise :class:`regie.api.Veto`
    to refuse the cancellation.
    """


@hookspec
def regie_payment_cancelled_postcommit(payment_id, runtime):
    """Payment ``payment_id`` was cancelled and the cancellation committed."""
