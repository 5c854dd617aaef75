"""Web pages of the Markets back office: invoicing runs, invoices to pay and all invoices with
pointing of payments, the ticket import, SIRENE alerts, exports and lists.

Mounted as the blueprint ``plugin_markets_office`` under ``/<slug>/markets/office/``.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from regie.api import (
    Establishment,
    Invalid,
    Money,
    NotFound,
    User,
    Veto,
    can,
    csv_response,
    current_establishment,
    current_runtime,
    db_session,
    file_response,
    format_money,
    last_syncs,
    ngettext,
    require_permission,
    run_sync,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_markets import billing, traders
from regie_markets.dashboards import widgets as dashboards
from regie_markets.exports import reports
from regie_markets.field import revoked
from regie_markets.invoicing import collect, search, treatment
from regie_markets.invoicing.duplicate import duplicate
from regie_markets.models import Market, Ticket, Trader
from regie_markets.office_models import (
    DONE,
    ImportBatch,
    Invoice,
    InvoiceLine,
    InvoicingRun,
    SireneAlert,
)
from regie_markets.sirene import alerts as sirene_alerts_module
from regie_markets.ticket_import import batches as import_batches
from regie_markets.ticket_import import sheet

VIEW, COLLECT, INVOICE, EXPORT = ("markets.view", "markets.collect", "markets.invoice",
                                  "markets.export")
IMPORT, SIRENE, ADMIN = "markets.import", "markets.sirene", "markets.admin"


# --- helpers -------------------------------------------------------------------------------


def _write():
    return current_runtime().db.transaction()


def _place(session) -> Establishment:
    return session.get(Establishment, current_establishment().id)


def _failed(exc: Invalid | Veto | NotFound, errors: dict) -> None:
    if isinstance(exc, Invalid):
        errors.update({key: str(value) for key, value in exc.errors.items()})
    else:
        errors["_form"] = str(exc)


def _today() -> dt.date:
    return treatment.local_today(current_establishment())


def _date(text: str, errors: dict, field: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors[field] = _("give a date as DD/MM/YYYY")
    return None


def _money(amount: int) -> str:
    place = current_establishment()
    return format_money(Money(amount, place.currency), place.locale)


def _plain_amount(amount: int) -> str:
    """An amount as a régie software takes it when pasted: 1234.56."""
    return f"{amount // 100}.{amount % 100:02d}" if amount >= 0 else f"-{_plain_amount(-amount)}"


def _invoice_or_404(session, invoice_id: int) -> Invoice:
    invoice = session.scalar(select_for(current_establishment(), Invoice,
                                        Invoice.id == invoice_id))
    if invoice is None:
        abort(404)
    return invoice


def _run_or_404(session, run_id: int) -> InvoicingRun:
    run = treatment.get_run(session, current_establishment(), run_id)
    if run is None:
        abort(404)
    return run


def index():
    return redirect(url_for(".to_pay" if can(COLLECT) else ".invoices"))


# --- invoicing runs ------------------------------------------------------------------------


def invoicing():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    form = request.form
    if request.method == "POST":
        if not can(INVOICE):
            abort(403)
        try:
            month = treatment.parse_month(form.get("month", ""))
            run_id = treatment.start(current_runtime(), current_establishment(), month,
                                     user=current_user.user)
            flash(_("The invoicing of %(month)s has started.", month=f"{month:%Y-%m}"))
            return redirect(url_for(".run", run_id=run_id))
        except (Invalid, Veto) as exc:
            _failed(exc, errors)
    runs = session.scalars(select_for(place, InvoicingRun)
                           .order_by(InvoicingRun.month.desc())).all()
    default = f"{treatment.last_month(_today()):%Y-%m}"
    return render_template("markets/office/invoicing.html", runs=runs, errors=errors,
                           month=form.get("month", default)), 422 if errors else 200


def run(run_id: int):
    item = _run_or_404(db_session(), run_id)
    return render_template("markets/office/run.html", run=item, money=_money)


def run_file(run_id: int, which: str):
    with _write() as session:
        item = _run_or_404(session, run_id)
        if item.state != DONE:
            abort(404)
        relative = item.invoices_file if which == "invoices" else item.index_file
        item.last_access_at, item.last_access_by = utcnow(), current_user.username
        month = f"{item.month:%Y-%m}"
    path = treatment.resolve_file(current_runtime(), relative)
    if not path.is_file():
        abort(404)
    name = (_("invoices-%(month)s.pdf", month=month) if which == "invoices"
            else _("invoices-%(month)s-index.pdf", month=month))
    return file_response(path.read_bytes(), name, "application/pdf", inline=True)


# --- invoices ------------------------------------------------------------------------------


def _invoice_list(*, to_collect: bool):
    place = current_establishment()
    fixed = {"to_collect": True, "settled": search.UNPAID} if to_collect else {}
    criteria = search.Criteria.from_args(request.args, **fixed)
    if not to_collect and "settled" not in request.args:
        criteria.settled = search.ALL
    rows = list(search.rows(db_session(), place, criteria, _today()))
    if request.args.get("format") == "csv":
        if not can(EXPORT):
            abort(403)
        return _invoices_csv(rows)
    return render_template("markets/office/invoices.html", rows=rows, criteria=criteria,
                           to_collect=to_collect, printing=request.args.get("print") == "1",
                           plain_amount=_plain_amount, total=sum(
                               row.invoice.amount for row in rows if row.view.unpaid))


def to_pay():
    return _invoice_list(to_collect=True)


def invoices():
    return _invoice_list(to_collect=False)


def _invoices_csv(rows):
    header = [_("Invoice"), _("Month"), _("Trader number"), _("Legal name at invoicing"),
              _("Distribution market"), _("Amount"), _("State"), _("Receipt date"),
              _("Receipt number"), _("Comment"), _("Titre de recette"), _("Cumulative debt")]
    body = ([row.invoice.number, f"{row.invoice.month:%Y-%m}", row.invoice.trader_number,
             row.invoice.legal_name, row.invoice.market_name,
             _plain_amount(row.invoice.amount), row.view.state_label,
             row.invoice.receipt_date.isoformat() if row.invoice.receipt_date else "",
             row.invoice.receipt_number, row.invoice.receipt_comment, row.invoice.title_number,
             _plain_amount(row.cumulative)] for row in rows)
    return csv_response(_("invoices.csv"), header, body)


def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


def _invoice_page(invoice_id: int, errors: dict | None = None, status: int = 200):
    session = db_session()
    place = current_establishment()
    item = _invoice_or_404(session, invoice_id)
    lines = session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == item.id)
                            .order_by(InvoiceLine.day, InvoiceLine.id)).all()
    view = billing.view_of(item, _today(), billing.settings_of(place))
    return render_template("markets/office/invoice.html", invoice=item, view=view,
                           lines=lines, errors=errors or {}, form=request.form,
                           today=_today(), plain_amount=_plain_amount), status


def point(invoice_id: int):
    errors: dict = {}
    form = request.form
    receipt_date = _date(form.get("receipt_date", ""), errors, "receipt_date")
    if not errors:
        try:
            with _write() as session:
                collect.point(session, current_runtime(), _place(session), invoice_id,
                              receipt_date=receipt_date,
                              receipt_number=form.get("receipt_number", ""),
                              comment=form.get("receipt_comment", ""), actor=current_user.user)
            flash(_("Payment pointed."))
            return redirect(_back(invoice_id))
        except (Invalid, Veto, NotFound) as exc:
            _failed(exc, errors)
    return _invoice_page(invoice_id, errors, 422)


def unpoint(invoice_id: int):
    errors: dict = {}
    try:
        collect.unpoint(current_runtime(), current_establishment(), invoice_id,
                        actor=current_user.user)
        flash(_("The pointing was undone."))
        return redirect(_back(invoice_id))
    except (Invalid, Veto, NotFound) as exc:
        _failed(exc, errors)
    return _invoice_page(invoice_id, errors, 422)


def title(invoice_id: int):
    with _write() as session:
        collect.set_title(session, _place(session), invoice_id, request.form.get("title", ""))
    flash(_("Titre de recette saved."))
    return redirect(_back(invoice_id))


def _back(invoice_id: int) -> str:
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for(".invoice", invoice_id=invoice_id)


def invoice_duplicate(invoice_id: int):
    session = db_session()
    item = _invoice_or_404(session, invoice_id)
    try:
        content = duplicate(treatment.resolve_file(current_runtime(), item.run.invoices_file),
                            item)
    except NotFound:
        abort(404)
    return file_response(content, _("duplicate-%(number)s.pdf", number=item.number),
                         "application/pdf", inline=True)


# --- ticket import ------------------------------------------------------------------------


def _placiers(session) -> list[User]:
    """Users who may be a batch's placier: those who issued tickets here, and oneself."""
    ids = set(session.scalars(select_for(current_establishment(), Ticket)
                              .with_only_columns(Ticket.placier_id).distinct()))
    ids.add(current_user.user.id)
    ids.discard(None)
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)))


def _own_only() -> bool:
    """A placier imports into their own batches only."""
    return not (can(COLLECT) or can(ADMIN))


def batches():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    form = request.form
    if request.method == "POST":
        day = _date(form.get("day", ""), errors, "day")
        placier_id = form.get("placier_id", type=int) or current_user.user.id
        if _own_only():
            placier_id = current_user.user.id
        if not errors:
            try:
                with _write() as writing:
                    batch = import_batches.create_batch(
                        writing, _place(writing), day=day,
                        market_id=form.get("market_id", type=int), placier_id=placier_id,
                        actor=current_user.username)
                    number, batch_id = batch.number, batch.id
                flash(_("Batch %(number)d created: write its number on the sheets.",
                        number=number))
                return redirect(url_for(".batch", batch_id=batch_id))
            except (Invalid, Veto) as exc:
                _failed(exc, errors)
    query = select_for(place, ImportBatch).order_by(ImportBatch.number.desc())
    if _own_only():
        query = query.where(ImportBatch.placier_id == current_user.user.id)
    markets = dict(session.execute(select_for(place, Market)
                                   .with_only_columns(Market.id, Market.name)).all())
    users = _placiers(session)
    return render_template("markets/office/batches.html", batches=session.scalars(query).all(),
                           markets=markets, users={user.id: user for user in users},
                           errors=errors, form=form, today=_today(),
                           own_only=_own_only()), 422 if errors else 200


def _batch_or_404(session, batch_id: int) -> ImportBatch:
    batch = session.scalar(select_for(current_establishment(), ImportBatch,
                                      ImportBatch.id == batch_id))
    if batch is None or (_own_only() and batch.placier_id != current_user.user.id):
        abort(404)
    return batch


def batch(batch_id: int, errors: dict | None = None, status: int = 200):
    session = db_session()
    place = current_establishment()
    item = _batch_or_404(session, batch_id)
    market = session.get(Market, item.market_id)
    placier = session.get(User, item.placier_id) if item.placier_id else None
    return render_template("markets/office/batch.html", batch=item, market=market,
                           placier=placier,
                           readings=import_batches.readings(session, place, item),
                           to_create=import_batches.to_create(session, place, item),
                           errors=errors or {}), status


def finalise(batch_id: int):
    errors: dict = {}
    _batch_or_404(db_session(), batch_id)
    try:
        with _write() as session:
            created = import_batches.finalise(session, _place(session), batch_id,
                                              user=current_user.user)
        flash(ngettext("%(num)d ticket created.", "%(num)d tickets created.", created))
        return redirect(url_for(".batch", batch_id=batch_id))
    except (Invalid, Veto) as exc:
        _failed(exc, errors)
    return batch(batch_id, errors, 422)


def remove_reading(batch_id: int, reading_id: int):
    errors: dict = {}
    _batch_or_404(db_session(), batch_id)
    try:
        with _write() as session:
            import_batches.remove_reading(session, _place(session), reading_id)
        return redirect(url_for(".batch", batch_id=batch_id))
    except (Invalid, Veto) as exc:
        _failed(exc, errors)
    return batch(batch_id, errors, 422)


def upload():
    errors: dict = {}
    outcome = None
    if request.method == "POST":
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            errors["file"] = _("choose the CSV file to import")
        else:
            try:
                with _write() as session:
                    outcome = import_batches.import_readings(
                        session, _place(session), upload_file.read(), user=current_user.user,
                        own_batches_only=_own_only())
            except Invalid as exc:
                _failed(exc, errors)
    rejects = None
    if outcome is not None and outcome.rejects:
        rejects = {"list": list(outcome.rejects),
                   "report": base64.b64encode(outcome.rejects.to_csv()).decode("ascii"),
                   "lines": base64.b64encode(outcome.rejects.lines_file()).decode("ascii")}
    return render_template("markets/office/upload.html", errors=errors, outcome=outcome,
                           rejects=rejects), 422 if errors else 200


def model_csv():
    return file_response(import_batches.model_file(), _("tickets-model.csv"),
                         "text/csv; charset=utf-8")


def ticket_sheet_pdf():
    place = current_establishment()
    return file_response(sheet.ticket_sheet(place.name, place.locale),
                         _("ticket-sheet.pdf"), "application/pdf", inline=True)


# --- SIRENE alerts ------------------------------------------------------------------------


def sirene_alerts(errors: dict | None = None, status: int = 200):
    session = db_session()
    place = current_establishment()
    show_all = request.args.get("all") == "1"
    query = select_for(place, SireneAlert).add_columns(Trader).join(
        Trader, Trader.id == SireneAlert.trader_id).order_by(SireneAlert.raised_at.desc(),
                                                             SireneAlert.id.desc())
    trader_number = request.args.get("trader", type=int)
    if trader_number:
        query = query.where(Trader.number == trader_number)
    if not show_all:
        query = query.where(SireneAlert.processed.is_(False))
    syncs = last_syncs(session, place).get(sirene_alerts_module.SOURCE_CODE)
    return render_template("markets/office/sirene.html", rows=list(session.execute(query)),
                           labels=sirene_alerts_module.kind_labels(), show_all=show_all,
                           errors=errors or {}, last_run=syncs), status


def acknowledge_alert(alert_id: int):
    errors: dict = {}
    try:
        with _write() as session:
            sirene_alerts_module.acknowledge(session, _place(session), alert_id,
                                             request.form.get("acknowledgement", ""),
                                             current_user.username)
        flash(_("Alert processed."))
        return redirect(url_for(".sirene_alerts"))
    except (Invalid, NotFound) as exc:
        _failed(exc, errors)
        errors["alert_id"] = alert_id
    return sirene_alerts(errors, 422)


def sirene_upload():
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(_("Choose the SIRENE file."), "error")
        return redirect(url_for(".sirene_alerts"))
    folder = Path(current_runtime().config.instance) / "sirene" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(upload_file.filename).name or "sirene.csv"
    target = folder / f"{current_establishment().id}-{name}"
    upload_file.save(target)
    try:
        outcome = run_sync(current_runtime(), current_establishment().id,
                           sirene_alerts_module.SOURCE_CODE, target, user=current_user.user)
    finally:
        target.unlink(missing_ok=True)
    flash(outcome.message, "error" if outcome.state == "failed" else "info")
    return redirect(url_for(".sirene_alerts"))


# --- online payment by the trader ---------------------------------------------------------


def _trader_by_token(session, token: str) -> Trader:
    trader = traders.by_token(session, current_establishment(), token)
    if trader is None or not trader.active:
        abort(404)
    return trader


def pay_online(token: str):
    """The trader's invoices to pay online, behind the badge's access code (no sign-in)."""
    place = current_establishment()
    with current_runtime().db.session() as session:
        trader = traders.by_token(session, place, token)
        if trader is None or not trader.active:
            page = revoked.refusal(token=token, session=session)
            abort(make_response(page) if page else 404)
        if request.method == "GET":
            return render_template("markets/office/pay.html", trader=trader, invoices=None,
                                   error="")
    with current_runtime().db.transaction() as session:
        establishment = _place(session)
        trader = _trader_by_token(session, token)
        if not traders.check_access_code(session, establishment, trader,
                                         request.form.get("code", "")):
            return render_template("markets/office/pay.html", trader=trader, invoices=None,
                                   error=_("Code refused: ask a placier for your access "
                                           "code.")), 403
        invoice_id = request.form.get("invoice_id", type=int)
        if invoice_id:
            invoice = session.scalar(select_for(establishment, Invoice, Invoice.id == invoice_id,
                                                Invoice.trader_id == trader.id))
            if invoice is None:
                abort(404)
            try:
                link = collect.start_online(session, current_runtime(), establishment, invoice)
            except Veto as exc:
                flash(str(exc), "error")
            else:
                return redirect(link)
        unpaid = [view for view in billing.invoices_of(session, establishment, trader, _today())
                  if view.unpaid and not view.title_number]
        return render_template("markets/office/pay.html", trader=trader, invoices=unpaid,
                               code=request.form.get("code", ""), error="",
                               currency=place.currency)


# --- exports ------------------------------------------------------------------------------


def exports():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    args = request.args
    wanted = reports.StatsFilter(start=_date(args.get("start", ""), errors, "start"),
                                 end=_date(args.get("end", ""), errors, "end"),
                                 weekday=args.get("weekday", type=int),
                                 market=args.get("market", "").strip(),
                                 placier=args.get("placier", "").strip())
    header = [_("Month"), _("Market"), _("Weekday"), _("Placier"), _("Tickets"),
              _("Amount issued"), _("Amount collected")]
    if args.get("format") == "csv" and not errors:
        rows = reports.ticket_stats(session, place, wanted)
        return csv_response(_("ticket-statistics.csv"), header,
                            ([*row[:5], reports.cents(row[5]), reports.cents(row[6])]
                             for row in rows))
    shown = "start" in args and not errors
    stats = reports.ticket_stats(session, place, wanted) if shown else None
    markets = session.scalars(select_for(place, Market).order_by(Market.name)).all()
    return render_template("markets/office/exports.html", wanted=wanted, stats=stats,
                           header=header, errors=errors, markets=markets,
                           weekdays=reports.weekday_names(), args=args)


def arrears_csv():
    rows = reports.arrears_rows(db_session(), current_establishment(), _today())
    return csv_response(_("traders-by-arrears.csv"),
                        [_("Trader number"), _("Legal name"), _("Unpaid"), _("Invoices"),
                         _("In arrears"), _("Unpaid invoices")],
                        ([number, name, reports.cents(unpaid), count, reports.cents(late),
                          text] for number, name, unpaid, count, late, text in rows))


def priority_pdf():
    place = current_establishment()
    content = reports.priority_pdf(db_session(), place, _today(), billing.settings_of(place))
    return file_response(content, _("placement-priority-%(date)s.pdf",
                                    date=_today().isoformat()), "application/pdf", inline=True)


def placements():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    day = _date(request.args.get("day", ""), errors, "day")
    market_id = request.args.get("market_id", type=int)
    rows = reports.placements(session, place, day=day, market_id=market_id)
    names = {trader.id: trader for trader in session.scalars(select_for(
        place, Trader, Trader.id.in_({enrolment.trader_id for enrolment, _m in rows})))}
    markets = session.scalars(select_for(place, Market).order_by(Market.name)).all()
    return render_template("markets/office/placements.html", rows=rows, traders=names,
                           markets=markets, errors=errors, args=request.args)


# --- dashboard layout ---------------------------------------------------------------------


def widget_layout():
    session = db_session()
    place = current_establishment()
    errors: dict = {}
    if request.method == "POST":
        profile = request.form.get("profile", "")
        if profile not in dashboards.PROFILES:
            abort(400)
        entries = []
        for name in dashboards.WIDGETS:
            position = request.form.get(f"{name}-position", "").strip()
            if not position:
                continue
            if not position.lstrip("-").isdigit():
                errors[f"{profile}-{name}"] = _("a whole number, or empty to hide")
                continue
            arguments = {}
            for key, default in dashboards.WIDGETS[name].arguments.items():
                value = request.form.get(f"{name}-{key}", "").strip() or str(default)
                if not value.isdigit():
                    errors[f"{profile}-{name}"] = _("%(name)s must be a whole number",
                                                    name=key)
                arguments[key] = int(value) if value.isdigit() else default
            entries.append((name, int(position), arguments))
        if not errors:
            with _write() as writing:
                dashboards.save_layout(writing, _place(writing), profile, entries)
            flash(_("Dashboard of %(profile)s saved.", profile=dashboards.PROFILES[profile]))
            return redirect(url_for(".widget_layout"))
    layouts = {profile: {widget.name: (position, arguments) for position, (widget, arguments)
                         in enumerate(dashboards.layout(session, place, profile), start=1)}
               for profile in dashboards.PROFILES}
    return render_template("markets/office/widget_layout.html", layouts=layouts,
                           profiles=dashboards.PROFILES, widgets=dashboards.WIDGETS,
                           errors=errors), 422 if errors else 200


# --- the blueprint -------------------------------------------------------------------------


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_markets_office", __name__, template_folder="templates")

    def route(rule: str, view, permission: str, **options) -> None:
        bp.add_url_rule(f"/office{rule}", view_func=require_permission(permission)(view),
                        **options)

    bp.add_url_rule("/pay/<token>", view_func=pay_online, methods=["GET", "POST"])
    route("/", index, EXPORT)
    route("/invoicing", invoicing, EXPORT, methods=["GET", "POST"])
    route("/invoicing/<int:run_id>", run, EXPORT)
    route("/invoicing/<int:run_id>/<any(invoices, index):which>.pdf", run_file, EXPORT)
    route("/invoices/to-pay", to_pay, COLLECT)
    route("/invoices", invoices, EXPORT)
    route("/invoices/<int:invoice_id>", invoice, EXPORT)
    route("/invoices/<int:invoice_id>/point", point, COLLECT, methods=["POST"])
    route("/invoices/<int:invoice_id>/unpoint", unpoint, COLLECT, methods=["POST"])
    route("/invoices/<int:invoice_id>/title", title, COLLECT, methods=["POST"])
    route("/invoices/<int:invoice_id>/duplicate.pdf", invoice_duplicate, EXPORT)
    route("/import", batches, IMPORT, methods=["GET", "POST"])
    route("/import/<int:batch_id>", batch, IMPORT)
    route("/import/<int:batch_id>/finalise", finalise, IMPORT, methods=["POST"])
    route("/import/<int:batch_id>/readings/<int:reading_id>/remove", remove_reading, IMPORT,
          methods=["POST"])
    route("/import/upload", upload, IMPORT, methods=["GET", "POST"])
    route("/import/model.csv", model_csv, IMPORT)
    route("/import/ticket-sheet.pdf", ticket_sheet_pdf, IMPORT)
    route("/exports", exports, EXPORT)
    route("/exports/traders-by-arrears.csv", arrears_csv, EXPORT)
    route("/exports/placement-priority.pdf", priority_pdf, EXPORT)
    route("/placements", placements, EXPORT)
    route("/widgets", widget_layout, ADMIN, methods=["GET", "POST"])
    route("/sirene", sirene_alerts, SIRENE)
    route("/sirene/<int:alert_id>", acknowledge_alert, SIRENE, methods=["POST"])
    route("/sirene/upload", sirene_upload, SIRENE, methods=["POST"])
    return bp
