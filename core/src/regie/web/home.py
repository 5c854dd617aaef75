"""The platform home: the establishments the signed-in user works for."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from regie.db.models import Establishment, Membership
from regie.web.app import healthz
from regie.web.context import db_session

bp = Blueprint("home", __name__)
bp.add_url_rule("/healthz", "healthz", healthz)


@bp.route("/")
@login_required
def index():
    query = select(Establishment).order_by(Establishment.name)
    if not current_user.is_superuser:
        query = query.where(Establishment.id.in_(
            select(Membership.establishment_id).where(Membership.user_id == current_user.id)))
    return render_template("home.html", establishments=db_session().scalars(query).all())
