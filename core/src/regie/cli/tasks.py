"""``regie worker`` (the task consumer), ``regie tasks …`` (scheduled tasks) and
``regie jobs …`` (progress of long work)."""

from __future__ import annotations

import logging
import sys
import time

import click
from sqlalchemy import select

from regie.cli.common import State, emit, emit_one, format_option, pass_state
from regie.i18n import gettext as _


@click.command()
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker threads in this process. Run more processes, on more machines, "
                   "with Redis (tasks_url).")
@click.option("--no-periodic", is_flag=True,
              help="Only run queued work; leave starting scheduled tasks to other workers.")
@pass_state
def worker(state: State, workers: int, no_periodic: bool) -> None:
    """Run queued jobs and scheduled tasks until interrupted (Ctrl+C finishes running tasks)."""
    from regie.db.migrations import assert_up_to_date

    runtime = state.runtime
    logging.basicConfig(level=runtime.config["log_level"].upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime.db.check()
    assert_up_to_date(runtime)
    huey = runtime.huey
    consumer = huey.create_consumer(workers=workers, worker_type="thread",
                                    periodic=not no_periodic)
    click.echo(_("Worker started on %(queue)s with %(n)d thread(s); Ctrl+C to stop.",
                 queue=_queue_description(runtime), n=workers))
    consumer.run()


def _queue_description(runtime) -> str:
    from regie.tasks.queue import is_redis, split_queue_name, sqlite_path

    url = runtime.config.tasks_url
    if is_redis(url):
        return _("Redis queue '%(name)s'", name=split_queue_name(url)[1])
    return str(sqlite_path(url))


# --- scheduled tasks ---------------------------------------------------------------------------


@click.group()
def tasks() -> None:
    """Scheduled tasks: list them, run one now.

    \b
    Retime or switch off a task in regie.toml (cron: minute hour day month weekday, read in
    default_timezone):
      [tasks.schedule]
      "core.purge_jobs" = "0 4 * * *"
      "markets.sirene_pickup" = "off"
    """


@tasks.command("list")
@format_option
@pass_state
def list_tasks(state: State, output_format: str) -> None:
    """Every scheduled task with its schedule and its last run."""
    from regie.tasks import runner, schedule

    runtime = state.runtime
    runs = runner.last_runs(runtime)
    rows = []
    for item in schedule.load(runtime.engine, runtime.config).values():
        task_runs = runs.get(item.name, [])
        failed = [run for run in task_runs if run.last_error]
        rows.append({
            "name": item.name,
            "plugin": item.plugin,
            "scope": "establishment" if item.task.per_establishment else "global",
            "schedule": item.task.schedule,
            "effective": item.effective,
            "last_run": task_runs[0].last_started_at if task_runs else None,
            "last_error": (f"{failed[0].scope or 'global'}: {failed[0].last_error}"
                           if failed else ""),
            "description": str(item.task.description),
        })
    emit(rows, output_format, ["name", "plugin", "scope", "schedule", "effective", "last_run",
                               "last_error"])


@tasks.command("run")
@click.argument("name")
@click.option("--establishment", "slug", metavar="SLUG",
              help="Run for this establishment only (default: everywhere the task runs).")
@format_option
@pass_state
def run_task(state: State, name: str, slug: str | None, output_format: str) -> None:
    """Run scheduled task NAME now, in this process, and wait for it.

    For deployments that use the system's cron instead of `regie worker`. Exit code 1 when a
    run failed.
    """
    from regie.tasks import runner

    outcomes = runner.run_now(state.runtime, name, slug)
    emit([{"task": outcome.task, "scope": outcome.scope or "global",
           "status": outcome.status, "error": outcome.error} for outcome in outcomes],
         output_format)
    if any(outcome.status == runner.FAILED for outcome in outcomes):
        raise SystemExit(1)


# --- jobs --------------------------------------------------------------------------------------


@click.group()
def jobs() -> None:
    """Long work (imports, invoicing, letters) and its progress."""


def _job_record(job, slugs: dict[int, str]) -> dict:
    return {
        "id": job.id,
        "name": job.name,
        "label": job.label,
        "establishment": slugs.get(job.establishment_id, ""),
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "result": job.result,
    }


def _slugs(session) -> dict[int, str]:
    from regie.db.models import Establishment

    return dict(session.execute(select(Establishment.id, Establishment.slug)).all())


@jobs.command("list")
@click.option("--state", "job_state", type=click.Choice(["queued", "running", "succeeded",
                                                          "failed"]))
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@format_option
@pass_state
def list_jobs(state: State, job_state: str | None, limit: int, output_format: str) -> None:
    """The most recent jobs first."""
    from regie.db.models import Job

    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if job_state:
        query = query.where(Job.state == job_state)
    with state.runtime.db.session() as session:
        slugs = _slugs(session)
        rows = [_job_record(job, slugs) for job in session.scalars(query)]
    emit(rows, output_format, ["id", "label", "establishment", "state", "percent", "message",
                               "created_at"])


def _load_job(runtime, job_id: int):
    from regie.db.models import Job
    from regie.services.errors import NotFound

    with runtime.db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(_("no job %(id)d", id=job_id))
        return job, _slugs(session)


@jobs.command("show")
@click.argument("job_id", type=int, metavar="ID")
@click.option("--follow", is_flag=True,
              help="Show a progress bar until the job ends; exit code 1 if it failed.")
@click.option("--interval", type=click.FloatRange(0.05), default=0.5, show_default=True,
              help="Seconds between two looks at the job while following.")
@format_option
@pass_state
def show_job(state: State, job_id: int, follow: bool, interval: float,
             output_format: str) -> None:
    """One job: its state, progress, message and result."""
    runtime = state.runtime
    job, slugs = _load_job(runtime, job_id)
    if follow and job.state in ("queued", "running"):
        job = _follow(runtime, job_id, interval)
    emit_one(_job_record(job, slugs), output_format)
    if follow and job.state == "failed":
        raise SystemExit(1)


def _follow(runtime, job_id: int, interval: float):
    """Draw the job's progress (on standard error) until it ends; return its final row."""
    job, _slugs_unused = _load_job(runtime, job_id)
    with click.progressbar(length=max(job.total, 1), label=job.label, file=sys.stderr,
                           show_percent=True, show_pos=True) as bar:
        while True:
            job, _slugs_unused = _load_job(runtime, job_id)
            bar.length = max(job.total, 1)
            bar.update(max(job.done - bar.pos, 0))
            if job.state not in ("queued", "running"):
                if job.state == "succeeded":
                    bar.update(bar.length - bar.pos)
                return job
            time.sleep(interval)
