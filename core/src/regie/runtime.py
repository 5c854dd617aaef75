"""The pieces one Régie instance runs on: configuration, database, plugin engine, task queue.

The web app, the CLI and the task worker each build one :class:`Runtime`; nothing is global.
"""

from __future__ import annotations

import functools
import logging

from regie.config import Config, load_config
from regie.db import Database
from regie.engine import Engine
from regie.i18n import translation_directories, use_catalogs

log = logging.getLogger("regie")

#: Core CLI commands; plugins cannot register these names.
CORE_COMMANDS = frozenset({
    "init", "demo", "serve", "worker", "db", "plugins", "doctor", "establishment", "user",
    "tasks", "jobs", "accounts", "payments", "ledger", "mail", "sync",
})


class Runtime:
    def __init__(self, config: Config, *, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or Engine(config.plugins, reserved_cli=CORE_COMMANDS)
        self.db = Database(config.database_url)
        use_catalogs(translation_directories(
            plugin.module for plugin in self.engine.plugins.values()))

    @classmethod
    def from_config(cls, instance=None, **overrides) -> Runtime:
        return cls(load_config(instance, **overrides))

    @functools.cached_property
    def huey(self):
        from regie.tasks.queue import make_huey

        return make_huey(self)

    def close(self) -> None:
        self.db.dispose()
