"""The "send a test mail" button: a real mail through the transport in force, and, when it goes
through, the right to send with exactly those settings."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from regie.db.base import utcnow
from regie.db.models import Establishment, User
from regie.i18n import gettext as _
from regie.services.errors import Veto
from regie.services.mail import addresses
from regie.services.mail import settings as mail_settings
from regie.services.mail.transport import CheckResult, OutgoingMail

if TYPE_CHECKING:
    from regie.runtime import Runtime


def send_test(runtime: Runtime, establishment: Establishment, to: str, *,
              user: User | None = None, for_user: bool = False) -> CheckResult:
    """Send a test mail to ``to`` with the establishment's settings (or, with ``for_user``, with
    ``user``'s own); on success, sending with those settings is allowed. Raises
    :class:`regie.api.Invalid` for a bad address; every other problem is in the result."""
    recipient = addresses.parse(to, field="to")
    user_id = user.id if user is not None and for_user else None
    with runtime.db.session() as session:
        try:
            chosen = mail_settings.route(session, runtime.engine, runtime.config, establishment,
                                         user_id, with_user=for_user)
        except Veto as exc:
            return CheckResult(False, "settings", str(exc))
    message = EmailMessage()
    message["From"] = chosen.sender
    if chosen.reply_to is not None:
        message["Reply-To"] = chosen.reply_to
    message["To"] = ", ".join(recipient)
    message["Subject"] = _("Test mail from Régie for %(name)s", name=establishment.name)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=chosen.sender.domain)
    message.set_content(_(
        "This test mail was sent by Régie for %(name)s, through %(transport)s, with the mail "
        "settings in force. It arrived: mail can be sent with these settings.",
        name=establishment.name, transport=chosen.transport.label))
    try:
        transport = chosen.transport.factory(chosen.settings)
        result = transport.check(OutgoingMail(0, message, chosen.envelope_sender,
                                              tuple(recipient)))
    except Exception as exc:  # a broken transport is reported, not raised at the user
        return CheckResult(False, "settings", _("the mail transport failed: %(error)s",
                                                error=repr(exc)))
    if result.ok:
        with runtime.db.transaction() as session:
            mail_settings.mark_verified(session, establishment, chosen,
                                        session.get(User, user.id) if user else None,
                                        for_user=for_user)
    return result
