"""Platform administration (superusers): establishments and users."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from regie.db.models import Establishment, User
from regie.web.context import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


def superuser_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_superuser:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/")
@superuser_required
def index():
    session = db_session()
    return render_template(
        "admin/index.html",
        establishments=session.scalars(select(Establishment).order_by(Establishment.name)).all(),
        users=session.scalars(select(User).order_by(User.username)).all(),
    )
