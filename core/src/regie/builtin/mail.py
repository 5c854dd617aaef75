"""The core's mail document types and their placeholders: receipts of payments, and free
letters; the establishment's own fields are offered in every template."""

from regie.api import MailDocumentType, MailPlaceholder, hookimpl
from regie.i18n import lazy_gettext as _l

RECEIPT = "receipt"
LETTER = "letter"


@hookimpl
def regie_mail_placeholders():
    return [
        MailDocumentType(
            RECEIPT, _l("Receipt"),
            text=_l("Hello,\n\nPlease find attached your receipt no. {{ receipt.number }} of "
                    "{{ receipt.date }}, for {{ receipt.total }}.\n\nBest regards,\n"
                    "{{ establishment.name }}\n"),
            attach_pdf=True, to_payer=True),
        MailDocumentType(
            LETTER, _l("Letter"),
            text=_l("Hello,\n\nPlease find attached our letter.\n\nBest regards,\n"
                    "{{ establishment.name }}\n"),
            attach_pdf=True, to_payer=True, letter=True),
        MailPlaceholder("*", "establishment.name", _l("Establishment name"), "École Jean Jaurès",
                        ("establishment",)),
        MailPlaceholder("*", "establishment.address", _l("Establishment address"),
                        "12 rue de la Paix, 75002 Paris", ("establishment",)),
        MailPlaceholder("*", "establishment.email", _l("Establishment e-mail"),
                        "contact@ecole.example", ("establishment",)),
        MailPlaceholder(RECEIPT, "receipt.number", _l("Receipt number"), "000004", ("receipt",)),
        MailPlaceholder(RECEIPT, "receipt.date", _l("Receipt date"), "04/03/2025 10:42",
                        ("receipt",)),
        MailPlaceholder(RECEIPT, "receipt.total", _l("Total paid"), "12,50 €", ("receipt",)),
        MailPlaceholder(RECEIPT, "receipt.method", _l("Payment method"), "Espèces",
                        ("receipt",)),
        MailPlaceholder(RECEIPT, "receipt.till", _l("Till code"), "C1", ("receipt",)),
        MailPlaceholder(RECEIPT, "receipt.reference", _l("Payment reference"), "CAI-2025-0042",
                        ("receipt",)),
        MailPlaceholder(RECEIPT, "cashier.name", _l("Cashier name"), "DUPOND", ("cashier",)),
        MailPlaceholder(RECEIPT, "payer.name", _l("Payer name"), "Mme Martin", ("payer",)),
        MailPlaceholder(LETTER, "recipient.name", _l("Recipient name"), "Famille Martin",
                        ("recipient",)),
        MailPlaceholder(LETTER, "recipient.address", _l("Recipient postal address"),
                        "3 allée des Tilleuls\n69003 Lyon", ("recipient",)),
        MailPlaceholder(LETTER, "today", _l("Today's date"), "04/03/2025", ("today",)),
    ]
