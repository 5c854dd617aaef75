"""Web pages of Markets: the badge URL, the trader records and their tabs, searches and CSV
exports, tickets and their history, and the lists an administrator keeps (markets, sales
natures, document types). The placier's mobile pages are in :mod:`regie_markets.field.views`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from regie.api import (
    Invalid,
    User,
    audit,
    can,
    csv_response,
    current_establishment,
    file_response,
    get_for,
    require_permission,
    select_for,
)
from regie.api import gettext as _
from regie_markets import badges, billing, selfservice, third_party, tickets, traders
from regie_markets.field import revoked
from regie_markets.field import views as field_views
from regie_markets.models import (
    Authorisation,
    DocumentType,
    Employee,
    Enrolment,
    Market,
    RevokedBadge,
    SalesNature,
    Ticket,
    TicketChange,
    Trader,
    TraderDocument,
)
from regie_markets.office_models import SireneAlert
from regie_markets.settings import markets_settings, today_in
from regie_markets.status import LEVELS, TraderStatus, evaluate, worst
from regie_markets.web import close_request_db, request_db

VIEW, FIELD, EDIT, BLOCK, EXPORT, ADMIN = ("markets.view", "markets.field",
                                           "markets.traders.edit", "markets.block",
                                           "markets.export", "markets.admin")
TABS = ("record", "employees", "documents", "sirene", "attendance", "authorisations",
        "placements", "invoices", "tickets")
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_UPLOAD = 5 * 1024 * 1024


def _settings() -> dict[str, Any]:
    return markets_settings(current_establishment())


def _today() -> dt.date:
    return today_in(current_establishment())


def _trader(trader_id: int) -> Trader:
    trader = get_for(request_db(), current_establishment(), Trader, trader_id)
    if trader is None:
        abort(404)
    return trader


def statuses(rows: list[Trader]) -> dict[int, TraderStatus]:
    db, place, today, settings = (request_db(), current_establishment(), _today(),
                                  _settings())
    found = {}
    for trader in rows:
        amount, count = billing.arrears(db, place, trader, today)
        found[trader.id] = evaluate(trader, settings, today, arrears_amount=amount,
                                    arrears_count=count, currency=place.currency,
                                    locale=place.locale)
    return found


def _weekday_names() -> dict[int, str]:
    return {1: _("Monday"), 2: _("Tuesday"), 3: _("Wednesday"), 4: _("Thursday"),
            5: _("Friday"), 6: _("Saturday"), 7: _("Sunday")}


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_markets", __name__, template_folder="templates",
                   static_folder="static", static_url_path="/static")
    bp.teardown_request(close_request_db)

    @bp.app_template_global("markets_weekdays")
    def markets_weekdays():
        return _weekday_names()

    @bp.app_template_global("markets_currency")
    def markets_currency():
        return current_establishment().currency

    @bp.route("/")
    @require_permission()
    def index():
        if not can(VIEW):
            return render_template("markets/not_configured.html")
        if can(FIELD) and not can(EDIT):
            return redirect(url_for(".field_home"))
        return render_template("markets/index.html")

    # --- the badge URL --------------------------------------------------------------------

    @bp.route("/b/<token>", methods=["GET", "POST"])
    def badge(token):
        """What a badge opens: the placier's current mode, or the trader's self-service."""
        trader = traders.by_token(request_db(), current_establishment(), token)
        if trader is None or not trader.active:
            return revoked.refusal(token=token) or (render_template(
                "markets/field/message.html", title=_("Unknown badge"),
                text=_("This badge is unknown: check the address, or ask the market office."),
                level="error"), 404)
        if current_user.is_authenticated and can(FIELD) and request.method == "GET":
            return field_views.placier_scan(trader)
        if request.method == "POST":
            return selfservice.check(trader)
        return selfservice.code_page(trader)

    field_views.register(bp)

    # --- traders --------------------------------------------------------------------------

    @bp.route("/traders/")
    @require_permission(VIEW)
    def trader_list():
        db, place = request_db(), current_establishment()
        args = request.args
        text = args.get("q", "").strip()
        if text:
            rows = traders.simple_search(db, place, text)
        else:
            rows = traders.advanced_search(db, place, args.to_dict(), _today(), _settings())
        found = statuses(rows)
        for criterion in ("global", "arrears", "kbis", "insurance"):
            wanted = args.get(f"status_{criterion}", "")
            if wanted in LEVELS:
                rows = [t for t in rows if _level(found[t.id], criterion) == wanted]
        if args.get("record_state") in ("photo", "badge", "ready"):
            rows = [t for t in rows if traders.record_state(t) == args["record_state"]]
        if args.get("format") == "csv":
            if not can(EXPORT):
                abort(403)
            return _traders_csv(rows, found)
        natures = db.scalars(select_for(place, SalesNature).order_by(SalesNature.label)).all()
        return render_template("markets/traders.html", rows=rows, statuses=found, args=args,
                               natures=natures, q=text)

    def _level(status: TraderStatus, criterion: str) -> str:
        if criterion == "global":
            return status.level
        if criterion == "arrears":
            return worst([status.criterion("arrears_amount").level,
                          status.criterion("arrears_count").level])
        return status.criterion(criterion).level

    def _traders_csv(rows: list[Trader], found: dict[int, TraderStatus]):
        header = [_("Number"), _("Legal name"), _("Name"), _("First name"), _("Address"),
                  _("Postcode"), _("City"), _("Mobile"), _("SIRET"), _("Third-party number"),
                  _("Sales nature"), _("K-bis checked on"), _("K-bis valid until"),
                  _("Insurance until"), _("Badge serial"), _("Badge associated"), _("Blocked"),
                  _("Blocking reason"), _("Arrears amount"), _("Arrears invoices"),
                  _("Global status")]
        labels = {"correct": _("correct"), "alert": _("alert"), "exceeded": _("exceeded")}

        def day(value):
            return value.strftime("%d/%m/%Y") if value else ""

        def lines():
            for t in rows:
                s = found[t.id]
                yield [t.number, t.legal_name, t.last_name, t.first_name, t.address,
                       t.postcode, t.city, t.mobile, t.siret, t.third_party_number,
                       t.sales_nature.label if t.sales_nature else "", day(t.kbis_checked_on),
                       day(s.kbis_valid_until), day(t.insurance_until), t.badge_serial or "",
                       _("yes") if t.badge_associated else _("no"),
                       _("yes") if t.blocked else _("no"), t.blocked_reason,
                       f"{s.arrears_amount / 100:.2f}".replace(".", ","), s.arrears_count,
                       labels[s.level]]

        return csv_response(f"traders-{_today().isoformat()}.csv", header, lines())

    def _form_natures():
        return request_db().scalars(select_for(current_establishment(), SalesNature)
                                    .order_by(SalesNature.label)).all()

    @bp.route("/traders/new", methods=["GET", "POST"])
    @require_permission(EDIT)
    def trader_new():
        errors: dict = {}
        if request.method == "POST":
            db = request_db()
            try:
                trader = traders.create_trader(db, current_establishment(), request.form,
                                               actor=current_user.username)
            except Invalid as exc:
                db.rollback()
                errors = exc.errors
            else:
                db.commit()
                flash(_("Trader %(number)d created.", number=trader.number), "success")
                return redirect(url_for(".trader_page", trader_id=trader.id))
        return render_template("markets/trader_form.html", trader=None, form=request.form,
                               errors=errors, natures=_form_natures()), (422 if errors else 200)

    @bp.route("/traders/<int:trader_id>/edit", methods=["GET", "POST"])
    @require_permission(EDIT)
    def trader_edit(trader_id):
        trader = _trader(trader_id)
        errors: dict = {}
        form: dict = _trader_form_values(trader)
        if request.method == "POST":
            db = request_db()
            form = request.form
            try:
                traders.update_trader(db, current_establishment(), trader, request.form)
            except Invalid as exc:
                db.rollback()
                trader = _trader(trader_id)
                errors = exc.errors
            else:
                db.commit()
                flash(_("Record saved."), "success")
                return redirect(url_for(".trader_page", trader_id=trader.id))
        return render_template("markets/trader_form.html", trader=trader, form=form,
                               errors=errors, natures=_form_natures()), (422 if errors else 200)

    def _trader_form_values(trader: Trader) -> dict:
        values = {name: getattr(trader, name) for name in traders.TEXT_FIELDS}
        values["siret"] = trader.siret
        values["sales_nature_id"] = str(trader.sales_nature_id or "")
        for name in traders.DATE_FIELDS:
            value = getattr(trader, name)
            values[name] = value.isoformat() if value else ""
        return values

    @bp.route("/traders/<int:trader_id>")
    @require_permission(VIEW)
    def trader_page(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        tab = request.args.get("tab", "record")
        if tab not in TABS:
            abort(404)
        status = statuses([trader])[trader.id]
        data: dict[str, Any] = {}
        settings = _settings()
        if tab == "record":
            data["revoked_badges"] = db.scalars(select_for(place, RevokedBadge,
                                                           RevokedBadge.trader_id == trader.id)
                                                .order_by(RevokedBadge.revoked_at.desc())).all()
        elif tab == "employees":
            data["employees"] = db.scalars(select_for(place, Employee,
                                                      Employee.trader_id == trader.id)
                                           .order_by(Employee.last_name)).all()
        elif tab == "documents":
            data["documents"] = db.scalars(select_for(place, TraderDocument,
                                                      TraderDocument.trader_id == trader.id,
                                                      TraderDocument.kind == "document")
                                           .order_by(TraderDocument.added_at.desc())).all()
            data["types"] = db.scalars(select_for(place, DocumentType)
                                       .order_by(DocumentType.label)).all()
        elif tab == "sirene":
            data["alerts"] = db.scalars(select_for(place, SireneAlert,
                                                   SireneAlert.trader_id == trader.id)
                                        .order_by(SireneAlert.raised_at.desc())).all()
        elif tab == "attendance":
            data["months"] = int(settings["attendance_months"])
            data["attendance"] = traders.attendance(db, place, trader, _today(),
                                                    data["months"])
        elif tab == "authorisations":
            data["authorisations"] = db.scalars(select_for(place, Authorisation,
                                                           Authorisation.trader_id == trader.id)
                                                .order_by(Authorisation.market_id,
                                                          Authorisation.weekday)).all()
            data["markets"] = db.scalars(select_for(place, Market).order_by(Market.name)).all()
        elif tab == "placements":
            data["placements"] = db.scalars(select_for(place, Enrolment,
                                                       Enrolment.trader_id == trader.id)
                                            .order_by(Enrolment.day.desc()).limit(200)).all()
            data["market_names"] = {m.id: m.name for m in db.scalars(select_for(place, Market))}
        elif tab == "invoices":
            data["invoices"] = billing.invoices_of(db, place, trader, _today())
        elif tab == "tickets":
            data["tickets"] = db.scalars(select_for(place, Ticket, Ticket.trader_id == trader.id)
                                         .order_by(Ticket.day.desc()).limit(500)).all()
        return render_template("markets/trader.html", trader=trader, tab=tab, status=status,
                               record_state=traders.record_state(trader),
                               access_state=traders.access_code_state(trader),
                               tries_left=traders.tries_left(trader),
                               badge_url=url_for(".badge", token=trader.badge_token,
                                                 _external=True), **data)

    @bp.route("/traders/<int:trader_id>/badge.pdf")
    @require_permission(EDIT)
    def trader_badge_pdf(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        photo = None
        if trader.photo_document_id:
            row = get_for(db, place, TraderDocument, trader.photo_document_id)
            photo = row.content if row is not None else None
        pdf = badges.badge_pdf(trader, url_for(".badge", token=trader.badge_token,
                                               _external=True), place.name, photo)
        return file_response(pdf, f"badge-{trader.number}.pdf", "application/pdf", inline=True)

    @bp.route("/traders/<int:trader_id>/third-party", methods=["GET", "POST"])
    @require_permission(EDIT)
    def trader_third_party(trader_id):
        """Initialise Tiers: the pre-filled request to download, and the number given back."""
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        error = ""
        if request.method == "POST":
            number = request.form.get("third_party_number", "").strip()
            if len(number) > traders.TEXT_FIELDS["third_party_number"]:
                error = _("at most %(size)d characters",
                          size=traders.TEXT_FIELDS["third_party_number"])
            else:
                audit(db, "markets.third_party_number", establishment=place,
                      user=current_user.user, target=f"trader:{trader.number}",
                      details={"before": trader.third_party_number, "after": number})
                trader.third_party_number = number
                db.commit()
                flash(_("Third-party number saved."), "success")
                return redirect(url_for(".trader_page", trader_id=trader.id))
        fields = third_party.request_fields(trader, place, _today(), current_user.username)
        return render_template("markets/third_party.html", trader=trader, fields=fields,
                               error=error, form=request.form), (422 if error else 200)

    @bp.route("/traders/<int:trader_id>/third-party.<any(csv, pdf):kind>")
    @require_permission(EDIT)
    def trader_third_party_file(trader_id, kind):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        fields = third_party.request_fields(trader, place, _today(), current_user.username)
        audit(db, "markets.third_party_request", establishment=place, user=current_user.user,
              target=f"trader:{trader.number}", details={"format": kind})
        db.commit()
        name = f"third-party-request-{trader.number}.{kind}"
        if kind == "csv":
            return csv_response(name, [label for label, _value in fields],
                                [[value for _label, value in fields]])
        return file_response(third_party.request_pdf(fields, place, trader), name,
                             "application/pdf")

    @bp.route("/traders/<int:trader_id>/badge", methods=["GET", "POST"])
    @require_permission(EDIT)
    def trader_associate(trader_id):
        trader = _trader(trader_id)
        errors: dict = {}
        if request.method == "POST":
            db = request_db()
            try:
                traders.associate_badge(db, current_establishment(), trader,
                                        request.form.get("serial", ""),
                                        actor=current_user.username)
            except Invalid as exc:
                db.rollback()
                trader = _trader(trader_id)
                errors = exc.errors
            else:
                db.commit()
                flash(_("Badge %(serial)s associated.", serial=trader.badge_serial), "success")
                return redirect(url_for(".trader_page", trader_id=trader.id))
        return render_template("markets/associate.html", trader=trader, errors=errors,
                               form=request.form), (422 if errors else 200)

    @bp.route("/traders/<int:trader_id>/badge/revoke", methods=["POST"])
    @require_permission(EDIT)
    def trader_revoke(trader_id):
        db = request_db()
        try:
            traders.revoke_badge(db, current_establishment(), _trader(trader_id),
                                 reason=request.form.get("reason", ""),
                                 actor=current_user.username)
        except Invalid as exc:
            flash(str(exc.errors["reason"]), "error")
            return redirect(url_for(".trader_page", trader_id=trader_id))
        db.commit()
        flash(_("Badge revoked: scanning it now says so. Print and associate a new badge."),
              "success")
        return redirect(url_for(".trader_page", trader_id=trader_id))

    @bp.route("/traders/<int:trader_id>/block", methods=["POST"])
    @require_permission(BLOCK)
    def trader_block(trader_id):
        db = request_db()
        trader = _trader(trader_id)
        if request.form.get("action") == "unblock":
            traders.unblock(trader)
        else:
            try:
                traders.block(trader, request.form.get("blocked_reason", ""),
                              request.form.get("blocked_details", ""))
            except Invalid as exc:
                flash(str(exc.errors["blocked_reason"]), "error")
                return redirect(url_for(".trader_page", trader_id=trader_id))
        db.commit()
        return redirect(url_for(".trader_page", trader_id=trader_id))

    @bp.route("/traders/<int:trader_id>/photo", methods=["POST"])
    @require_permission(EDIT)
    def trader_photo(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        content, content_type = _photo_from_request()
        if content is None:
            flash(_("No photo received: take one with the camera or choose an image "
                    "(JPEG, PNG or WebP, at most 5 MB)."), "error")
            return redirect(url_for(".trader_page", trader_id=trader_id))
        row = TraderDocument(establishment_id=place.id, trader_id=trader.id, kind="photo",
                             filename=f"photo-{trader.number}", content_type=content_type,
                             content=content)
        db.add(row)
        db.flush()
        trader.photo_document_id = row.id
        db.commit()
        flash(_("Photo saved."), "success")
        return redirect(url_for(".trader_page", trader_id=trader_id))

    def _photo_from_request() -> tuple[bytes | None, str]:
        upload = request.files.get("photo")
        if upload and upload.filename:
            content = upload.read(MAX_UPLOAD + 1)
            kind = upload.mimetype
        else:
            data_url = request.form.get("captured", "")
            head, _sep, payload = data_url.partition(",")
            kind = head.removeprefix("data:").removesuffix(";base64")
            try:
                content = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                return None, ""
        if kind not in PHOTO_TYPES or not content or len(content) > MAX_UPLOAD:
            return None, ""
        return content, kind

    @bp.route("/photos/<int:document_id>")
    @require_permission(VIEW)
    def photo(document_id):
        row = get_for(request_db(), current_establishment(), TraderDocument, document_id)
        if row is None:
            abort(404)
        return file_response(row.content, row.filename, row.content_type, inline=True)

    @bp.route("/traders/<int:trader_id>/employees", methods=["POST"])
    @require_permission(EDIT)
    def trader_employee(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        if request.form.get("delete", "").isdigit():
            row = get_for(db, place, Employee, int(request.form["delete"]))
            if row is not None and row.trader_id == trader.id:
                db.delete(row)
        else:
            last_name = request.form.get("last_name", "").strip()[:100]
            if not last_name:
                flash(_("Employee not added: the name is required."), "error")
                return redirect(url_for(".trader_page", trader_id=trader_id, tab="employees"))
            db.add(Employee(establishment_id=place.id, trader_id=trader.id,
                            last_name=last_name,
                            first_name=request.form.get("first_name", "").strip()[:100],
                            role=request.form.get("role", "").strip()[:100]))
        db.commit()
        return redirect(url_for(".trader_page", trader_id=trader_id, tab="employees"))

    @bp.route("/traders/<int:trader_id>/documents", methods=["POST"])
    @require_permission(EDIT)
    def trader_document(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        upload = request.files.get("file")
        content = upload.read(MAX_UPLOAD + 1) if upload and upload.filename else b""
        type_id = request.form.get("document_type_id", "")
        document_type = (get_for(db, place, DocumentType, int(type_id))
                         if type_id.isdigit() else None)
        date_text = request.form.get("document_date", "").strip()
        try:
            document_date = dt.date.fromisoformat(date_text) if date_text else None
        except ValueError:
            document_date = None
            flash(_("Document not added: the date is not valid."), "error")
            return redirect(url_for(".trader_page", trader_id=trader_id, tab="documents"))
        if not content or len(content) > MAX_UPLOAD or document_type is None:
            flash(_("Document not added: choose a file (at most 5 MB) and a document type."),
                  "error")
            return redirect(url_for(".trader_page", trader_id=trader_id, tab="documents"))
        db.add(TraderDocument(establishment_id=place.id, trader_id=trader.id, kind="document",
                              document_type_id=document_type.id, document_date=document_date,
                              filename=upload.filename[:255],
                              content_type=upload.mimetype or "application/octet-stream",
                              content=content))
        db.commit()
        flash(_("Document added."), "success")
        return redirect(url_for(".trader_page", trader_id=trader_id, tab="documents"))

    @bp.route("/documents/<int:document_id>")
    @require_permission(VIEW)
    def document(document_id):
        row = get_for(request_db(), current_establishment(), TraderDocument, document_id)
        if row is None:
            abort(404)
        return file_response(row.content, row.filename, row.content_type)

    @bp.route("/traders/<int:trader_id>/authorisations", methods=["POST"])
    @require_permission(EDIT)
    def trader_authorisation(trader_id):
        db, place = request_db(), current_establishment()
        trader = _trader(trader_id)
        tab = url_for(".trader_page", trader_id=trader_id, tab="authorisations")
        if request.form.get("delete", "").isdigit():
            row = get_for(db, place, Authorisation, int(request.form["delete"]))
            if row is not None and row.trader_id == trader.id:
                db.delete(row)
                db.commit()
            return redirect(tab)
        market_id, weekday = request.form.get("market_id", ""), request.form.get("weekday", "0")
        market = get_for(db, place, Market, int(market_id)) if market_id.isdigit() else None
        start_text = request.form.get("start_date", "").strip()
        try:
            start = dt.date.fromisoformat(start_text) if start_text else None
        except ValueError:
            start = "bad"
        if market is None or not weekday.isdigit() or int(weekday) > 7 or start == "bad":
            flash(_("Authorisation not added: choose a market, a weekday and a valid date."),
                  "error")
            return redirect(tab)
        row = db.scalars(select_for(place, Authorisation, Authorisation.trader_id == trader.id,
                                    Authorisation.market_id == market.id,
                                    Authorisation.weekday == int(weekday))).first()
        if row is None:
            row = Authorisation(establishment_id=place.id, trader_id=trader.id,
                                market_id=market.id, weekday=int(weekday))
            db.add(row)
        row.start_date = start
        db.commit()
        return redirect(tab)

    # --- tickets --------------------------------------------------------------------------

    @bp.route("/tickets/")
    @require_permission(VIEW)
    def ticket_list():
        db, place, args = request_db(), current_establishment(), request.args
        query = select_for(place, Ticket).join(Trader, Trader.id == Ticket.trader_id)
        if args.get("badge_serial"):
            query = query.where(Trader.badge_serial == args["badge_serial"].strip())
        if args.get("number", "").strip().isdigit():
            query = query.where(Trader.number == int(args["number"]))
        if args.get("legal_name"):
            query = query.where(Trader.legal_name.ilike(f"%{args['legal_name'].strip()}%"))
        if args.get("name"):
            query = query.where(Trader.last_name.ilike(f"%{args['name'].strip()}%"))
        if args.get("market_id", "").isdigit():
            query = query.where(Ticket.market_id == int(args["market_id"]))
        for name, op in (("from", "__ge__"), ("to", "__le__")):
            try:
                if args.get(name):
                    query = query.where(getattr(Ticket.day, op)(
                        dt.date.fromisoformat(args[name])))
            except ValueError:
                flash(_("The dates must be like 2026-11-18."), "error")
        rows = list(db.scalars(query.order_by(Ticket.day.desc(), Ticket.id.desc())
                               .limit(None if args.get("format") == "csv"
                                      or args.get("weekday") else 500)))
        if args.get("weekday", "").isdigit():
            rows = [t for t in rows if t.day.isoweekday() == int(args["weekday"])]
        if args.get("format") == "csv":
            if not can(EXPORT):
                abort(403)
            return csv_response(
                "tickets.csv",
                [_("Day"), _("Weekday"), _("Market"), _("Trader number"), _("Legal name"),
                 _("Metres"), _("Demonstrator"), _("No badge surcharge"),
                 _("Blocking surcharge"), _("Amount"), _("Source")],
                ([t.day.isoformat(), t.day.isoweekday(), t.market.name, t.trader.number,
                  t.trader.legal_name, t.metres, int(t.demonstrator), int(t.badge_surcharge),
                  int(t.blocking_surcharge), f"{t.amount / 100:.2f}".replace(".", ","),
                  t.source] for t in rows))
        markets = db.scalars(select_for(place, Market).order_by(Market.name)).all()
        return render_template("markets/tickets.html", rows=rows, args=args, markets=markets)

    @bp.route("/tickets/<int:ticket_id>", methods=["GET", "POST"])
    @require_permission(VIEW)
    def ticket_page(ticket_id):
        db, place = request_db(), current_establishment()
        ticket = get_for(db, place, Ticket, ticket_id)
        if ticket is None:
            abort(404)
        billed = ticket.id not in {t.id for t in billing.unbilled_tickets(db, place,
                                                                          ticket.trader)}
        if request.method == "POST":
            surcharge = request.form.get("remove")
            allowed = {"badge_surcharge": can(EDIT), "blocking_surcharge": can(BLOCK)}
            if surcharge not in allowed or not allowed[surcharge]:
                abort(403)
            if billed:
                flash(_("This ticket is invoiced: its surcharges can no longer change."),
                      "error")
            else:
                tickets.update_ticket(db, place, ticket, user=current_user.user,
                                      **{surcharge: False})
                db.commit()
                flash(_("Surcharge removed."), "success")
            return redirect(url_for(".ticket_page", ticket_id=ticket_id))
        return render_template("markets/ticket.html", ticket=ticket, billed=billed,
                               changes=tickets.history(db, place, ticket.id),
                               users=_user_names(tickets.history(db, place, ticket.id)))

    @bp.route("/tickets/history")
    @require_permission(VIEW)
    def ticket_history():
        db, place = request_db(), current_establishment()
        query = select_for(place, TicketChange)
        if request.args.get("ticket", "").isdigit():
            query = query.where(TicketChange.ticket_id == int(request.args["ticket"]))
        changes = list(db.scalars(query.order_by(TicketChange.at.desc(),
                                                 TicketChange.id.desc()).limit(500)))
        return render_template("markets/history.html", changes=changes,
                               users=_user_names(changes), args=request.args)

    def _user_names(changes) -> dict[int, str]:
        ids = {c.user_id for c in changes if c.user_id}
        return {u.id: u.username for u in request_db().scalars(
            select(User).where(User.id.in_(ids)))} if ids else {}

    @bp.route("/employees/")
    @require_permission(VIEW)
    def employee_list():
        text = request.args.get("q", "").strip()
        query = select_for(current_establishment(), Employee)
        if text:
            query = query.where(or_(Employee.last_name.ilike(f"%{text}%"),
                                    Employee.first_name.ilike(f"%{text}%")))
        rows = request_db().scalars(query.order_by(Employee.last_name).limit(500)).all()
        names = {t.id: t for t in request_db().scalars(select_for(
            current_establishment(), Trader, Trader.id.in_({r.trader_id for r in rows})))}
        return render_template("markets/employees.html", rows=rows, traders=names, q=text)

    # --- lists kept by the administrator ----------------------------------------------------

    @bp.route("/settings/", methods=["GET", "POST"])
    @require_permission(ADMIN)
    def lists():
        db, place = request_db(), current_establishment()
        errors: dict = {}
        if request.method == "POST":
            errors = _save_list_item(db, place)
            if not errors:
                db.commit()
                flash(_("Saved."), "success")
                return redirect(url_for(".lists"))
            db.rollback()
        return render_template(
            "markets/lists.html", errors=errors, form=request.form,
            markets=db.scalars(select_for(place, Market).order_by(Market.name)).all(),
            natures=db.scalars(select_for(place, SalesNature)
                               .order_by(SalesNature.label)).all(),
            types=db.scalars(select_for(place, DocumentType)
                             .order_by(DocumentType.label)).all()), (422 if errors else 200)

    return bp


def _cents(text: str) -> int | None:
    text = (text or "").strip().replace(",", ".").replace("€", "").strip()
    try:
        value = round(float(text) * 100)
    except ValueError:
        return None
    return value if value >= 0 else None


def _save_list_item(db, place) -> dict:
    """Add or change a market, a sales nature or a document type from the lists page."""
    kind = request.form.get("kind")
    label = request.form.get("label", "").strip()
    if kind in ("nature", "type"):
        model = SalesNature if kind == "nature" else DocumentType
        if not label:
            return {f"{kind}_label": _("is required")}
        db.add(model(establishment_id=place.id, label=label[:100]))
        return {}
    if kind != "market":
        abort(400)
    errors: dict = {}
    name = request.form.get("name", "").strip()
    if not name:
        errors["name"] = _("is required")
    weekdays = "".join(sorted(set(request.form.getlist("weekdays"))))
    if not weekdays or not all(c in "1234567" for c in weekdays):
        errors["weekdays"] = _("choose at least one day")
    tariffs = {}
    for field in ("tariff_standard", "tariff_demonstrator", "tariff_surcharge"):
        tariffs[field] = _cents(request.form.get(field, ""))
        if tariffs[field] is None:
            errors[field] = _("an amount per metre, like 1,50")
    if errors:
        return errors
    market_id = request.form.get("market_id", "")
    market = get_for(db, place, Market, int(market_id)) if market_id.isdigit() else None
    if market is None:
        market = Market(establishment_id=place.id)
        db.add(market)
    market.name, market.place, market.weekdays = (name[:100],
                                                  request.form.get("place", "").strip()[:200],
                                                  weekdays)
    market.active = request.form.get("active", "1") == "1"
    for field, value in tariffs.items():
        setattr(market, field, value)
    return {}
