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
from regie.i18n import gettext, lazy_gettext, ngettext
from regie.services.audit import record as audit
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.jobs import Progress
from regie.services.jobs import start as start_job
from regie.services.mail.transport import CheckResult, DeliveryResult, OutgoingMail, Transport
from regie.tasks.context import TaskContext
from regie.web.context import (
    current_establishment,
    current_runtime,
    db_session,
    plugin_settings,
    require_permission,
)

hookimpl = pluggy.HookimplMarker("regie")
"""Decorator marking a function of a plugin module as the implementation of a hook."""

__all__ = [
    "CheckResult",
    "CliCommand",
    "DashboardWidget",
    "DeliveryResult",
    "DocumentRenderer",
    "Establishment",
    "Invalid",
    "MailDocumentType",
    "MailPlaceholder",
    "MailTransport",
    "Model",
    "NotFound",
    "OutgoingMail",
    "PaymentMethod",
    "PluginInfo",
    "Progress",
    "Role",
    "ScheduledTask",
    "Setting",
    "SyncSource",
    "TaskContext",
    "TenantMixin",
    "Transport",
    "User",
    "Veto",
    "WebBlueprint",
    "WebServer",
    "audit",
    "current_establishment",
    "current_runtime",
    "db_session",
    "get_for",
    "gettext",
    "hookimpl",
    "lazy_gettext",
    "lock",
    "ngettext",
    "plugin_settings",
    "require_permission",
    "select_for",
    "start_job",
    "utcnow",
]
