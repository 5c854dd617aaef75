"""Sync sources: records that come from outside, and the record of every run.

A plugin declares a :class:`regie.api.SyncSource` (``regie_sync_sources``); the core runs it on
a file — from ``regie sync run``, from the plugin's own command or page, or from the pickup
folder — and keeps a :class:`~regie.db.sync.SyncRun` row per run with its counts, its message
and its reject file. Streams that are not files (an HTTP sync API, an agent's pushes) record
their exchanges with :func:`record_sync`, so "last successful sync" is answered in one place
for every kind of source (:func:`last_syncs`).

The pickup folder is ``<sync_folder>/<establishment slug>/<source code>/``: a scheduled task
runs every file it finds there, then moves it to ``done/`` or ``failed/`` (with the reject file
or the error message beside it).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from regie.db.base import utcnow
from regie.db.models import Establishment, User
from regie.db.sync import SyncRun
from regie.db.tenancy import select_for
from regie.declarations import SyncSource
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.services import documents
from regie.services.csv_files import FILE, Rejects
from regie.services.errors import Invalid, NotFound

if TYPE_CHECKING:
    from regie.db import Database
    from regie.runtime import Runtime
    from regie.tasks.context import TaskContext

log = logging.getLogger("regie.sync")

#: Who may download a run's reject file.
PERMISSION = "establishment.manage"
DONE, FAILED = "done", "failed"


@attrs.frozen
class SyncOutcome:
    """What a source's ``run`` returns: rows imported (created or changed), rows that were
    already as the file says, the refused lines, and a sentence for the person who ran it."""

    imported: int
    unchanged: int = 0
    rejects: Rejects | None = None
    message: str = ""


class _NoProgress:
    def start(self, total: int = 0, message: str = "") -> None:
        """Nobody follows this run."""

    def advance(self, done: int, message: str | None = None, total: int | None = None) -> None:
        """Nobody follows this run."""


@attrs.frozen
class SyncContext:
    """What a source's ``run(ctx)`` gets. The source opens its own transactions on ``db``
    (``with ctx.db.transaction() as session``), so a large file may commit in batches; a
    source that refuses bad lines imports nothing (one transaction) unless it says otherwise."""

    db: Database
    engine: Engine
    establishment_id: int
    establishment_slug: str
    path: Path
    options: dict[str, Any] = attrs.Factory(dict)
    settings: dict[str, Any] = attrs.Factory(dict)
    user_id: int | None = None
    progress: Any = attrs.Factory(_NoProgress)

    @property
    def filename(self) -> str:
        return self.path.name


def sources(engine: Engine, enabled: Any = None) -> dict[str, SyncSource]:
    """Code → source: every loaded plugin's, or (with ``enabled``) those of enabled plugins."""
    return {item.code: item for item in engine.items("regie_sync_sources", enabled=enabled)}


def source_for(engine: Engine, establishment: Establishment, code: str) -> SyncSource:
    from regie.services.establishments import enabled_plugins

    found = sources(engine, enabled_plugins(establishment, engine))
    if code not in found:
        raise NotFound(_("No sync source '%(code)s' in %(establishment)s; available: "
                         "%(known)s.", code=code, establishment=establishment.slug,
                         known=", ".join(sorted(found)) or "-"))
    return found[code]


def run_sync(runtime: Runtime, establishment: Establishment | int, code: str, path: Path | str, *,
             user: User | None = None, options: dict[str, Any] | None = None,
             progress: Any = None) -> SyncRun:
    """Run the source ``code`` on the file at ``path`` for ``establishment`` and record the run.

    Never raises for a bad file or a failing source: the returned run says ``failed`` with the
    reason (a bug is also logged with its traceback). Raises :class:`NotFound` for a source
    that is not available there.
    """
    from regie.services.establishments import enabled_plugins

    path = Path(path)
    with runtime.db.session() as session:
        establishment = session.scalar(
            select(Establishment).where(Establishment.id == _id(establishment))
            .options(selectinload(Establishment.plugins)))
        source = source_for(runtime.engine, establishment, code)
        plugin = runtime.engine.owner("regie_sync_sources", code)
        settings = dict(enabled_plugins(establishment).get(plugin, {}))
    run_id = _start(runtime.db, establishment.id, code, path.name, user)
    context = SyncContext(runtime.db, runtime.engine, establishment.id, establishment.slug,
                          path, dict(options or {}), settings, user.id if user else None,
                          progress or _NoProgress())
    try:
        if not path.is_file():
            raise Invalid({FILE: _("No file at %(path)s.", path=str(path))})
        if source.suffixes and not path.name.lower().endswith(source.suffixes):
            raise Invalid({FILE: _("%(source)s reads %(suffixes)s files, not %(name)s.",
                                   source=source.label, suffixes=" ".join(source.suffixes),
                                   name=path.name)})
        outcome = source.run(context)
    except Invalid as exc:
        return _finish(runtime.db, run_id, state="failed", message=_message(exc))
    except Exception as exc:
        log.exception("sync source %s failed on %s", code, path)
        return _finish(runtime.db, run_id, state="failed",
                       message=_("The import stopped on an error (%(error)s); nothing after "
                                 "the last commit was imported.",
                                 error=f"{type(exc).__name__}: {exc}"))
    rejects = outcome.rejects or Rejects()
    state = "succeeded" if not rejects else ("partial" if outcome.imported else "rejected")
    return _finish(runtime.db, run_id, state=state, imported=outcome.imported,
                   unchanged=outcome.unchanged, rejects=rejects,
                   message=outcome.message or _summary(outcome, len(rejects)), user=user)


def _message(exc: Invalid) -> str:
    return "; ".join(text if field == FILE else f"{field}: {text}"
                     for field, text in exc.errors.items())


def _summary(outcome: SyncOutcome, rejected: int) -> str:
    return _("%(imported)d imported, %(unchanged)d unchanged, %(rejected)d refused.",
             imported=outcome.imported, unchanged=outcome.unchanged, rejected=rejected)


def _start(db: Database, establishment_id: int, code: str, filename: str,
           user: User | None) -> int:
    with db.transaction() as session:
        run = SyncRun(establishment_id=establishment_id, source=code, filename=filename,
                      user_id=user.id if user else None)
        session.add(run)
        session.flush()
        return run.id


def _finish(db: Database, run_id: int, *, state: str, imported: int = 0, unchanged: int = 0,
            rejects: Rejects | None = None, message: str = "",
            user: User | None = None) -> SyncRun:
    with db.transaction() as session:
        run = session.get(SyncRun, run_id)
        run.state, run.message = state, message
        run.imported, run.unchanged = imported, unchanged
        run.rejected = len(rejects or ())
        run.finished_at = utcnow()
        if rejects:
            establishment = session.get(Establishment, run.establishment_id)
            stem = Path(run.filename).stem or run.source
            document = documents.store(
                session, establishment, kind="sync_rejects", filename=f"{stem}-rejects.csv",
                content_type="text/csv", content=rejects.to_csv(), record_type="sync_run",
                record_id=run.id, permission=PERMISSION,
                user=session.get(User, user.id) if user else None)
            run.reject_document_id = document.id
        session.flush()
        session.expunge(run)
    return run


def record_sync(session: Session, establishment: Establishment | int, source: str, *,
                state: str = "succeeded", imported: int = 0, unchanged: int = 0,
                rejected: int = 0, message: str = "") -> SyncRun:
    """Record an exchange of a stream that is not a file (an API push or pull), in the
    caller's transaction."""
    if state not in SyncRun.STATES or state == "running":
        raise Invalid({"state": _("must be one of %(states)s",
                                  states=", ".join(SyncRun.STATES[1:]))})
    now = utcnow()
    run = SyncRun(establishment_id=_id(establishment), source=source, state=state,
                  imported=imported, unchanged=unchanged, rejected=rejected, message=message,
                  started_at=now, finished_at=now)
    session.add(run)
    session.flush()
    return run


@attrs.frozen
class SyncStatus:
    """The last run of a source and when it last succeeded."""

    source: str
    last: SyncRun
    last_success_at: dt.datetime | None


def last_syncs(session: Session, establishment: Establishment | int) -> dict[str, SyncStatus]:
    """Source → its last run and last success, for every source that ever ran there."""
    mine = SyncRun.establishment_id == _id(establishment)
    last_ids = select(func.max(SyncRun.id)).where(mine).group_by(SyncRun.source)
    successes = dict(session.execute(
        select(SyncRun.source, func.max(SyncRun.finished_at))
        .where(mine, SyncRun.state.in_(SyncRun.OK)).group_by(SyncRun.source)).all())
    runs = session.scalars(select(SyncRun).where(SyncRun.id.in_(last_ids))).all()
    return {run.source: SyncStatus(run.source, run, successes.get(run.source))
            for run in sorted(runs, key=lambda run: run.source)}


def _id(establishment: Establishment | int) -> int:
    return establishment if isinstance(establishment, int) else establishment.id


def history(session: Session, establishment: Establishment | int, *, source: str | None = None,
            limit: int = 50) -> list[SyncRun]:
    """The most recent runs, newest first."""
    statement = select_for(establishment, SyncRun)
    if source:
        statement = statement.where(SyncRun.source == source)
    return list(session.scalars(statement.order_by(SyncRun.id.desc()).limit(limit)))


# --- the pickup folder --------------------------------------------------------------------------


def pickup_folder(runtime: Runtime, establishment: Establishment) -> Path:
    configured = runtime.config["sync_folder"]
    base = Path(configured) if configured else runtime.config.instance / "sync"
    return base / establishment.slug


def pickup(ctx: TaskContext) -> list[SyncRun]:
    """Scheduled task (per establishment): run every file waiting in the establishment's
    pickup folders, oldest first, and move each out of the way with what came of it."""
    from regie.services.establishments import enabled_plugins

    establishment = ctx.establishment
    folder = pickup_folder(ctx.runtime, establishment)
    if not folder.is_dir():
        return []
    runs = []
    for code, source in sources(ctx.engine, enabled_plugins(establishment, ctx.engine)).items():
        waiting = sorted((path for path in (folder / code).glob("*")
                          if path.is_file() and path.name.lower().endswith(source.suffixes)),
                         key=lambda path: (path.stat().st_mtime, path.name))
        for path in waiting:
            run = run_sync(ctx.runtime, establishment, code, path)
            _file_away(path, run, ctx.db)
            runs.append(run)
            log.info("%s: %s %s: %s", establishment.slug, code, path.name, run.message)
    return runs


def _file_away(path: Path, run: SyncRun, db: Database) -> None:
    target = path.parent / (DONE if run.state == "succeeded" else FAILED)
    target.mkdir(exist_ok=True)
    stamp = (run.finished_at or utcnow()).strftime("%Y%m%dT%H%M%S")
    moved = target / f"{stamp}-{path.name}"
    shutil.move(str(path), moved)
    if run.reject_document_id:
        with db.session() as session:
            rejects = documents.fetch(session, run.establishment_id, run.reject_document_id)
            moved.with_name(f"{moved.stem}.rejects.csv").write_bytes(rejects.content)
    elif run.state == "failed":
        moved.with_name(f"{moved.name}.error.txt").write_text(run.message + "\n",
                                                               encoding="utf-8")
