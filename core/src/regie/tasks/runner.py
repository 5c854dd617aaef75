"""Running scheduled tasks: where (once per establishment where the plugin is on, or once
globally), never twice at once (a lock per task and scope), and what happened (``task_run``).

The lock is the ``task_run`` row itself: taking it is a write transaction that sets
``locked_until``; a run that finds the row locked is skipped and logged. A worker killed mid-run
leaves the lock to expire after :data:`LOCK_TTL`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from regie.db.base import utcnow
from regie.db.models import Establishment, EstablishmentPlugin, TaskRun
from regie.db.tenancy import lock
from regie.engine.manager import CORE
from regie.i18n import gettext as _
from regie.i18n import in_locale
from regie.services import establishments
from regie.services.errors import NotFound, Veto
from regie.tasks import schedule as schedules
from regie.tasks.context import TaskContext
from regie.tasks.targets import resolve

if TYPE_CHECKING:
    from regie.runtime import Runtime

log = logging.getLogger("regie.tasks")

#: How long a run holds its lock at most; a longer piece of work belongs in a job.
LOCK_TTL = dt.timedelta(hours=1)

SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"
#: ``task_run.scope`` of the row recording the last minute a task was fanned out (not a slug).
SCHEDULER_SCOPE = "@schedule"


@attrs.frozen
class Outcome:
    """What one run of a task for one scope (establishment slug, ``""`` when global) did."""

    task: str
    scope: str
    status: str
    error: str = ""


def schedule_of(runtime: Runtime, name: str) -> schedules.Schedule:
    found = schedules.load(runtime.engine, runtime.config)
    if name not in found:
        raise NotFound(_("no scheduled task '%(name)s' (known: %(known)s)", name=name,
                         known=", ".join(found) or "-"))
    return found[name]


def scopes(runtime: Runtime, schedule: schedules.Schedule) -> list[Establishment | None]:
    """Where the task runs: ``[None]`` for a global task, else the establishments (by slug)
    where its plugin is enabled, or all of them for a core task."""
    if not schedule.task.per_establishment:
        return [None]
    query = (select(Establishment).order_by(Establishment.slug)
             .options(selectinload(Establishment.plugins)))
    if schedule.plugin != CORE:
        query = query.join(EstablishmentPlugin).where(
            EstablishmentPlugin.plugin == schedule.plugin, EstablishmentPlugin.enabled.is_(True))
    with runtime.db.session() as session:
        return list(session.scalars(query))


def establishment_for(runtime: Runtime, schedule: schedules.Schedule,
                      slug: str) -> Establishment:
    """The establishment ``slug`` if the task runs there; :class:`Veto` otherwise."""
    if not schedule.task.per_establishment:
        raise Veto(_("task '%(name)s' is global: it does not run per establishment",
                     name=schedule.name))
    with runtime.db.session() as session:
        establishment = establishments.by_slug(session, slug)
    if schedule.plugin != CORE and schedule.plugin not in establishments.enabled_plugins(
            establishment):
        raise Veto(_("plugin '%(plugin)s' is not enabled for '%(slug)s'",
                     plugin=schedule.plugin, slug=slug))
    return establishment


def run_now(runtime: Runtime, name: str, slug: str | None = None) -> list[Outcome]:
    """Run task ``name`` now, in this process: for one establishment, or everywhere it runs.

    A disabled schedule (``"off"``) does not prevent running by hand: that is how a deployment
    that prefers the system's cron runs its tasks.
    """
    schedule = schedule_of(runtime, name)
    targets = [establishment_for(runtime, schedule, slug)] if slug else scopes(runtime, schedule)
    return [run_one(runtime, schedule, target) for target in targets]


def run_one(runtime: Runtime, schedule: schedules.Schedule,
            establishment: Establishment | None) -> Outcome:
    """Run ``schedule``'s function for one scope unless a run for that scope holds the lock.

    Errors are logged and recorded in ``task_run.last_error``; they are never raised, so one
    failing establishment does not stop the others, nor the worker.
    """
    scope = establishment.slug if establishment is not None else ""
    if not _acquire(runtime, schedule.name, scope):
        log.warning("task %s [%s] skipped: a previous run still holds the lock",
                    schedule.name, scope or "global")
        return Outcome(schedule.name, scope, SKIPPED, "already running")
    error = ""
    try:
        function = resolve(schedule.task.target)
        settings = {}
        if establishment is not None and schedule.plugin != CORE:
            settings = dict(establishments.enabled_plugins(establishment).get(schedule.plugin, {}))
        with in_locale(establishment.locale if establishment is not None
                       else runtime.config["default_locale"]):
            function(TaskContext(runtime, schedule.name, establishment, settings))
    except Exception as exc:
        log.exception("task %s [%s] failed", schedule.name, scope or "global")
        error = f"{type(exc).__name__}: {exc}"
    finally:
        _release(runtime, schedule.name, scope, error)
    return Outcome(schedule.name, scope, FAILED if error else SUCCEEDED, error)


def claim_minute(runtime: Runtime, task: str, minute: dt.datetime) -> bool:
    """Whether this process is the first to fan ``task`` out for ``minute`` (aware UTC).

    Every worker's scheduler sees the minute come; only the one that claims it queues the runs,
    so adding workers does not multiply the scheduled runs.
    """
    try:
        with runtime.db.transaction() as session:
            row = session.scalar(lock(select(TaskRun).where(TaskRun.task == task,
                                                            TaskRun.scope == SCHEDULER_SCOPE)))
            if row is None:
                row = TaskRun(task=task, scope=SCHEDULER_SCOPE, state="scheduled")
                session.add(row)
            elif row.last_started_at is not None and row.last_started_at >= minute:
                return False
            row.last_started_at = minute
    except IntegrityError:  # another worker created the row first: it claimed the minute
        return False
    return True


def _acquire(runtime: Runtime, task: str, scope: str) -> bool:
    now = utcnow()
    try:
        with runtime.db.transaction() as session:
            row = session.scalar(lock(select(TaskRun).where(TaskRun.task == task,
                                                            TaskRun.scope == scope)))
            if row is None:
                row = TaskRun(task=task, scope=scope)
                session.add(row)
            elif row.locked_until is not None and row.locked_until > now:
                return False
            row.state = "running"
            row.locked_until = now + LOCK_TTL
            row.last_started_at = now
    except IntegrityError:  # another process created the row first: it holds the lock
        return False
    return True


def _release(runtime: Runtime, task: str, scope: str, error: str) -> None:
    with runtime.db.transaction() as session:
        row = session.scalar(select(TaskRun).where(TaskRun.task == task, TaskRun.scope == scope))
        row.state = FAILED if error else SUCCEEDED
        row.locked_until = None
        row.last_finished_at = utcnow()
        row.last_error = error


def last_runs(runtime: Runtime) -> dict[str, list[TaskRun]]:
    """The ``task_run`` rows of the runs by task name, most recently started first."""
    runs: dict[str, list[TaskRun]] = {}
    with runtime.db.session() as session:
        rows = session.scalars(select(TaskRun).where(TaskRun.scope != SCHEDULER_SCOPE)
                               .order_by(TaskRun.last_started_at.desc()))
        for row in rows:
            runs.setdefault(row.task, []).append(row)
    return runs
