"""The SMTP mail plugin: the ``smtp`` mail transport and its settings per establishment."""

from regie.api import MailTransport, PluginInfo, Setting, hookimpl
from regie.api import lazy_gettext as _l
from regie_mail_smtp.transport import SMTPTransport

SECURITY = (("starttls", _l("STARTTLS (port 587)")), ("ssl", _l("SSL/TLS (port 465)")),
            ("none", _l("None (port 25, trusted networks only)")))
PRIORITY = (("normal", _l("Normal")), ("high", _l("High")), ("low", _l("Low")))

plugin_info = PluginInfo(
    label=_l("SMTP mail"),
    description=_l("Send mail through an SMTP server: the establishment's own, or the "
                   "platform's relay."),
    settings=(
        Setting("host", _l("SMTP server"), help=_l("e.g. smtp.example.org")),
        Setting("port", _l("Port"), kind="int", default=587),
        Setting("security", _l("Security"), kind="choice", default="starttls", choices=SECURITY),
        Setting("username", _l("User name"), help=_l("Leave empty when the server needs no "
                                                     "authentication.")),
        Setting("password", _l("Password"), kind="secret"),
        Setting("timeout", _l("Timeout (seconds)"), kind="int", default=30),
        Setting("ca_file", _l("Trusted certificate file"),
                help=_l("PEM file on the server, only for a relay whose certificate comes from a "
                        "private authority; empty: the system's authorities.")),
        Setting("sender_name", _l("Sender name")),
        Setting("sender_address", _l("Sender address"), kind="email",
                help=_l("Empty: the platform's sender, replies going to the establishment's "
                        "address.")),
        Setting("reply_to", _l("Reply-To address"), kind="email"),
        Setting("read_receipt", _l("Ask for a read receipt"), kind="bool", default=False),
        Setting("delivery_receipt", _l("Ask for a delivery receipt (DSN)"), kind="bool",
                default=False, help=_l("Only when the server supports it.")),
        Setting("priority", _l("Priority"), kind="choice", default="normal", choices=PRIORITY),
    ),
)


@hookimpl
def regie_mail_transports():
    return [MailTransport("smtp", _l("SMTP server"), SMTPTransport.from_settings)]
