"""SIRENE alerts: what the register says about the traders' SIRETs, compared with what it said
last time (:class:`~regie_markets.office_models.SireneSnapshot`).

Alerts: establishment closed (with its closing date), legal unit ceased, SIRET absent from a
full stock file, main activity (NAF) changed, address changed (only under public diffusion: a
trader who asked for partial diffusion has their address neither stored nor shown). An alert
stays "to process" until someone writes what was done in its "prise en compte".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    NotFound,
    SyncOutcome,
    select_for,
    utcnow,
)
from regie.api import gettext as _
from regie_markets.models import Trader
from regie_markets.office_models import SireneAlert, SireneSnapshot
from regie_markets.sirene.reader import ESTABLISHMENTS, Record, open_text, records

SOURCE_CODE = "markets.sirene"
CLOSED, CEASED, ABSENT, ACTIVITY, ADDRESS = "closed", "ceased", "absent", "activity", "address"
PROGRESS_EVERY = 100_000


def kind_labels() -> dict[str, str]:
    return {CLOSED: _("establishment closed"), CEASED: _("legal unit ceased"),
            ABSENT: _("SIRET absent from the register"), ACTIVITY: _("activity changed"),
            ADDRESS: _("address changed")}


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def run_source(ctx) -> SyncOutcome:
    """The sync source ``markets.sirene`` (:class:`regie.api.SyncSource`)."""
    full = bool(ctx.options.get("full", "stock" in ctx.filename.lower()))
    return import_file(ctx.db, ctx.establishment_id, ctx.path, full=full,
                       progress=ctx.progress)


def import_file(db, establishment_id: int, path: Path, *, full: bool, progress=None
                ) -> SyncOutcome:
    with db.session() as session:
        by_siret: dict[str, list[int]] = defaultdict(list)
        for trader_id, siret in session.execute(
                select(Trader.id, Trader.siret).where(Trader.establishment_id == establishment_id,
                                                      Trader.siret != "")):
            by_siret[siret].append(trader_id)
    by_siren: dict[str, list[int]] = defaultdict(list)
    for siret, trader_ids in by_siret.items():
        by_siren[siret[:9]].extend(trader_ids)
    found: list[Record] = []
    kind = ESTABLISHMENTS
    lines = 0
    if progress is not None:
        progress.start(0, _("Reading %(file)s", file=path.name))
    with open_text(path) as text:
        for lines, record in records(text, set(by_siret) | set(by_siren)):
            if record is not None:
                found.append(record)
                kind = record.kind
            if progress is not None and lines % PROGRESS_EVERY == 0:
                progress.advance(lines)
    with db.transaction() as session:
        place = session.get(Establishment, establishment_id)
        raised, unchanged = _compare(session, place, found, by_siret, by_siren,
                                     full=full and kind == ESTABLISHMENTS, source=path.name)
    return SyncOutcome(imported=raised, unchanged=unchanged,
                       message=_("%(lines)d lines read, %(known)d known SIRETs found, "
                                 "%(alerts)d alerts raised", lines=max(lines - 1, 0),
                                 known=len(found), alerts=raised))


def _compare(session: Session, establishment: Establishment, found: list[Record],
             by_siret: dict[str, list[int]], by_siren: dict[str, list[int]], *, full: bool,
             source: str) -> tuple[int, int]:
    snapshots = {snap.siret: snap for snap in session.scalars(
        select_for(establishment, SireneSnapshot))}
    open_alerts = set(session.execute(
        select_for(establishment, SireneAlert, SireneAlert.processed.is_(False))
        .with_only_columns(SireneAlert.trader_id, SireneAlert.kind, SireneAlert.details)).all())
    raised = unchanged = 0

    def alert(trader_ids, siret, kind, details, when=None):
        nonlocal raised
        for trader_id in trader_ids:
            if (trader_id, kind, details) in open_alerts:
                continue
            open_alerts.add((trader_id, kind, details))
            session.add(SireneAlert(establishment_id=establishment.id, trader_id=trader_id,
                                    siret=siret, kind=kind, details=details, event_date=when,
                                    source_file=source[:255]))
            raised += 1

    seen = set()
    for record in found:
        seen.add(record.siret)
        before = snapshots.get(record.siret)
        changes = raised
        if record.kind == ESTABLISHMENTS:
            traders = by_siret.get(record.siret, [])
            if record.state == "F" and (before is None or before.state != "F"):
                alert(traders, record.siret, CLOSED,
                      _("closed since %(date)s", date=record.since), _date(record.since))
            if before is not None and before.activity and record.activity \
                    and before.activity != record.activity:
                alert(traders, record.siret, ACTIVITY, f"{before.activity} → {record.activity}")
            if record.public and before is not None and before.address and record.address \
                    and before.address != record.address:
                alert(traders, record.siret, ADDRESS, f"{before.address} → {record.address}")
        else:
            traders = by_siren.get(record.siret, [])
            if record.state == "C" and (before is None or before.state != "C"):
                alert(traders, record.siret, CEASED,
                      _("ceased since %(date)s", date=record.since), _date(record.since))
        if raised == changes:
            unchanged += 1
        snapshot = before or SireneSnapshot(establishment_id=establishment.id,
                                            siret=record.siret)
        snapshot.state, snapshot.activity = record.state, record.activity
        snapshot.address = record.address if record.public else ""
        snapshot.updated_at = utcnow()
        if before is None:
            session.add(snapshot)
            snapshots[record.siret] = snapshot
    if full:
        for siret, trader_ids in by_siret.items():
            if siret not in seen:
                alert(trader_ids, siret, ABSENT, _("not in the stock file %(file)s",
                                                   file=source))
    return raised, unchanged


def to_process(session: Session, establishment: Establishment) -> int:
    return session.scalar(select_for(establishment, SireneAlert,
                                     SireneAlert.processed.is_(False))
                          .with_only_columns(func.count(SireneAlert.id))) or 0


def acknowledge(session: Session, establishment: Establishment, alert_id: int, text: str,
                actor: str) -> SireneAlert:
    """Record the "prise en compte"; an alert with one leaves the list and the widget."""
    alert = session.scalar(select_for(establishment, SireneAlert, SireneAlert.id == alert_id))
    if alert is None:
        raise NotFound(_("no such alert"))
    text = text.strip()
    if not text:
        raise Invalid({"acknowledgement": _("say what was done about this alert")})
    alert.acknowledgement, alert.processed = text, True
    alert.processed_by, alert.processed_at = actor[:150], utcnow()
    return alert
