"""The core's roles in an establishment."""

from regie.api import Role, hookimpl
from regie.i18n import lazy_gettext as _l

MANAGE = "establishment.manage"
VIEW_AUDIT = "audit.view"


@hookimpl
def regie_roles():
    return [
        Role("manager", _l("Establishment administrator"), {"*"},
             _l("Everything in the establishment: modules, settings, users, audit log.")),
        Role("auditor", _l("Auditor"), {VIEW_AUDIT}, _l("Reads the audit log.")),
    ]
