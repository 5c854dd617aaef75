"""Downloading stored documents and issuing receipts of payments (``/<slug>/documents/…``).

A document is served only to members of its establishment who hold the permission that shows
the record it belongs to; any other establishment's document answers 404, as a missing one.
"""

from __future__ import annotations

from flask import Response, abort, g, redirect, request, url_for
from flask_login import current_user

from regie.db.money import Payment
from regie.db.tenancy import get_for
from regie.services import documents
from regie.services.errors import Invalid, NotFound
from regie.web.context import can, current_runtime, db_session, require_permission, write_session
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("documents", __name__)

#: Content types a browser may show in place rather than download.
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


@bp.route("/documents/<int:document_id>")
@require_permission()
def download(document_id: int):
    """The document's bytes; ``?inline=1`` shows a PDF in the browser instead of saving it."""
    try:
        document = documents.fetch(db_session(), g.establishment, document_id)
    except NotFound:
        abort(404)
    if not can(document.permission):
        abort(403)
    inline = request.args.get("inline") == "1" and document.content_type.startswith(INLINE_TYPES)
    response = Response(document.content, mimetype=document.content_type)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         filename=document.filename)
    response.headers["Content-Length"] = str(document.size)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{document.sha256}"'
    return response


@bp.route("/documents/receipts/<int:payment_id>", methods=["POST"])
@require_permission(documents.PAYMENT_PERMISSION)
def issue_receipt(payment_id: int):
    """Issue a receipt of the payment (the original the first time, then duplicates) in the
    posted ``renderer`` format, and show it."""
    code = request.form.get("renderer") or documents.DEFAULT_RECEIPT_RENDERER
    engine = current_runtime().engine
    if code not in {item.code for item in documents.receipt_renderers(engine,
                                                                       g.enabled_plugins)}:
        abort(400)
    session = write_session()
    payment = get_for(session, g.establishment, Payment, payment_id)
    if payment is None:
        abort(404)
    try:
        document = documents.issue_receipt(session, engine, payment, renderer_code=code,
                                           user=current_user.user, enabled=g.enabled_plugins)
    except Invalid as exc:
        session.rollback()
        abort(409, description=str(exc))
    session.commit()
    return redirect(url_for("documents.download", document_id=document.id, inline=1), code=303)


@bp.app_template_global()
def receipt_panel(payment: Payment) -> dict | None:
    """What ``documents/_receipts.html`` shows for ``payment``: the receipt formats and the
    receipts issued so far; ``None`` when the payment has no receipt or the user may not print
    one."""
    if payment.receipt_number is None or not can(documents.PAYMENT_PERMISSION):
        return None
    return {
        "renderers": documents.receipt_renderers(current_runtime().engine, g.enabled_plugins),
        "issued": documents.receipts_of(db_session(), payment),
    }
