"""Establishments and the plugins switched on for each."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, NamedTuple

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from regie.db import postcommit
from regie.db.database import Database
from regie.db.models import Establishment, EstablishmentPlugin, Membership, User
from regie.db.rows import loaded_columns, persistent
from regie.engine import Engine
from regie.i18n import LOCALES
from regie.i18n import gettext as _
from regie.services import audit
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.settings import clean_settings

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
#: First path segments the core uses; an establishment cannot take them.
RESERVED_SLUGS = frozenset({
    "admin", "api", "account", "assets", "callbacks", "favicon.ico", "healthz", "jobs", "lang",
    "login", "logout", "robots.txt", "static", "www", "regie", "help", "docs",
})
EDITABLE = ("name", "locale", "timezone", "currency", "address", "email")


def check_slug(slug: str) -> str | None:
    """Why ``slug`` cannot name an establishment, or ``None`` when it can."""
    if slug in RESERVED_SLUGS:
        return _("'%(slug)s' is reserved by Régie, choose another", slug=slug)
    if not SLUG_RE.match(slug):
        return _("use 1 to 63 lowercase letters, digits and inner hyphens (e.g. ecole-jaures)")
    return None


def _check_fields(fields: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "name" in fields and not str(fields["name"]).strip():
        errors["name"] = _("is required")
    if "locale" in fields and fields["locale"] not in LOCALES:
        errors["locale"] = _("must be one of: %(allowed)s", allowed=", ".join(LOCALES))
    if "timezone" in fields:
        try:
            zoneinfo.ZoneInfo(fields["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = _("unknown time zone (e.g. Europe/Paris)")
    if "currency" in fields:
        try:
            known = get_currency_name(fields["currency"], locale=Locale("en")) != fields["currency"]
        except UnknownLocaleError:
            known = False
        if not (len(fields["currency"]) == 3 and known):
            errors["currency"] = _("unknown ISO 4217 currency code (e.g. EUR, UAH)")
    return errors


def create(session: Session, engine: Engine, *, slug: str, name: str, locale: str = "fr",
           timezone: str = "Europe/Paris", currency: str = "EUR", actor: User | None = None,
           **extra: Any) -> Establishment:
    slug = slug.strip().lower()
    errors = _check_fields({"name": name, "locale": locale, "timezone": timezone,
                            "currency": currency})
    problem = check_slug(slug)
    if problem:
        errors["slug"] = problem
    elif session.scalar(select(Establishment.id).where(Establishment.slug == slug)):
        errors["slug"] = _("an establishment already uses '%(slug)s'", slug=slug)
    if errors:
        raise Invalid(errors)
    establishment = Establishment(slug=slug, name=name.strip(), locale=locale,
                                  timezone=timezone, currency=currency.upper(), **extra)
    session.add(establishment)
    session.flush()
    engine.hook(engine.plugins).regie_establishment_created_precommit(
        session=session, establishment=establishment)
    postcommit.after_commit(session, engine.notify, "regie_establishment_created_postcommit",
                            establishment_id=establishment.id)
    audit.record(session, "establishment.create", establishment=establishment, user=actor,
                 target=slug, details={"name": name})
    return establishment


def update(session: Session, establishment: Establishment, fields: dict[str, Any],
           actor: User | None = None) -> Establishment:
    unknown = set(fields) - set(EDITABLE) - {"logo", "logo_type"}
    errors = {key: _("cannot be changed") for key in unknown}
    errors.update(_check_fields(fields))
    if errors:
        raise Invalid(errors)
    changed = {key: value for key, value in fields.items()
               if key not in ("logo",) and getattr(establishment, key) != value}
    for key, value in fields.items():
        setattr(establishment, key, value)
    mark_changed(establishment)
    audit.record(session, "establishment.update", establishment=establishment, user=actor,
                 target=establishment.slug, details={"changed": sorted(changed)})
    return establishment


#: Built once: building the statement cost more than running it (every page of an
#: establishment looks it up).
_BY_SLUG = (select(Establishment).where(Establishment.slug == bindparam("slug"))
            .options(joinedload(Establishment.plugins)))


def by_slug(session: Session, slug: str) -> Establishment:
    establishment = session.scalar(_BY_SLUG, {"slug": slug})
    if establishment is None:
        raise NotFound(_("no establishment '%(slug)s'", slug=slug))
    return establishment


_VERSION = select(Establishment.settings_version).where(Establishment.slug == bindparam("slug"))
_COPY = _BY_SLUG.options(defer(Establishment.logo))


class Snapshots:
    """Read-only copies of establishments with their plugins, kept by a process for the
    requests that only read them: provider callbacks, the hot path of online payments.

    Each :meth:`get` costs one small query outside any transaction, the establishment's
    ``settings_version``; the copy is loaded again when the version moved, so a change of
    settings, or a plugin switched off, holds from the next request on. A copy is detached
    and shared by the process's threads: read it, never change it or attach it to a session
    (code that writes loads the establishment in its own transaction). Its logo is not
    loaded.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._copies: dict[str, Establishment] = {}

    def get(self, slug: str) -> Establishment:
        with self._db.read() as connection:
            version = connection.execute(_VERSION, {"slug": slug}).scalar()
        if version is None:
            self._copies.pop(slug, None)
            raise NotFound(_("no establishment '%(slug)s'", slug=slug))
        copy = self._copies.get(slug)
        if copy is None or copy.settings_version != version:
            with self._db.session() as session:
                copy = session.scalar(_COPY, {"slug": slug})
            if copy is None:
                raise NotFound(_("no establishment '%(slug)s'", slug=slug))
            self._copies[slug] = copy
        return copy


class MemberVisit(NamedTuple):
    """What every page of an establishment needs first, for a signed-in user."""

    establishment: Establishment
    """With its plugins loaded."""
    user: User | None
    """``None`` when there is no such user."""
    roles: set[str]
    """The roles the user holds in the establishment."""


#: The logo (an image, up to a few hundred kB) is read only by the pages that show it.
_ESTABLISHMENT_COLUMNS = loaded_columns(Establishment, leave=("logo",))
_USER_COLUMNS = loaded_columns(User)
_PLUGIN_COLUMNS = loaded_columns(EstablishmentPlugin)
_MEMBER_VISIT = (
    select(*(column for _key, column in _ESTABLISHMENT_COLUMNS + _USER_COLUMNS),
           Membership.role, *(column for _key, column in _PLUGIN_COLUMNS))
    .select_from(Establishment)
    .outerjoin(User, User.id == bindparam("user_id"))
    .outerjoin(Membership, (Membership.establishment_id == Establishment.id)
               & (Membership.user_id == bindparam("user_id")))
    .outerjoin(EstablishmentPlugin, EstablishmentPlugin.establishment_id == Establishment.id)
    .where(Establishment.slug == bindparam("slug")))
_USER_AT = len(_ESTABLISHMENT_COLUMNS)
_ROLE_AT = _USER_AT + len(_USER_COLUMNS)
_PLUGIN_AT = _ROLE_AT + 1


def member_visit(session: Session, slug: str, user_id: int) -> MemberVisit:
    """The establishment with its plugins, the user and their roles there, in one query. They
    are the session's objects (those it already holds are kept as they are), so
    ``session.get(User, user_id)`` then costs no query.

    Plain rows, and objects filled in from them by hand: the ORM's loading of the same rows
    cost twice as much as the whole query."""
    rows = session.connection().execute(_MEMBER_VISIT, {"slug": slug, "user_id": user_id}).all()
    if not rows:
        raise NotFound(_("no establishment '%(slug)s'", slug=slug))
    first = rows[0]
    establishment = persistent(session, Establishment, _ESTABLISHMENT_COLUMNS,
                               first[:_USER_AT], unloaded=("logo",))
    if "plugins" not in establishment.__dict__:
        plugins = {row[_PLUGIN_AT]: row[_PLUGIN_AT:] for row in rows
                   if row[_PLUGIN_AT] is not None}
        set_committed_value(establishment, "plugins", [
            persistent(session, EstablishmentPlugin, _PLUGIN_COLUMNS, values)
            for values in plugins.values()])
    user = None if first[_USER_AT] is None else persistent(session, User, _USER_COLUMNS,
                                                            first[_USER_AT:_ROLE_AT])
    return MemberVisit(establishment, user,
                       {row[_ROLE_AT] for row in rows if row[_ROLE_AT] is not None})


def enabled_plugins(establishment: Establishment, engine: Engine | None = None) -> dict[str, Any]:
    """Name → settings of the plugins enabled for the establishment (and loaded, with
    ``engine``), in the deployment's hook order."""
    rows = {row.plugin: row.settings for row in establishment.plugins if row.enabled}
    if engine is None:
        return rows
    return {name: rows[name] for name in engine.plugins if name in rows}


def mark_changed(establishment: Establishment) -> None:
    """Bump the establishment's ``settings_version``, in SQL so that concurrent changes each
    count: web processes then drop what they keep about it (see ``regie.web.widgets``). A new
    establishment needs none (nothing can be kept about it yet)."""
    if inspect(establishment).persistent:
        establishment.settings_version = Establishment.settings_version + 1


def _row(establishment: Establishment, plugin: str) -> EstablishmentPlugin | None:
    return next((row for row in establishment.plugins if row.plugin == plugin), None)


def enable_plugin(session: Session, engine: Engine, establishment: Establishment, plugin: str,
                  settings: dict[str, Any] | None = None,
                  actor: User | None = None) -> EstablishmentPlugin:
    """Switch ``plugin`` on for the establishment with validated settings (idempotent)."""
    if plugin not in engine.plugins:
        raise Veto(_("plugin '%(plugin)s' is not loaded in this deployment", plugin=plugin))
    row = _row(establishment, plugin)
    if row is not None and row.enabled:
        if settings:
            update_settings(session, engine, establishment, plugin, settings, actor)
        return row
    declared = engine.plugins[plugin].info.settings
    values = clean_settings(declared, settings or {}, row.settings if row else None)
    if row is None:
        row = EstablishmentPlugin(plugin=plugin, settings=values)
        establishment.plugins.append(row)
    row.enabled, row.settings = True, values
    mark_changed(establishment)
    session.flush()
    engine.call_on(plugin, "regie_plugin_installed", session=session,
                   establishment=establishment, settings=values)
    audit.record(session, "plugin.enable", establishment=establishment, user=actor, target=plugin)
    return row


def disable_plugin(session: Session, engine: Engine, establishment: Establishment, plugin: str,
                   actor: User | None = None) -> None:
    row = _row(establishment, plugin)
    if row is None or not row.enabled:
        return
    row.enabled = False
    mark_changed(establishment)
    session.flush()
    if plugin in engine.plugins:
        engine.call_on(plugin, "regie_plugin_uninstalled", session=session,
                       establishment=establishment)
    audit.record(session, "plugin.disable", establishment=establishment, user=actor, target=plugin)


def update_settings(session: Session, engine: Engine, establishment: Establishment, plugin: str,
                    raw: dict[str, Any], actor: User | None = None) -> dict[str, Any]:
    row = _row(establishment, plugin)
    if row is None or not row.enabled or plugin not in engine.plugins:
        raise Veto(_("plugin '%(plugin)s' is not enabled here", plugin=plugin))
    declared = engine.plugins[plugin].info.settings
    old = dict(row.settings)
    new = clean_settings(declared, raw, old)
    engine.call_on(plugin, "regie_settings_changed_precommit", session=session,
                   establishment=establishment, old=old, new=new)
    row.settings = new
    mark_changed(establishment)
    changed = sorted(key for key in new if new[key] != old.get(key))
    audit.record(session, "plugin.settings", establishment=establishment, user=actor,
                 target=plugin, details={"changed": changed})
    return new
