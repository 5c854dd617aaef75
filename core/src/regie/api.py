"""The public API for plugins: everything a plugin imports from Régie comes from here,
:mod:`regie.hookspecs` or :mod:`regie.testing`.
"""

from __future__ import annotations

import pluggy

from regie.db.base import Model, TenantMixin, utcnow
from regie.db.models import Establishment, User
from regie.db.tenancy import get_for, lock, select_for
from regie.declarations import (
    CliCommand,
    DashboardWidget,
    DocumentRenderer,
    MailDocumentType,
    MailPlaceholder,
    MailTransport,
    PaymentMethod,
    PluginInfo,
    Role,
    ScheduledTask,
    Setting,
    SyncSource,
    WebBlueprint,
    WebServer,
)
from regie.documents.fonts import BOLD as PDF_FONT_BOLD
from regie.documents.fonts import REGULAR as PDF_FONT
from regie.documents.fonts import register as register_pdf_fonts
from regie.i18n import gettext, in_locale, lazy_gettext, ngettext
from regie.services.audit import latest as latest_audit_event
from regie.services.audit import record as audit
from regie.services.csv_files import (
    CsvLine,
    Rejects,
    csv_bytes,
    csv_text,
    iter_csv,
    read_csv,
    safe_cell,
)
from regie.services.documents import fetch as fetch_document
from regie.services.documents import store as store_document
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.establishments import mark_changed as mark_establishment_changed
from regie.services.jobs import Progress
from regie.services.jobs import start as start_job
from regie.services.ledger import (
    Posting,
    account_by_id,
    get_account,
    open_account,
    open_accounts,
    post_entries,
    post_entry,
    statement,
)
from regie.services.ledger import reverse as reverse_entry
from regie.services.mail.letters import prepare as prepare_letters
from regie.services.mail.outbox import queue as queue_mail
from regie.services.mail.transport import CheckResult, DeliveryResult, OutgoingMail, Transport
from regie.services.money import Money, MoneyError, format_money
from regie.services.money import parse as parse_money
from regie.services.payments import available_methods as available_payment_methods
from regie.services.payments import cancel as cancel_payment
from regie.services.payments import (
    create_payment,
    payment_view,
)
from regie.services.payments import get as get_payment
from regie.services.payments import record_manual as record_payment
from regie.services.payments import refund as refund_payment
from regie.services.payments import search as find_payments
from regie.services.payments_notifications import (
    NotificationResult,
    ReturnView,
    apply_notification,
    payment_return,
    receive_notification,
)
from regie.services.payments_requests import create_request as create_payment_request
from regie.services.payments_requests import request_link as payment_request_link
from regie.services.payments_requests import start_payment
from regie.services.providers import (
    AutoSubmitForm,
    EstablishmentView,
    InvalidNotification,
    ManualProvider,
    OnlineProvider,
    PaymentView,
    ProviderNotification,
    ProviderResult,
    RawRequest,
    Redirect,
    ReturnUrls,
)
from regie.services.sync import (
    SyncContext,
    SyncOutcome,
    SyncStatus,
    last_syncs,
    record_sync,
    run_sync,
)
from regie.tasks.context import TaskContext
from regie.web.context import (
    can,
    current_establishment,
    current_runtime,
    db_session,
    plugin_settings,
    require_permission,
    write_session,
)
from regie.web.downloads import csv_response, file_response
from regie.web.widgets import cached_widget

hookimpl = pluggy.HookimplMarker("regie")
"""Decorator marking a function of a plugin module as the implementation of a hook."""

__all__ = [
    "PDF_FONT",
    "PDF_FONT_BOLD",
    "AutoSubmitForm",
    "CheckResult",
    "CliCommand",
    "CsvLine",
    "DashboardWidget",
    "DeliveryResult",
    "DocumentRenderer",
    "Establishment",
    "EstablishmentView",
    "Invalid",
    "InvalidNotification",
    "MailDocumentType",
    "MailPlaceholder",
    "MailTransport",
    "ManualProvider",
    "Model",
    "Money",
    "MoneyError",
    "NotFound",
    "NotificationResult",
    "OnlineProvider",
    "OutgoingMail",
    "PaymentMethod",
    "PaymentView",
    "PluginInfo",
    "Posting",
    "Progress",
    "ProviderNotification",
    "ProviderResult",
    "RawRequest",
    "Redirect",
    "Rejects",
    "ReturnUrls",
    "ReturnView",
    "Role",
    "ScheduledTask",
    "Setting",
    "SyncContext",
    "SyncOutcome",
    "SyncSource",
    "SyncStatus",
    "TaskContext",
    "TenantMixin",
    "Transport",
    "User",
    "Veto",
    "WebBlueprint",
    "WebServer",
    "account_by_id",
    "apply_notification",
    "audit",
    "available_payment_methods",
    "cached_widget",
    "can",
    "cancel_payment",
    "create_payment",
    "create_payment_request",
    "csv_bytes",
    "csv_response",
    "csv_text",
    "current_establishment",
    "current_runtime",
    "db_session",
    "fetch_document",
    "file_response",
    "find_payments",
    "format_money",
    "get_account",
    "get_for",
    "get_payment",
    "gettext",
    "hookimpl",
    "in_locale",
    "iter_csv",
    "last_syncs",
    "latest_audit_event",
    "lazy_gettext",
    "lock",
    "mark_establishment_changed",
    "ngettext",
    "open_account",
    "open_accounts",
    "parse_money",
    "payment_request_link",
    "payment_return",
    "payment_view",
    "plugin_settings",
    "post_entries",
    "post_entry",
    "prepare_letters",
    "queue_mail",
    "read_csv",
    "receive_notification",
    "record_payment",
    "record_sync",
    "refund_payment",
    "register_pdf_fonts",
    "require_permission",
    "reverse_entry",
    "run_sync",
    "safe_cell",
    "select_for",
    "start_job",
    "start_payment",
    "statement",
    "store_document",
    "utcnow",
    "write_session",
]
