"""The desktop mail client plugin: the ``mapi`` transport writes each message as an ``.eml``
file into a folder the staff's mail client opens (or, as drafts, to edit before sending)."""

from regie.api import MailTransport, PluginInfo, Setting, hookimpl
from regie.api import lazy_gettext as _l
from regie_mail_mapi.transport import EmlFolderTransport

plugin_info = PluginInfo(
    label=_l("Desktop mail client"),
    description=_l("Hand mail to the desktop mail client (Outlook, Thunderbird) as .eml files "
                   "in a shared folder."),
    settings=(
        Setting("folder", _l("Folder"),
                help=_l("Folder on the Régie server where messages are written; the staff's "
                        "mail client must be able to open it.")),
        Setting("show_before_sending", _l("Show each message before sending"), kind="bool",
                default=False,
                help=_l("Write drafts the mail client opens as new messages to edit and send.")),
    ),
)


@hookimpl
def regie_mail_transports():
    return [MailTransport("mapi", _l("Desktop mail client (.eml files)"),
                          EmlFolderTransport.from_settings)]
