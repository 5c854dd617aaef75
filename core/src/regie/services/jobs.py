"""Progress of long work (imports, invoicing, letters), kept in the ``job`` table.

:func:`start` records a job and queues it; a task worker runs it (:func:`run`) and the function
reports through :class:`Progress`; the web's job page and ``regie jobs show --follow`` read the
same row.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from regie.db import Database
from regie.db.base import utcnow
from regie.db.models import Establishment, Job, User
from regie.i18n import in_locale
from regie.tasks.context import TaskContext
from regie.tasks.targets import resolve

if TYPE_CHECKING:
    from regie.runtime import Runtime

log = logging.getLogger("regie.jobs")


def create(db: Database, name: str, *, label: str = "", establishment_id: int | None = None,
           user_id: int | None = None, total: int = 0) -> int:
    with db.transaction() as session:
        job = Job(name=name, label=label or name, establishment_id=establishment_id,
                  user_id=user_id, total=total)
        session.add(job)
        session.flush()
        return job.id


class Progress:
    """Updates one job row; each call commits so readers see it at once."""

    def __init__(self, db: Database, job_id: int) -> None:
        self.db = db
        self.job_id = job_id

    def _update(self, **fields: Any) -> None:
        with self.db.transaction() as session:
            job = session.get(Job, self.job_id)
            for key, value in fields.items():
                setattr(job, key, value)

    def state(self) -> str:
        with self.db.session() as session:
            return session.get(Job, self.job_id).state

    def start(self, total: int = 0, message: str = "") -> None:
        self._update(state="running", started_at=utcnow(), total=total, message=message)

    def advance(self, done: int, message: str | None = None, total: int | None = None) -> None:
        fields: dict[str, Any] = {"done": done}
        if message is not None:
            fields["message"] = message
        if total is not None:
            fields["total"] = total
        self._update(**fields)

    def succeed(self, message: str = "", result: dict[str, Any] | None = None) -> None:
        self._update(state="succeeded", finished_at=utcnow(), message=message,
                     result=result or {})

    def fail(self, message: str) -> None:
        self._update(state="failed", finished_at=utcnow(), message=message)


def start(runtime: Runtime, target: str, *, label: str = "",
          establishment: Establishment | None = None, user: User | None = None, total: int = 0,
          **kwargs: Any) -> int:
    """Record a job and queue ``target`` (``"module:function"``) for a task worker; return the
    job's id, for a link to its progress page.

    The worker calls ``function(ctx, **kwargs)`` with a :class:`~regie.api.TaskContext` whose
    ``progress`` is the job's :class:`Progress` and whose ``establishment`` and ``settings`` are
    those of ``establishment``. ``kwargs`` must be plain data (they travel through the queue).
    The function may return a dict, kept as the job's result. The job fails with the message of
    any exception the function raises.
    """
    resolve(target)  # refuse a wrong target now rather than in the worker
    job_id = create(runtime.db, target, label=label,
                    establishment_id=establishment.id if establishment else None,
                    user_id=user.id if user else None, total=total)
    runtime.huey.run_job(job_id, target, kwargs)
    return job_id


def run(runtime: Runtime, job_id: int, target: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Run a queued job (in the worker) and record how it ended; never raises, so the worker
    goes on with the next one."""
    from regie.services.establishments import enabled_plugins

    progress = Progress(runtime.db, job_id)
    with runtime.db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            log.warning("job %s vanished before it ran", job_id)
            return {}
        establishment = None
        if job.establishment_id is not None:
            establishment = session.scalar(
                select(Establishment).where(Establishment.id == job.establishment_id)
                .options(selectinload(Establishment.plugins)))
        name, total = job.name, job.total
    plugin = _plugin_of(runtime, target)
    settings = enabled_plugins(establishment).get(plugin, {}) if establishment else {}
    progress.start(total=total)
    try:
        function = resolve(target)
        with in_locale(establishment.locale if establishment is not None
                       else runtime.config["default_locale"]):
            returned = function(TaskContext(runtime, name, establishment, dict(settings),
                                            progress), **kwargs)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, target)
        progress.fail(f"{type(exc).__name__}: {exc}")
        return {"error": str(exc)}
    result = returned if isinstance(returned, dict) else (
        {} if returned is None else {"value": returned})
    if progress.state() == "running":
        progress.succeed(result=result)
    return result


def _plugin_of(runtime: Runtime, target: str) -> str | None:
    """The loaded plugin whose package holds ``target``, for its settings."""
    package = target.partition(":")[0].partition(".")[0]
    for name, plugin in runtime.engine.plugins.items():
        if plugin.module.__name__.partition(".")[0] == package:
            return name
    return None


def purge_finished(ctx, older_than: dt.timedelta = dt.timedelta(days=90)) -> int:
    """Scheduled task: forget finished jobs older than ``older_than``."""
    with ctx.db.transaction() as session:
        result = session.execute(delete(Job).where(
            Job.state.in_(("succeeded", "failed")), Job.finished_at < utcnow() - older_than))
        return result.rowcount
