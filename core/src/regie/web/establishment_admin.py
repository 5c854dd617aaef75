"""Administration of one establishment (``/<slug>/admin/``), for its administrators: the
modules switched on there and their settings, the members and their roles, the audit log."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from regie.db.models import Establishment, Membership, User
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.services import establishments, users
from regie.services.errors import Invalid, NotFound, Veto
from regie.web.audit_log import render_audit_log
from regie.web.context import (
    can,
    current_runtime,
    db_session,
    require_permission,
    write_session,
)
from regie.web.forms import (
    ActionForm,
    choices,
    settings_fields,
    settings_form,
    settings_values,
    show_errors,
)
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("establishment_admin", __name__)

MANAGE = "establishment.manage"
VIEW_AUDIT = "audit.view"


class GrantForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=150)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off",
                                      "spellcheck": "false"})
    role = SelectField(_l("Role"))


class RevokeForm(FlaskForm):
    user = HiddenField()
    role = HiddenField()


@bp.route("/admin/")
@require_permission()
def index():
    if can(MANAGE):
        return redirect(url_for("establishment_admin.modules"))
    if can(VIEW_AUDIT):
        return redirect(url_for("establishment_admin.audit"))
    abort(403)


# --- modules --------------------------------------------------------------------------------


def _plugin(name: str):
    plugin = current_runtime().engine.plugins.get(name)
    if plugin is None:
        abort(404)
    return plugin


def _settings_of(name: str) -> dict | None:
    """The stored settings of plugin ``name`` here (enabled or not), or ``None``."""
    return next((row.settings for row in g.establishment.plugins if row.plugin == name), None)


@bp.route("/admin/modules")
@require_permission(MANAGE)
def modules():
    engine = current_runtime().engine
    rows = [{"name": name, "info": plugin.info, "enabled": name in g.enabled_plugins,
             "version": plugin.version}
            for name, plugin in engine.plugins.items()]
    return render_template("establishment/admin/modules.html", plugins=rows)


@bp.route("/admin/modules/<plugin>/enable", methods=["POST"])
@require_permission(MANAGE)
def enable(plugin: str):
    """Switch a module on, from the modules list (stored or default settings) or from its
    settings form; when settings need values first, show that form with them marked."""
    info = _plugin(plugin).info
    form = settings_form(info.settings, _settings_of(plugin) or {})
    if form.validate_on_submit():
        from_settings_form = request.form.get("from") == "settings"
        raw = settings_values(form, info.settings) if from_settings_form else {}
        session = write_session()
        try:
            with session.begin():
                establishment = session.get(Establishment, g.establishment.id)
                establishments.enable_plugin(session, current_runtime().engine, establishment,
                                             plugin, raw, actor=current_user.user)
        except Invalid as error:
            show_errors(form, error, settings_fields(error))
            flash(_("“%(module)s” needs its settings before it can be switched on.",
                    module=info.label), "warning")
            return _render_settings(plugin, form, enabled=False), 422
        except Veto as error:
            flash(str(error), "error")
        else:
            flash(_("“%(module)s” is switched on.", module=info.label), "success")
    return redirect(url_for("establishment_admin.modules"))


@bp.route("/admin/modules/<plugin>/disable", methods=["POST"])
@require_permission(MANAGE)
def disable(plugin: str):
    info = _plugin(plugin).info
    if ActionForm().validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                establishment = session.get(Establishment, g.establishment.id)
                establishments.disable_plugin(session, current_runtime().engine,
                                              establishment, plugin, actor=current_user.user)
        except Veto as error:
            flash(str(error), "error")
        else:
            flash(_("“%(module)s” is switched off; its data is kept.", module=info.label),
                  "success")
    return redirect(url_for("establishment_admin.modules"))


@bp.route("/admin/modules/<plugin>/settings", methods=["GET", "POST"])
@require_permission(MANAGE)
def plugin_settings(plugin: str):
    info = _plugin(plugin).info
    enabled = plugin in g.enabled_plugins
    form = settings_form(info.settings, _settings_of(plugin) or {})
    if enabled and form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                establishment = session.get(Establishment, g.establishment.id)
                establishments.update_settings(
                    session, current_runtime().engine, establishment, plugin,
                    settings_values(form, info.settings), actor=current_user.user)
        except Invalid as error:
            show_errors(form, error, settings_fields(error))
        except Veto as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Settings of “%(module)s” saved.", module=info.label), "success")
            return redirect(url_for("establishment_admin.plugin_settings", plugin=plugin))
    return _render_settings(plugin, form, enabled), 422 if form.errors else 200


def _render_settings(plugin: str, form: FlaskForm, enabled: bool):
    return render_template("establishment/admin/plugin_settings.html", plugin=plugin,
                           info=_plugin(plugin).info, form=form, enabled=enabled)


# --- members ----------------------------------------------------------------------------------


def _role_choices() -> dict[str, str]:
    """The roles of the core and of the plugins enabled here."""
    return {role.code: role.label for role in
            current_runtime().engine.items("regie_roles", enabled=g.enabled_plugins)}


@bp.route("/admin/members", methods=["GET", "POST"])
@require_permission(MANAGE)
def members():
    form = GrantForm()
    form.role.choices = choices(_role_choices().items())
    if form.validate_on_submit():
        session = write_session()
        try:
            with session.begin():
                user = users.by_username(session, form.username.data.strip())
                establishment = session.get(Establishment, g.establishment.id)
                users.grant(session, current_runtime().engine, user, establishment,
                            form.role.data, actor=current_user.user)
        except NotFound:
            form.username.errors = [_("no user has this username")]
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(_("Role “%(role)s” granted to %(username)s.",
                    role=_role_choices()[form.role.data], username=user.username),
                  "success")
            return redirect(url_for("establishment_admin.members"))
    return _render_members(form), 422 if form.errors else 200


@bp.route("/admin/members/revoke", methods=["POST"])
@require_permission(MANAGE)
def revoke():
    form = RevokeForm()
    if form.validate_on_submit():
        session = write_session()
        with session.begin():
            user = session.get(User, int(form.user.data or 0))
            if user is None:
                abort(404)
            establishment = session.get(Establishment, g.establishment.id)
            if users.revoke(session, user, establishment, form.role.data,
                            actor=current_user.user):
                flash(_("Role “%(role)s” revoked from %(username)s.",
                        role=_role_labels().get(form.role.data, form.role.data),
                        username=user.username), "success")
    return redirect(url_for("establishment_admin.members"))


def _role_labels() -> dict[str, str]:
    return {role.code: role.label for role in current_runtime().engine.items("regie_roles")}


def _render_members(form: GrantForm):
    rows = db_session().execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.establishment_id == g.establishment.id)
        .order_by(User.username, Membership.role)).all()
    grouped: dict[int, dict] = {}
    for user, role in rows:
        grouped.setdefault(user.id, {"user": user, "roles": []})["roles"].append(role)
    return render_template("establishment/admin/members.html", form=form,
                           members=list(grouped.values()), roles=_role_labels())


# --- audit log --------------------------------------------------------------------------------


@bp.route("/admin/audit")
@require_permission(VIEW_AUDIT)
def audit():
    return render_audit_log(db_session(), "establishment/admin/audit.html", g.establishment)
