"""Progress of long work (imports, invoicing, letters), kept in the ``job`` table.

The work runs in a task worker and reports through :class:`Progress`; the web's job page and the
CLI's progress bar read the same row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete

from regie.db import Database
from regie.db.base import utcnow
from regie.db.models import Job


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


def purge_finished(ctx, older_than: dt.timedelta = dt.timedelta(days=90)) -> int:
    """Scheduled task: forget finished jobs older than ``older_than``."""
    with ctx.db.transaction() as session:
        result = session.execute(delete(Job).where(
            Job.state.in_(("succeeded", "failed")), Job.finished_at < utcnow() - older_than))
        return result.rowcount
