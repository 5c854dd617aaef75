"""How mail leaves an establishment: the transport, its plugin's settings, the sender, and
whether a test mail went through with exactly those settings (the seed's rule: no sending until
the test succeeded).

Transport plugins follow a naming convention for the sender: settings ``sender_name``,
``sender_address`` and ``reply_to`` (when they have them). A user's override row replaces the
transport and the sender. An establishment without a sender address sends as the platform's
default sender (``mail.default_sender``), with replies going to the user's or the
establishment's own address, as a hosted relay does.
"""

from __future__ import annotations

import hashlib
import json
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlsplit

import attrs
from sqlalchemy.orm import Session

from regie.config import Config
from regie.db.base import utcnow
from regie.db.mail import MailSettings, MailUserSettings
from regie.db.models import Establishment, User
from regie.db.tenancy import select_for
from regie.declarations import MailTransport
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.services import audit, establishments
from regie.services.errors import Invalid, Veto
from regie.services.mail import addresses

ESTABLISHMENT_FIELDS = ("transport", "receipt_by_mail", "archive_letters", "max_attachment_kb")
USER_FIELDS = ("transport", "sender_name", "sender_address")
MAX_ATTACHMENT_KB = 50 * 1024


@attrs.frozen
class Route:
    """Everything needed to send as someone: the transport, its plugin's settings, the From
    and Reply-To addresses, and the fingerprint a successful test mail records."""

    code: str
    plugin: str
    transport: MailTransport
    settings: dict[str, Any]
    sender: Address
    reply_to: Address | None
    fingerprint: str

    @property
    def envelope_sender(self) -> str:
        return self.sender.addr_spec


def transports(engine: Engine, establishment: Establishment
               ) -> dict[str, tuple[str, MailTransport]]:
    """Code → (plugin, transport) of the transports enabled in the establishment."""
    enabled = establishments.enabled_plugins(establishment, engine)
    return {entry.item.code: (entry.plugin, entry.item)
            for entry in engine.entries("regie_mail_transports")
            if entry.plugin in enabled or entry.plugin == "core"}


def of_establishment(session: Session, establishment: Establishment | int) -> MailSettings:
    """The establishment's mail settings (a new, unsaved row with the defaults if none), read
    once per session: queuing a batch of mails asks for them for every mail."""
    establishment_id = establishment if isinstance(establishment, int) else establishment.id
    cache = session.info.setdefault("regie.mail_settings", {})
    row = cache.get(establishment_id) or session.scalar(select_for(establishment_id,
                                                                   MailSettings))
    if row is None:
        return MailSettings(establishment_id=establishment_id, transport="",
                            receipt_by_mail=False, archive_letters=True,
                            max_attachment_kb=10 * 1024, verified_fingerprint="")
    cache[establishment_id] = row
    return row


def of_user(session: Session, establishment: Establishment | int,
            user_id: int | None) -> MailUserSettings | None:
    if user_id is None:
        return None
    return session.scalar(select_for(establishment, MailUserSettings,
                                     MailUserSettings.user_id == user_id))


def default_sender(config: Config) -> Address:
    chosen = config["mail.default_sender"].strip()
    if chosen:
        return _address("", chosen)
    host = urlsplit(config["base_url"]).hostname or ""
    try:
        return Address(addr_spec=addresses.check(f"no-reply@{host}"))
    except ValueError:  # an IP address or a bare host name, as in development
        return Address(addr_spec="no-reply@localhost.localdomain")


def route(session: Session, engine: Engine, config: Config, establishment: Establishment,
          user_id: int | None = None, *, with_user: bool = True) -> Route:
    """How ``user_id`` (or the establishment, without a user or ``with_user=False``) sends
    mail now; :class:`Veto` saying what to switch on when no transport is usable."""
    available = transports(engine, establishment)
    if not available:
        raise Veto(_("no way to send mail is enabled here: enable a mail module (SMTP mail or "
                     "Desktop mail client) for this establishment"))
    general = of_establishment(session, establishment)
    override = of_user(session, establishment, user_id) if with_user else None
    code = (override.transport if override and override.transport else "") or general.transport
    if code not in available:
        if code:
            raise Veto(_("the mail transport '%(code)s' chosen in the mail settings is not "
                         "enabled here any more: choose another one", code=code))
        code = next(iter(available))
    plugin, transport = available[code]
    settings = dict(establishments.enabled_plugins(establishment).get(plugin, {}))
    name = str(settings.get("sender_name") or "")
    address = str(settings.get("sender_address") or "")
    reply_to = str(settings.get("reply_to") or "")
    if override is not None:
        name = override.sender_name or name
        address = override.sender_address or address
    if address:
        sender = _address(name, address)
    else:
        platform = default_sender(config)
        sender = Address(name or establishment.name, addr_spec=platform.addr_spec)
        reply_to = reply_to or establishment.email
    digest = hashlib.sha256(json.dumps(
        {"transport": code, "settings": settings, "sender": str(sender), "reply_to": reply_to},
        sort_keys=True, default=str).encode()).hexdigest()
    return Route(code, plugin, transport, settings, sender,
                 _address("", reply_to) if reply_to else None, digest)


def _address(name: str, address: str) -> Address:
    try:
        return Address(name, addr_spec=addresses.check(address))
    except ValueError as exc:
        raise Veto(_("the sender address of the mail settings is wrong: %(problem)s",
                     problem=str(exc))) from None


def is_verified(session: Session, establishment: Establishment, chosen: Route,
                user_id: int | None) -> bool:
    """Whether a test mail went through with exactly these settings."""
    override = of_user(session, establishment, user_id)
    verified = {of_establishment(session, establishment).verified_fingerprint,
                override.verified_fingerprint if override else ""}
    return chosen.fingerprint in verified - {""}


def mark_verified(session: Session, establishment: Establishment, chosen: Route,
                  user: User | None, *, for_user: bool) -> None:
    """Record that a test mail went through with ``chosen`` (for the user's own settings, or
    the establishment's)."""
    if for_user and user is not None:
        row = of_user(session, establishment, user.id) or _new_override(session, establishment,
                                                                        user)
        row.verified_fingerprint = chosen.fingerprint
        row.verified_at = utcnow()
    else:
        row = _saved(session, of_establishment(session, establishment))
        row.verified_fingerprint = chosen.fingerprint
        row.verified_at = utcnow()
        row.verified_by_id = user.id if user else None
    audit.record(session, "mail.settings.verified", establishment=establishment, user=user,
                 target=chosen.code, details={"scope": "user" if for_user else "establishment"})


def update(session: Session, engine: Engine, establishment: Establishment,
           raw: dict[str, Any], actor: User | None = None) -> MailSettings:
    """Change the establishment's mail settings; :class:`Invalid` naming each bad field."""
    errors: dict[str, str] = {}
    row = of_establishment(session, establishment)
    transport = str(raw.get("transport", row.transport) or "")
    if transport and transport not in transports(engine, establishment):
        errors["transport"] = _("this transport is not enabled here")
    try:
        limit = int(str(raw.get("max_attachment_kb", row.max_attachment_kb)).strip())
        if not 1 <= limit <= MAX_ATTACHMENT_KB:
            raise ValueError
    except ValueError:
        errors["max_attachment_kb"] = _("enter a size between 1 and %(max)d KB",
                                        max=MAX_ATTACHMENT_KB)
        limit = row.max_attachment_kb
    if errors:
        raise Invalid(errors)
    row = _saved(session, row)
    row.transport = transport
    row.max_attachment_kb = limit
    for flag in ("receipt_by_mail", "archive_letters"):
        if flag in raw:
            setattr(row, flag, _flag(raw[flag]))
    audit.record(session, "mail.settings.update", establishment=establishment, user=actor,
                 details={"transport": transport})
    return row


def update_user(session: Session, engine: Engine, establishment: Establishment, user: User,
                raw: dict[str, Any]) -> MailUserSettings:
    """Change ``user``'s own sending settings in the establishment (empty = the
    establishment's)."""
    errors: dict[str, str] = {}
    transport = str(raw.get("transport") or "")
    if transport and transport not in transports(engine, establishment):
        errors["transport"] = _("this transport is not enabled here")
    sender_address = str(raw.get("sender_address") or "").strip()
    if sender_address:
        try:
            sender_address = addresses.check(sender_address)
        except ValueError as exc:
            errors["sender_address"] = str(exc)
    if errors:
        raise Invalid(errors)
    row = of_user(session, establishment, user.id) or _new_override(session, establishment, user)
    row.transport = transport
    row.sender_name = str(raw.get("sender_name") or "").strip()
    row.sender_address = sender_address
    audit.record(session, "mail.settings.user", establishment=establishment, user=user,
                 details={"transport": transport})
    return row


def _new_override(session: Session, establishment: Establishment, user: User
                  ) -> MailUserSettings:
    row = MailUserSettings(establishment_id=establishment.id, user_id=user.id, transport="",
                           sender_name="", sender_address="", verified_fingerprint="")
    session.add(row)
    return row


def _saved(session: Session, row: MailSettings) -> MailSettings:
    if row.id is None:
        session.add(row)
    return row


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on", "yes")
