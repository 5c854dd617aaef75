"""The core's roles in an establishment."""

from regie.api import Role, hookimpl
from regie.i18n import lazy_gettext as _l

MANAGE = "establishment.manage"
VIEW_AUDIT = "audit.view"
PAYMENTS_VIEW = "payments.view"
PAYMENTS_MANAGE = "payments.manage"
PAYMENTS_REVIEW = "payments.review"
MAIL_VIEW = "mail.view"
MAIL_SEND = "mail.send"


@hookimpl
def regie_roles():
    return [
        Role("manager", _l("Establishment administrator"), {"*"},
             _l("Everything in the establishment: modules, settings, users, audit log.")),
        Role("auditor", _l("Auditor"), {VIEW_AUDIT}, _l("Reads the audit log.")),
        Role("cashier", _l("Cashier"), {PAYMENTS_VIEW, PAYMENTS_MANAGE, MAIL_VIEW, MAIL_SEND},
             _l("Records money received at the desk, mails receipts, asks payers to pay "
                "online, reads accounts and payments.")),
        Role("accountant", _l("Accountant"),
             {PAYMENTS_VIEW, PAYMENTS_MANAGE, PAYMENTS_REVIEW, VIEW_AUDIT, MAIL_VIEW, MAIL_SEND},
             _l("What a cashier does, and refunds, settles the payments to review, reads the "
                "audit log.")),
    ]
