"""The school's sync page (``/<slug>/reservation/sync/``): each stream's last success and
whether it is late, the agent tokens (create, rotate, revoke) and "send this pupil"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from regie.api import (
    Establishment,
    NotFound,
    Veto,
    can,
    current_establishment,
    current_runtime,
    db_session,
    require_permission,
)
from regie.api import gettext as _
from regie_reservation import individuals
from regie_reservation.sync import pulls, tokens
from regie_reservation.sync.status import stream_status

VIEW, MANAGE = "reservation.view", "reservation.manage"


def _page(*, new_token: str | None = None, send_error: str | None = None,
          send_value: str = "", status: int = 200):
    session = db_session()
    establishment = current_establishment()
    return render_template(
        "reservation/sync/index.html", streams=stream_status(session, establishment),
        tokens=tokens.tokens(session, establishment) if can(MANAGE) else [],
        manage=can(MANAGE), new_token=new_token, send_error=send_error, send_value=send_value,
        api_url=url_for("plugin_reservation_syncapi.payments", _external=True)
        .rsplit("/payments", 1)[0]), status


def _write():
    return current_runtime().db.transaction()


def _place(session) -> Establishment:
    return session.get(Establishment, current_establishment().id)


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_reservation_sync", __name__, template_folder="../templates")

    @bp.get("/sync/")
    @require_permission(VIEW)
    def index():
        return _page()

    @bp.post("/sync/tokens")
    @require_permission(MANAGE)
    def create_token():
        with _write() as session:
            _token, text = tokens.create(session, _place(session),
                                         label=request.form.get("label", ""),
                                         actor=current_user.username)
        return _page(new_token=text, status=201)

    @bp.post("/sync/tokens/<int:token_id>/rotate")
    @require_permission(MANAGE)
    def rotate_token(token_id: int):
        try:
            with _write() as session:
                _token, text = tokens.rotate(session, _place(session), token_id,
                                             actor=current_user.username)
        except (NotFound, Veto) as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        return _page(new_token=text)

    @bp.post("/sync/tokens/<int:token_id>/revoke")
    @require_permission(MANAGE)
    def revoke_token(token_id: int):
        try:
            with _write() as session:
                token = tokens.revoke(session, _place(session), token_id,
                                      actor=current_user.username)
                name = token.public_id
        except (NotFound, Veto) as exc:
            flash(str(exc), "error")
        else:
            flash(_("Token %(name)s revoked: the agent using it is refused from now on.",
                    name=name), "success")
        return redirect(url_for(".index"))

    @bp.post("/sync/send")
    @require_permission(MANAGE)
    def send_pupil():
        wanted = request.form.get("individual", "").strip()
        with _write() as session:
            place = _place(session)
            person = (individuals.by_external_id(session, place, wanted)
                      or individuals.by_login(session, place, wanted)) if wanted else None
            if person is not None:
                pulls.request_refresh(session, place, person, actor=current_user.username)
                name = person.full_name
        if person is None:
            message = (_("No individual has the back-office id or login %(value)s.",
                         value=wanted) if wanted else _("Give a back-office id or a login."))
            return _page(send_error=message, send_value=wanted, status=422)
        flash(_("%(name)s will be sent by the agent within seconds, with 90 days of passages.",
                name=name), "success")
        return redirect(url_for(".index"))

    return bp
