"""Platform administration, for superusers only: establishments, users and their roles, the
audit log of the whole platform and the progress of any job."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from regie.db.models import AuditEvent, Establishment, Job, User
from regie.web.audit_log import render_audit_log
from regie.web.context import db_session
from regie.web.jobs import render_job

bp = Blueprint("admin", __name__, url_prefix="/admin")


def superuser_required(view):
    """Sign-in required, then 403 for anyone but a superuser."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not current_user.is_superuser:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/")
@superuser_required
def index():
    session = db_session()
    counts = {
        "establishments": session.scalar(select(func.count()).select_from(Establishment)),
        "users": session.scalar(select(func.count()).select_from(User).where(User.active)),
    }
    recent = session.scalars(select(AuditEvent).order_by(AuditEvent.created_at.desc(),
                                                         AuditEvent.id.desc()).limit(8)).all()
    return render_template("admin/index.html", counts=counts, recent=recent)


@bp.route("/audit")
@superuser_required
def audit():
    return render_audit_log(db_session(), "admin/audit.html", None)


@bp.route("/jobs/<int:job_id>")
@superuser_required
def job(job_id: int):
    row = db_session().get(Job, job_id)
    if row is None:
        abort(404)
    return render_job(row, back_url=url_for("admin.index"))


from regie.web.admin import establishments, users  # noqa: E402  (views register on bp)

__all__ = ["bp", "establishments", "superuser_required", "users"]
