"""What a task function receives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from regie.db.models import Establishment
    from regie.runtime import Runtime


@attrs.define
class TaskContext:
    """Passed to every task function as ``ctx``.

    ``establishment`` is set for per-establishment tasks, with ``settings`` the plugin's
    settings there; ``progress`` reports to the job row when the run is tracked as a job.
    """

    runtime: Runtime
    task: str
    establishment: Establishment | None = None
    settings: dict[str, Any] = attrs.Factory(dict)
    progress: Any = None

    @property
    def db(self):
        return self.runtime.db

    @property
    def engine(self):
        return self.runtime.engine

    @property
    def config(self):
        return self.runtime.config
