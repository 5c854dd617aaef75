"""Imports of an establishment (``/<slug>/admin/imports``): the sync sources of its modules,
a file to run through one, and the record of past runs with their reject files."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.utils import secure_filename

from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import sync
from regie.services.errors import NotFound
from regie.web.context import current_runtime, db_session, require_permission
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("imports", __name__)

MANAGE = "establishment.manage"
STATE_BADGES = {"succeeded": "success", "partial": "warning", "rejected": "warning",
                "failed": "error", "running": "neutral"}


class ImportForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])


def _sources():
    return sync.sources(current_runtime().engine, g.enabled_plugins)


@bp.route("/admin/imports")
@require_permission(MANAGE)
def index():
    return _render(ImportForm())


def _render(form: ImportForm, status: int = 200):
    session = db_session()
    return render_template("establishment/admin/imports.html", form=form,
                           sources=_sources(), runs=sync.history(session, g.establishment),
                           last=sync.last_syncs(session, g.establishment),
                           badges=STATE_BADGES), status


@bp.route("/admin/imports/<code>", methods=["POST"])
@require_permission(MANAGE)
def run(code: str):
    form = ImportForm()
    if code not in _sources():
        flash(_("This import is not available here."), "error")
        return redirect(url_for("imports.index"))
    if not form.validate_on_submit():
        return _render(form, 422)
    upload = form.file.data
    name = secure_filename(upload.filename or "") or "upload"
    with tempfile.TemporaryDirectory(prefix="regie-import-") as folder:
        path = Path(folder) / name
        upload.save(path)
        try:
            done = sync.run_sync(current_runtime(), g.establishment, code, path,
                                 user=current_user.user)
        except NotFound as error:
            flash(str(error), "error")
            return redirect(url_for("imports.index"))
    category = {"succeeded": "success", "failed": "error"}.get(done.state, "warning")
    flash(f"{name}: {done.message}", category)
    return redirect(url_for("imports.index"))
