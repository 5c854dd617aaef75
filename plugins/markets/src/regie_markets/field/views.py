"""The placier's pages, designed for a 360 × 519 phone screen.

The home page keeps the chosen market and mode in the placier's session; scanning a badge
opens the badge URL (``/b/<token>``), which acts according to the mode. Actions open in new
tabs; the logo closes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, or_, select

from regie.api import (
    Invalid,
    User,
    current_establishment,
    get_for,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_markets import placement, tickets, traders
from regie_markets.field import revoked
from regie_markets.field.summary import summary
from regie_markets.models import Enrolment, Market, Ticket, Trader
from regie_markets.settings import markets_settings, today_in
from regie_markets.status import ALERT, EXCEEDED
from regie_markets.web import request_db

INFO, PLACEMENT, TICKET = "info", "placement", "ticket"
MODES = (INFO, PLACEMENT, TICKET)
FIELD = "markets.field"


# --- the placier's session ------------------------------------------------------------------


def _key(name: str) -> str:
    return f"markets.{current_establishment().id}.{name}"


def current_mode() -> str:
    mode = session.get(_key("mode"), INFO)
    return mode if mode in MODES and (mode == INFO or current_market()) else INFO


def current_market() -> Market | None:
    """The market the placier chose, read once per request."""
    if "markets_market" not in g:
        market_id = session.get(_key("market"))
        market = (get_for(request_db(), current_establishment(), Market, market_id)
                  if market_id else None)
        g.markets_market = market if market is not None and market.active else None
    return g.markets_market


def _settings() -> dict[str, Any]:
    return markets_settings(current_establishment())


def _today() -> dt.date:
    return today_in(current_establishment())


def _message(title: str, text: str, status: int = 200, level: str = "error"):
    return render_template("markets/field/message.html", title=title, text=text,
                           level=level), status


def _trader_by_token(token: str) -> Trader:
    """The trader of a badge URL a field form was posted to; a badge revoked since the scan
    gets its page, and nothing is saved."""
    trader = traders.by_token(request_db(), current_establishment(), token)
    if trader is None or not trader.active:
        page = revoked.refusal(token=token)
        abort(make_response(page) if page else 404)
    return trader


# --- stats ----------------------------------------------------------------------------------


def market_stats(market: Market, day: dt.date, mode: str) -> dict[str, Any]:
    """The "current market stats" widget: this placier's tickets, metres and amount today;
    in complete mode every placier of the market and the 30-day average per market day."""
    db, place = request_db(), current_establishment()
    mine = tickets.day_stats(db, place, market, day, placier_id=current_user.id)
    stats: dict[str, Any] = {"mine": mine, "complete": mode == "complete"}
    if mode == "complete":
        stats["all"] = tickets.day_stats(db, place, market, day)
        rows = db.execute(
            select(Ticket.placier_id, func.count(Ticket.id), func.sum(Ticket.metres),
                   func.sum(Ticket.amount))
            .where(Ticket.establishment_id == place.id, Ticket.market_id == market.id,
                   Ticket.day == day).group_by(Ticket.placier_id)).all()
        names = {user.id: user.username for user in db.scalars(
            select(User).where(User.id.in_([r[0] for r in rows if r[0]])))}
        stats["placiers"] = [(names.get(r[0], _("import")), int(r[1]), int(r[2]), int(r[3]))
                             for r in rows]
        since = day - dt.timedelta(days=30)
        days, count, metres, amount = db.execute(
            select(func.count(func.distinct(Ticket.day)), func.count(Ticket.id),
                   func.coalesce(func.sum(Ticket.metres), 0),
                   func.coalesce(func.sum(Ticket.amount), 0))
            .where(Ticket.establishment_id == place.id, Ticket.market_id == market.id,
                   Ticket.day >= since, Ticket.day < day)).one()
        stats["average"] = ((count // days, metres // days, amount // days) if days
                            else (0, 0, 0))
        stats["daily"] = db.scalar(select(func.count(Enrolment.id)).where(
            Enrolment.establishment_id == place.id, Enrolment.market_id == market.id,
            Enrolment.day == day, Enrolment.placed.is_(True)))
    return stats


# --- pages a badge scan opens ---------------------------------------------------------------


def placier_scan(trader: Trader):
    mode = session.get(_key("mode"), INFO)
    if mode != INFO and current_market() is None:
        return _message(_("Select a market"),
                        _("Scan refused: choose the market on the home page before "
                          "scanning in PLACEMENT or TICKET mode."), 409)
    if mode == PLACEMENT:
        return placement_page(trader)
    if mode == TICKET:
        return ticket_page(trader, without_badge=False)
    return info_page(trader)


def info_page(trader: Trader, new_code: str | None = None):
    card = summary(request_db(), current_establishment(), trader, _today(), _settings())
    return render_template("markets/field/info.html", s=card, new_code=new_code)


def placement_page(trader: Trader, errors: dict | None = None, found=None):
    db, place, market, today = (request_db(), current_establishment(), current_market(),
                                _today())
    settings = _settings()
    card = summary(db, place, trader, today, settings, frames=False)
    enrolment = placement.enrolment_of(db, place, trader, market, today)
    refusal = None if enrolment else placement.refusal(db, place, trader, market,
                                                       card.status)
    if found is None:
        found = placement.seniority(db, place, trader, market, today, settings)
    return render_template("markets/field/placement.html", s=card, market=market,
                           enrolment=enrolment, refusal=refusal, seniority=found,
                           errors=errors or {},
                           autoclose=int(settings["autoclose_seconds"]))


def ticket_page(trader: Trader, *, without_badge: bool, errors: dict | None = None):
    db, place, market, today = (request_db(), current_establishment(), current_market(),
                                _today())
    existing = tickets.existing_ticket_id(db, place, trader, market, today)
    if existing is not None:
        return redirect(url_for(".field_ticket", ticket_id=existing))
    settings = _settings()
    card = summary(db, place, trader, today, settings, frames=False)
    usual = tickets.usual_metres(db, place, trader, market, today.isoweekday(),
                                 int(settings["default_metres"]))
    return render_template(
        "markets/field/ticket_form.html", s=card, market=market, usual=usual,
        unfolded=card.status.level in (ALERT, EXCEEDED), without_badge=without_badge,
        metres_range=tickets.METRES_RANGE, shortcuts=tickets.SHORTCUT_METRES,
        errors=errors or {}), (422 if errors else 200)


def save_ticket(trader: Trader, *, without_badge: bool):
    db, place, market = request_db(), current_establishment(), current_market()
    if market is None:
        return _message(_("Select a market"), _("Choose the market first."), 409)
    today = _today()
    existing = tickets.existing_ticket_id(db, place, trader, market, today)
    if existing is not None:
        return redirect(url_for(".field_ticket", ticket_id=existing))
    try:
        ticket = tickets.field_ticket(
            db, place, trader=trader, market=market, day=today,
            metres=request.form.get("metres", ""),
            demonstrator=request.form.get("demonstrator") == "1",
            user=current_user.user, without_badge=without_badge)
    except Invalid as exc:
        db.rollback()
        existing = tickets.existing_ticket_id(db, place, trader, market, today)
        if existing is not None:  # saved meanwhile from another phone: open it
            return redirect(url_for(".field_ticket", ticket_id=existing))
        return ticket_page(trader, without_badge=without_badge, errors=exc.errors)
    db.commit()
    return redirect(url_for(".field_ticket", ticket_id=ticket.id, saved=1))


# --- routes ---------------------------------------------------------------------------------


def register(bp: Blueprint) -> None:
    @bp.route("/field/")
    @require_permission(FIELD)
    def field_home():
        place = current_establishment()
        market = current_market()
        settings = _settings()
        markets = request_db().scalars(select_for(place, Market, Market.active.is_(True))
                                       .order_by(Market.name)).all()
        return render_template(
            "markets/field/home.html", markets=markets, market=market, mode=current_mode(),
            stats=market_stats(market, _today(), settings["stats_mode"]) if market else None,
            home=True)

    @bp.route("/field/market", methods=["POST"])
    @require_permission(FIELD)
    def field_market():
        market_id = request.form.get("market_id", "")
        market = (get_for(request_db(), current_establishment(), Market, int(market_id))
                  if market_id.isdigit() else None)
        session[_key("market")] = market.id if market else None
        if market is None:
            session[_key("mode")] = INFO
        return redirect(url_for(".field_home"))

    @bp.route("/field/mode", methods=["POST"])
    @require_permission(FIELD)
    def field_mode():
        mode = request.form.get("mode", INFO)
        if mode not in MODES:
            abort(400)
        if mode != INFO and current_market() is None:
            return _message(_("Select a market"),
                            _("Choose the market first: PLACEMENT and TICKET modes work on "
                              "one market."), 400)
        session[_key("mode")] = mode
        return redirect(url_for(".field_home"))

    @bp.route("/field/scan")
    @require_permission(FIELD)
    def field_scan():
        """Scan badge PC: a USB reader types the serial number; the badge URL opens."""
        serial = request.args.get("serial", "").strip()
        trader = traders.by_serial(request_db(), current_establishment(), serial)
        if trader is None:
            return revoked.refusal(serial=serial) or _message(
                _("Unknown badge"), _("No trader has the badge %(serial)s.", serial=serial or "-"),
                404)
        return redirect(url_for(".badge", token=trader.badge_token))

    @bp.route("/field/access-code/<token>", methods=["POST"])
    @require_permission(FIELD)
    def field_access_code(token):
        db = request_db()
        trader = _trader_by_token(token)
        code = traders.generate_access_code(trader)
        db.commit()
        return info_page(trader, new_code=code)

    @bp.route("/field/placement/<token>", methods=["POST"])
    @require_permission(FIELD)
    def field_enrol(token):
        db, place, market = request_db(), current_establishment(), current_market()
        if market is None:
            return _message(_("Select a market"), _("Choose the market first."), 409)
        trader = _trader_by_token(token)
        settings = _settings()
        card = summary(db, place, trader, _today(), settings, frames=False)
        try:
            _enrolment, found = placement.enrol(db, place, trader, market, _today(),
                                                card.status, settings)
        except Invalid as exc:
            db.rollback()
            return placement_page(trader, errors=exc.errors), 422
        db.commit()
        return placement_page(trader, found=found)

    @bp.route("/field/placement/<token>/delete", methods=["POST"])
    @require_permission(FIELD)
    def field_unenrol(token):
        db, place, market = request_db(), current_establishment(), current_market()
        trader = _trader_by_token(token)
        if market is not None:
            enrolment = placement.enrolment_of(db, place, trader, market, _today())
            if enrolment is not None:
                placement.unenrol(db, place, enrolment, _settings())
                db.commit()
        return redirect(url_for(".badge", token=token))

    @bp.route("/field/list")
    @require_permission(FIELD)
    def field_list():
        market = current_market()
        if market is None:
            return _message(_("Select a market"), _("Choose the market first."), 409)
        rows = placement.day_list(request_db(), current_establishment(), market, _today())
        return render_template("markets/field/list.html", market=market, rows=rows)

    @bp.route("/field/list/<int:enrolment_id>", methods=["POST"])
    @require_permission(FIELD)
    def field_toggle(enrolment_id):
        db = request_db()
        enrolment = get_for(db, current_establishment(), Enrolment, enrolment_id)
        if enrolment is None:
            abort(404)
        placement.toggle_placed(enrolment)
        db.commit()
        return redirect(url_for(".field_list") + f"#e{enrolment.id}")

    @bp.route("/field/ticket/<token>", methods=["POST"])
    @require_permission(FIELD)
    def field_ticket_save(token):
        return save_ticket(_trader_by_token(token), without_badge=False)

    @bp.route("/field/tickets/<int:ticket_id>", methods=["GET", "POST"])
    @require_permission(FIELD)
    def field_ticket(ticket_id):
        db, place, today = request_db(), current_establishment(), _today()
        ticket = get_for(db, place, Ticket, ticket_id)
        if ticket is None:
            abort(404)
        errors: dict = {}
        if request.method == "POST":
            changes: dict[str, Any] = {"metres": request.form.get("metres", "")}
            market_id = request.form.get("market_id", "")
            if market_id.isdigit():
                market = get_for(db, place, Market, int(market_id))
                if market is None:
                    abort(400)
                changes["market"] = market
            if request.form.get("remove_badge_surcharge") == "1":
                changes["badge_surcharge"] = False
            try:
                tickets.update_ticket(db, place, ticket, user=current_user.user,
                                      check_day=today, **changes)
            except Invalid as exc:
                db.rollback()
                ticket = get_for(db, place, Ticket, ticket_id)
                errors = exc.errors
            else:
                db.commit()
                return redirect(url_for(".field_ticket", ticket_id=ticket.id, saved=1))
        markets = db.scalars(select_for(place, Market, Market.active.is_(True))
                             .order_by(Market.name)).all()
        return render_template(
            "markets/field/ticket.html", ticket=ticket, errors=errors,
            editable=tickets.can_change(ticket, current_user.user, today),
            markets=[m for m in markets if m.opens_on(today)],
            metres_range=tickets.METRES_RANGE, saved=request.args.get("saved") == "1",
            autoclose=int(_settings()["autoclose_seconds"])), (422 if errors else 200)

    @bp.route("/field/tickets/<int:ticket_id>/delete", methods=["POST"])
    @require_permission(FIELD)
    def field_ticket_delete(ticket_id):
        db, place = request_db(), current_establishment()
        ticket = get_for(db, place, Ticket, ticket_id)
        if ticket is None:
            abort(404)
        trader_name = ticket.trader.display_name
        try:
            tickets.delete_ticket(db, place, ticket, user=current_user.user,
                                  check_day=_today())
        except Invalid as exc:
            return _message(_("Ticket kept"), str(exc.errors["ticket"]), 403)
        db.commit()
        return _message(_("Ticket deleted"),
                        _("The ticket of %(trader)s was deleted; the history keeps it.",
                          trader=trader_name), level="success")

    @bp.route("/field/no-badge")
    @require_permission(FIELD)
    def field_no_badge():
        market = current_market()
        if market is None:
            return _message(_("Select a market"), _("Choose the market first."), 409)
        text = request.args.get("q", "").strip()
        found: list[Trader] = []
        if text:
            pattern = f"%{text}%"
            found = list(request_db().scalars(
                select_for(current_establishment(), Trader, Trader.active.is_(True),
                           or_(Trader.legal_name.ilike(pattern),
                               Trader.last_name.ilike(pattern)))
                .order_by(Trader.legal_name).limit(30)))
        return render_template("markets/field/no_badge.html", q=text, found=found,
                               market=market)

    @bp.route("/field/no-badge/<int:trader_id>", methods=["GET", "POST"])
    @require_permission(FIELD)
    def field_no_badge_ticket(trader_id):
        trader = get_for(request_db(), current_establishment(), Trader, trader_id)
        if trader is None:
            abort(404)
        if current_market() is None:
            return _message(_("Select a market"), _("Choose the market first."), 409)
        if request.method == "POST":
            return save_ticket(trader, without_badge=True)
        return ticket_page(trader, without_badge=True)
