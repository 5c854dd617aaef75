"""The audit log page, for one establishment or the whole platform: filters and pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import render_template, request
from flask_babel import get_timezone
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from regie.db.models import AuditEvent, Establishment
from regie.i18n import gettext as _
from regie.i18n import lazy_gettext as _l
from regie.web.forms import choices
from regie.web.pagination import paginate


class AuditFilterForm(FlaskForm):
    """Read from the query string: a GET form has nothing to protect with a CSRF token."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    actor = StringField(_l("User"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("must not be before the start of the period"))


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the page's time zone, as an aware UTC datetime."""
    zone = zoneinfo.ZoneInfo(str(get_timezone()))
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def render_audit_log(session: Session, template: str, establishment: Establishment | None,
                     **context):
    """Render ``template`` with the filter form and the requested page of events, newest
    first. Without ``establishment``: every event of the platform."""
    form = AuditFilterForm(request.args)
    form.validate()
    query = select(AuditEvent)
    actions = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    if establishment is not None:
        query = query.where(AuditEvent.establishment_id == establishment.id)
        actions = actions.where(AuditEvent.establishment_id == establishment.id)
    form.action.choices = choices([("", _("All actions")),
                                   *((action, action) for action in session.scalars(actions))])

    def wanted(field):
        return field.data if field.data and not field.errors else None

    if wanted(form.action):
        query = query.where(AuditEvent.action == form.action.data)
    if wanted(form.actor) and form.actor.data.strip():
        query = query.where(AuditEvent.actor.icontains(form.actor.data.strip(), autoescape=True))
    if wanted(form.since):
        query = query.where(AuditEvent.created_at >= _day_start(form.since.data))
    if wanted(form.until):
        query = query.where(
            AuditEvent.created_at < _day_start(form.until.data + dt.timedelta(days=1)))
    page = paginate(session, query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    names = {}
    if establishment is None:
        ids = {event.establishment_id for event in page.items if event.establishment_id}
        if ids:
            names = dict(session.execute(select(Establishment.id, Establishment.slug)
                                         .where(Establishment.id.in_(ids))).all())
    return render_template(template, form=form, page=page, establishment_slugs=names,
                           **context)
