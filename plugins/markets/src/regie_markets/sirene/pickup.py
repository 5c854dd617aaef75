"""The monthly SIRENE pickup: the deployment drops (or downloads by cron) the INSEE stock file
into ``<instance>/sirene/``; each establishment with Markets compares its traders with the
newest file it has not read yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from regie.api import TaskContext, last_syncs, run_sync
from regie_markets.sirene.alerts import SOURCE_CODE


def folder(config) -> Path:
    return Path(config.instance) / "sirene"


def newest_file(config) -> Path | None:
    files = [path for path in folder(config).glob("*.csv") if path.is_file()]
    return max(files, key=lambda path: path.stat().st_mtime, default=None)


def monthly_pickup(ctx: TaskContext) -> str:
    """Scheduled task ``markets.sirene_pickup``."""
    path = newest_file(ctx.config)
    if path is None:
        return "no file"
    with ctx.db.session() as session:
        status = last_syncs(session, ctx.establishment).get(SOURCE_CODE)
    modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    if status is not None and status.last_success_at is not None \
            and status.last_success_at >= modified:
        return "already read"
    return run_sync(ctx.runtime, ctx.establishment.id, SOURCE_CODE, path).state
