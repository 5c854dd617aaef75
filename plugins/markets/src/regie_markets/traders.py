"""Trader records: validation (SIRET with the La Poste rule), numbering, badges, blocking,
access codes, and the searches of the trader list."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siret as stdnum_siret
from werkzeug.security import check_password_hash, generate_password_hash

from regie.api import (
    Establishment,
    Invalid,
    audit,
    get_for,
    lock,
    open_account,
    select_for,
)
from regie.api import gettext as _
from regie_markets.models import (
    ACCOUNT_KIND,
    REVOCATION_REASONS,
    Authorisation,
    Enrolment,
    Market,
    RevokedBadge,
    SalesNature,
    Ticket,
    Trader,
)
from regie_markets.status import add_months

ACCESS_CODE_TRIES = 3
TEXT_FIELDS = {"last_name": 100, "first_name": 100, "legal_name": 200, "address": 300,
               "postcode": 10, "city": 100, "mobile": 30, "third_party_number": 50,
               "notes": 10000}
REQUIRED = ("last_name", "first_name", "address", "siret")
DATE_FIELDS = ("kbis_checked_on", "insurance_until")


# --- validation -----------------------------------------------------------------------------


def check_siret(value: str) -> str:
    """The SIRET without spaces, or :class:`Invalid` saying why it is wrong."""
    compact = stdnum_siret.compact(value or "")
    if not compact:
        raise Invalid({"siret": _("is required")})
    if not compact.isdigit():
        raise Invalid({"siret": _("a SIRET has only digits (%(value)s)", value=value)})
    if len(compact) != 14:
        raise Invalid({"siret": _("a SIRET has 14 digits, not %(count)d",
                                  count=len(compact))})
    try:
        return stdnum_siret.validate(compact)
    except InvalidChecksum:
        if not luhn.is_valid(compact[:9]):
            reason = _("the SIREN (first 9 digits) fails its check digit")
        else:
            reason = _("the check digit does not match: probably a typing error")
        raise Invalid({"siret": _("invalid SIRET: %(reason)s", reason=reason)}) from None
    except ValidationError:
        raise Invalid({"siret": _("invalid SIRET")}) from None


def _parse_date(text: str, field: str, errors: dict) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors[field] = _("is not a date (DD/MM/YYYY)")
    return None


def clean(session: Session, establishment: Establishment, data: dict[str, Any],
          trader: Trader | None = None) -> dict[str, Any]:
    """The trader's fields from a form, or :class:`Invalid` with every problem at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, size in TEXT_FIELDS.items():
        value = str(data.get(name) or "").strip()
        if len(value) > size:
            errors[name] = _("at most %(size)d characters", size=size)
        values[name] = value
    for name in REQUIRED:
        if name != "siret" and not values[name]:
            errors[name] = _("is required")
    try:
        values["siret"] = check_siret(str(data.get("siret") or ""))
    except Invalid as exc:
        errors.update(exc.errors)
    if not values["legal_name"] and values["last_name"]:
        values["legal_name"] = f"{values['last_name'].upper()} {values['first_name']}".strip()
    for name in DATE_FIELDS:
        values[name] = _parse_date(str(data.get(name) or ""), name, errors)
    nature = str(data.get("sales_nature_id") or "").strip()
    values["sales_nature_id"] = None
    if nature:
        row = get_for(session, establishment, SalesNature, int(nature)) if nature.isdigit() \
            else None
        if row is None:
            errors["sales_nature_id"] = _("unknown sales nature")
        else:
            values["sales_nature_id"] = row.id
    if errors:
        raise Invalid(errors)
    return values


# --- records --------------------------------------------------------------------------------


def next_number(session: Session, establishment: Establishment) -> int:
    highest = session.scalar(select(func.max(Trader.number))
                             .where(Trader.establishment_id == establishment.id))
    return (highest or 0) + 1


def new_badge_token() -> str:
    return secrets.token_urlsafe(18)


def create_trader(session: Session, establishment: Establishment, data: dict[str, Any], *,
                  actor: str = "") -> Trader:
    """A new trader with the next number, a badge token and a ledger account."""
    values = clean(session, establishment, data)
    trader = Trader(establishment_id=establishment.id,
                    number=next_number(session, establishment),
                    badge_token=new_badge_token(), **values)
    session.add(trader)
    session.flush()
    account = open_account(session, establishment, kind=ACCOUNT_KIND,
                           owner_key=str(trader.number),
                           label=f"{trader.number} {trader.display_name}", actor=actor)
    trader.account_id = account.id
    return trader


def update_trader(session: Session, establishment: Establishment, trader: Trader,
                  data: dict[str, Any]) -> Trader:
    for name, value in clean(session, establishment, data, trader).items():
        setattr(trader, name, value)
    session.flush()
    return trader


def by_token(session: Session, establishment: Establishment, token: str) -> Trader | None:
    if not token:
        return None
    return session.scalars(select_for(establishment, Trader,
                                      Trader.badge_token == token)).first()


def by_serial(session: Session, establishment: Establishment, serial: str) -> Trader | None:
    serial = (serial or "").strip()
    if not serial:
        return None
    return session.scalars(select_for(establishment, Trader, Trader.badge_serial == serial,
                                      Trader.badge_associated.is_(True))).first()


def revoked_badge(session: Session, establishment: Establishment, *, token: str = "",
                  serial: str = "") -> RevokedBadge | None:
    """The latest revocation of the badge with this URL token or this serial, if any."""
    token, serial = (token or "").strip(), (serial or "").strip()
    if not token and not serial:
        return None
    query = select_for(establishment, RevokedBadge,
                       RevokedBadge.token == token if token else RevokedBadge.serial == serial)
    return session.scalars(query.order_by(RevokedBadge.revoked_at.desc(),
                                          RevokedBadge.id.desc()).limit(1)).first()


def associate_badge(session: Session, establishment: Establishment, trader: Trader,
                    serial: str, *, actor: str = "") -> None:
    """Give the trader the badge of ``serial`` (typed, or by a USB reader that types it).

    A different serial replaces the card the trader had: the old serial is kept as revoked
    (``replaced``), so that its chip says so when scanned. The URL stays, since the new card
    may already be printed with it; :func:`revoke_badge` is what changes the URL."""
    serial = (serial or "").strip()
    if not serial:
        raise Invalid({"serial": _("is required: scan the badge or type its serial number")})
    if len(serial) > 64 or not serial.isprintable():
        raise Invalid({"serial": _("is not a badge serial number")})
    owner = session.scalars(select_for(establishment, Trader, Trader.badge_serial == serial,
                                       Trader.id != trader.id)).first()
    if owner is not None:
        raise Invalid({"serial": _("this badge belongs to trader %(number)d (%(name)s)",
                                   number=owner.number, name=owner.display_name)})
    previous = trader.badge_serial if trader.badge_associated else None
    if previous and previous != serial:
        session.add(RevokedBadge(establishment_id=establishment.id, trader_id=trader.id,
                                 serial=previous, reason="replaced", revoked_by=actor))
    trader.badge_serial, trader.badge_associated = serial, True
    audit(session, "markets.badge_associated", establishment=establishment, actor=actor,
          target=f"trader:{trader.number}", details={"serial": serial, "replaced": previous})
    session.flush()


def revoke_badge(session: Session, establishment: Establishment, trader: Trader, *,
                 reason: str = "lost", actor: str = "") -> RevokedBadge:
    """The badge is lost, stolen or defective: its URL and its serial stop opening the record
    and, kept as revoked, say so when scanned; the trader gets a new URL for the next card."""
    if reason not in REVOCATION_REASONS:
        raise Invalid({"reason": _("choose why the badge is revoked")})
    row = RevokedBadge(establishment_id=establishment.id, trader_id=trader.id,
                       token=trader.badge_token,
                       serial=trader.badge_serial if trader.badge_associated else None,
                       reason=reason, revoked_by=actor)
    session.add(row)
    audit(session, "markets.badge_revoked", establishment=establishment, actor=actor,
          target=f"trader:{trader.number}", details={"reason": reason, "serial": row.serial})
    trader.badge_serial, trader.badge_associated = None, False
    trader.badge_token = new_badge_token()
    session.flush()
    return row


def block(trader: Trader, reason: str, details: str = "") -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"blocked_reason": _("is required to block a trader")})
    trader.blocked, trader.blocked_reason = True, reason[:200]
    trader.blocked_details = (details or "").strip()


def unblock(trader: Trader) -> None:
    trader.blocked, trader.blocked_reason, trader.blocked_details = False, "", ""


# --- access codes ---------------------------------------------------------------------------


def generate_access_code(trader: Trader) -> str:
    """A new 4-digit code with 3 tries; the placier reads it to the trader."""
    code = f"{secrets.randbelow(10_000):04d}"
    trader.access_code_hash = generate_password_hash(code)
    trader.access_code_failures = 0
    return code


def access_code_state(trader: Trader) -> str:
    """``none`` (never generated), ``locked`` (3 wrong tries) or ``active``."""
    if not trader.access_code_hash:
        return "none"
    return "locked" if trader.access_code_failures >= ACCESS_CODE_TRIES else "active"


def tries_left(trader: Trader) -> int:
    return max(0, ACCESS_CODE_TRIES - trader.access_code_failures)


def check_access_code(session: Session, establishment: Establishment, trader: Trader,
                      code: str) -> bool:
    """True for the right code while the access is not locked. A wrong code counts one
    failure (the row is locked while counting, so parallel tries all count); once locked,
    even the right code is refused until a placier generates a new one."""
    session.execute(lock(select(Trader.id).where(Trader.establishment_id == establishment.id,
                                                 Trader.id == trader.id)))
    session.refresh(trader)
    if access_code_state(trader) != "active":
        return False
    if check_password_hash(trader.access_code_hash, (code or "").strip()):
        trader.access_code_failures = 0
        return True
    trader.access_code_failures += 1
    return False


# --- search ---------------------------------------------------------------------------------


def simple_search(session: Session, establishment: Establishment, text: str) -> list[Trader]:
    """Every trader whose number, names, mobile, SIRET, legal name, sales nature, blocking
    reason or details, or badge serial contains ``text``."""
    pattern = f"%{text.strip()}%"
    nature_ids = select(SalesNature.id).where(SalesNature.establishment_id == establishment.id,
                                              SalesNature.label.ilike(pattern))
    query = select_for(establishment, Trader).where(or_(
        cast(Trader.number, String(20)).ilike(pattern), Trader.last_name.ilike(pattern),
        Trader.first_name.ilike(pattern), Trader.mobile.ilike(pattern),
        Trader.siret.ilike(pattern), Trader.legal_name.ilike(pattern),
        Trader.sales_nature_id.in_(nature_ids), Trader.blocked_reason.ilike(pattern),
        Trader.blocked_details.ilike(pattern), Trader.badge_serial.ilike(pattern)))
    return list(session.scalars(query.order_by(Trader.legal_name, Trader.number)))


def advanced_search(session: Session, establishment: Establishment, criteria: dict[str, str],
                    today: dt.date, settings: dict[str, Any]) -> list[Trader]:
    """Traders matching every criterion given: badge serial, number, legal name, name, sales
    nature, activity (active / fixed), placement (daily / fixed), blocked. Status criteria are
    applied by the caller, which computes the statuses."""
    query = select_for(establishment, Trader)
    if criteria.get("badge_serial"):
        query = query.where(Trader.badge_serial == criteria["badge_serial"].strip())
    if criteria.get("number"):
        number = criteria["number"].strip()
        query = query.where(Trader.number == (int(number) if number.isdigit() else -1))
    if criteria.get("legal_name"):
        query = query.where(Trader.legal_name.ilike(f"%{criteria['legal_name'].strip()}%"))
    if criteria.get("name"):
        query = query.where(Trader.last_name.ilike(f"%{criteria['name'].strip()}%"))
    if criteria.get("sales_nature_id", "").isdigit():
        query = query.where(Trader.sales_nature_id == int(criteria["sales_nature_id"]))
    if criteria.get("blocked") in ("yes", "no"):
        query = query.where(Trader.blocked.is_(criteria["blocked"] == "yes"))
    if criteria.get("activity") in ("active", "fixed"):
        since = today - dt.timedelta(days=int(settings["active_days"]))
        recent = select(Ticket.trader_id).where(Ticket.establishment_id == establishment.id,
                                                Ticket.day >= since)
        query = query.where(Trader.id.in_(recent) if criteria["activity"] == "active"
                            else Trader.id.not_in(recent))
    if criteria.get("placement") in ("daily", "fixed"):
        since = add_months(today, -int(settings["attendance_months"]))
        placed = select(Enrolment.trader_id).where(Enrolment.establishment_id == establishment.id,
                                                   Enrolment.day >= since)
        query = query.where(Trader.id.in_(placed) if criteria["placement"] == "daily"
                            else Trader.id.not_in(placed))
    return list(session.scalars(query.order_by(Trader.legal_name, Trader.number)))


def record_state(trader: Trader) -> str:
    """How far the record is towards a badge: ``photo`` missing, ``badge`` not associated,
    or ``ready``."""
    if trader.photo_document_id is None:
        return "photo"
    return "ready" if trader.badge_associated else "badge"


# --- attendance -----------------------------------------------------------------------------


def attendance(session: Session, establishment: Establishment, trader: Trader,
               today: dt.date, months: int) -> list[dict[str, Any]]:
    """Tickets per market and ISO weekday over the last ``months`` complete months, and the
    estimate for next month: drop the oldest month, add the current month's tickets."""
    first_of_month = today.replace(day=1)
    start = add_months(first_of_month, -months)
    oldest_end = add_months(start, 1)
    rows = session.execute(
        select(Ticket.market_id, Ticket.day)
        .where(Ticket.establishment_id == establishment.id, Ticket.trader_id == trader.id,
               Ticket.day >= start, Ticket.day <= today)).all()
    period: Counter = Counter()
    oldest: Counter = Counter()
    current: Counter = Counter()
    for market_id, day in rows:
        key = (market_id, day.isoweekday())
        if day >= first_of_month:
            current[key] += 1
            continue
        period[key] += 1
        if day < oldest_end:
            oldest[key] += 1
    markets = {m.id: m for m in session.scalars(select_for(establishment, Market))}
    result = []
    for key in sorted(set(period) | set(current)):
        market_id, weekday = key
        result.append({"market": markets[market_id], "weekday": weekday,
                       "count": period[key], "estimate": period[key] - oldest[key] + current[key]})
    return result


def authorisations(session: Session, establishment: Establishment,
                   trader: Trader) -> dict[int, list[Authorisation]]:
    """The trader's authorisations grouped by market id."""
    grouped: dict[int, list[Authorisation]] = defaultdict(list)
    for row in session.scalars(select_for(establishment, Authorisation,
                                          Authorisation.trader_id == trader.id)
                               .order_by(Authorisation.market_id, Authorisation.weekday)):
        grouped[row.market_id].append(row)
    return grouped
