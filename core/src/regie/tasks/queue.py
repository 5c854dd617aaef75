"""The task queue of one instance: Huey on SQLite (``tasks.db`` in the instance folder) or on
Redis when ``tasks_url`` is ``redis://…``, with Régie's own tasks registered on it.

Three kinds of Huey tasks exist, the same in every process built from the same configuration
(web, CLI, workers), so any of them can enqueue what a worker runs:

- ``run_scheduled(name, scope)`` runs one scheduled task for one establishment (or globally);
- one periodic ``schedule:<name>`` task per scheduled task that is not ``"off"``: at each
  matching minute it enqueues ``run_scheduled`` for every scope, so the establishments are spread
  over the workers (with several workers, the first to claim the minute does it);
- ``run_job(job_id, target, kwargs)`` runs a long job tracked in the ``job`` table.

Several instances may share one Redis database by giving each its queue name:
``redis://host:6379/0?queue=regie-staging`` (default ``regie``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from regie.config import ConfigError
from regie.services.errors import NotFound, Veto
from regie.tasks import runner
from regie.tasks import schedule as schedules

if TYPE_CHECKING:
    from regie.runtime import Runtime

log = logging.getLogger("regie.tasks")

DEFAULT_QUEUE = "regie"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis(url: str) -> bool:
    return url.startswith(REDIS_SCHEMES)


def split_queue_name(url: str) -> tuple[str, str]:
    """``(url without the queue parameter, queue name)`` of a Redis ``tasks_url``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    name = next((value for key, value in query if key == "queue"), "") or DEFAULT_QUEUE
    rest = urlencode([(key, value) for key, value in query if key != "queue"])
    return urlunsplit(parts._replace(query=rest)), name


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///")).expanduser()


class RegieHuey(Huey):
    """Huey with Régie's tasks bound to one :class:`~regie.runtime.Runtime`."""

    def __init__(self, runtime: Runtime, name: str, **storage: Any) -> None:
        super().__init__(name, utc=True, **storage)
        self.runtime = runtime
        self.schedules = schedules.load(runtime.engine, runtime.config)
        self.run_scheduled = self.task(name="run_scheduled")(self._run_scheduled)
        self.run_job = self.task(name="run_job")(self._run_job)
        for schedule in self.schedules.values():
            if schedule.enabled:
                self.periodic_task(schedule.due, name=f"schedule:{schedule.name}")(
                    self._fan_out_function(schedule.name))

    def _run_scheduled(self, name: str, slug: str) -> dict[str, str]:
        schedule = self.schedules.get(name)
        if schedule is None:  # the configuration changed since the run was queued
            log.warning("task %s not run: no such scheduled task any more", name)
            return {"status": runner.SKIPPED, "error": "no such task any more"}
        establishment = None
        if slug:
            try:
                establishment = runner.establishment_for(self.runtime, schedule, slug)
            except (NotFound, Veto) as exc:  # disabled or deleted since the run was queued
                log.info("task %s [%s] not run: %s", name, slug, exc)
                return {"status": runner.SKIPPED, "error": str(exc)}
        outcome = runner.run_one(self.runtime, schedule, establishment)
        return {"status": outcome.status, "error": outcome.error}

    def read_periodic(self, timestamp):
        """The periodic tasks due at ``timestamp``, each told the minute it is due for."""
        due = super().read_periodic(timestamp)
        minute = (timestamp or self._get_timestamp()).replace(second=0, microsecond=0)
        for task in due:
            task.kwargs = {"minute": minute.replace(tzinfo=dt.UTC)}
        return due

    def _fan_out_function(self, name: str):
        def fan_out(minute: dt.datetime | None = None) -> int:
            """Queue one run of the scheduled task per scope, unless another worker already
            did for this minute."""
            if minute is not None and not runner.claim_minute(self.runtime, name, minute):
                log.info("task %s: another worker scheduled the runs of %s", name, minute)
                return 0
            targets = runner.scopes(self.runtime, self.schedules[name])
            for establishment in targets:
                self.run_scheduled(name, establishment.slug if establishment else "")
            return len(targets)

        return fan_out

    def _run_job(self, job_id: int, target: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        from regie.services import jobs

        return jobs.run(self.runtime, job_id, target, kwargs)


def make_huey(runtime: Runtime) -> RegieHuey:
    """The queue ``tasks_url`` names: SQLite file by default, Redis for ``redis://…``."""
    url = runtime.config.tasks_url
    if is_redis(url):
        redis_url, name = split_queue_name(url)
        return RegieHuey(runtime, name, storage_class=RedisStorage, url=redis_url)
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return RegieHuey(runtime, DEFAULT_QUEUE, storage_class=SqliteStorage,
                         filename=str(path))
    raise ConfigError(f"key 'tasks_url': {url!r} is neither sqlite:///PATH nor redis://HOST…")


def check(url: str) -> str:
    """Describe the queue at ``url`` after checking it can be used; :class:`ConnectionError`
    (Redis unreachable) or :class:`OSError` (SQLite folder unusable) otherwise."""
    if is_redis(url):
        import redis

        redis_url, name = split_queue_name(url)
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ConnectionError(f"Redis at {_hide_password(redis_url)} is unreachable: {exc}"
                                  ) from exc
        finally:
            client.close()
        return f"Redis {_hide_password(redis_url)}, queue '{name}'"
    if not url.startswith("sqlite:///"):
        raise ConnectionError(f"tasks_url {url!r} is neither sqlite:///PATH nor redis://HOST…")
    path = sqlite_path(url)
    if path.exists():
        connection = sqlite3.connect(path)
        try:
            pending = connection.execute("SELECT count(*) FROM task WHERE queue = ?",
                                         (DEFAULT_QUEUE,)).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise OSError(f"{path} is not a usable task database: {exc}") from exc
        finally:
            connection.close()
        return f"SQLite {path} ({pending} queued)"
    folder = next(parent for parent in path.parents if parent.exists())
    if not os.access(folder, os.W_OK):
        raise OSError(f"cannot create {path}: {folder} is not writable")
    return f"SQLite {path} (created by the first worker)"


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    return url
