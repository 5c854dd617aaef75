"""When each scheduled task runs: the plugin's cron expression, unless ``tasks.schedule`` in
``regie.toml`` retimes it or switches it ``"off"``.

Cron expressions are read in the deployment's time zone (``default_timezone``), so
``"30 2 * * *"`` means half past two at night where the establishments are.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import attrs
from huey import crontab

from regie.config import Config, ConfigError
from regie.declarations import ScheduledTask
from regie.engine import Engine, PluginLoadError, Problem

OFF = "off"
FIELDS = ("minute", "hour", "day", "month", "weekday")


@attrs.frozen
class Cron:
    """A five-field cron expression (minute hour day month weekday, 0 or 7 = Sunday)."""

    expression: str
    _test: Callable[[dt.datetime], bool] = attrs.field(repr=False, eq=False)

    @classmethod
    def parse(cls, expression: str) -> Cron:
        fields = expression.split()
        if len(fields) != len(FIELDS):
            raise ValueError(f"'{expression}' is not a cron expression: it needs "
                             f"{len(FIELDS)} fields ({' '.join(FIELDS)}), or \"{OFF}\"")
        try:
            test = crontab(*fields, strict=True)
        except ValueError as exc:
            raise ValueError(f"'{expression}' is not a cron expression: {exc}") from None
        return cls(" ".join(fields), test)

    def matches(self, moment: dt.datetime) -> bool:
        """Whether the minute ``moment`` (in the schedule's time zone) is one of the cron's."""
        return self._test(moment)


@attrs.frozen
class Schedule:
    """A scheduled task as this deployment runs it."""

    task: ScheduledTask
    plugin: str
    timezone: zoneinfo.ZoneInfo
    cron: Cron | None

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def effective(self) -> str:
        return self.cron.expression if self.cron else OFF

    @property
    def enabled(self) -> bool:
        return self.cron is not None

    def due(self, utc_minute: dt.datetime) -> bool:
        """Whether the task runs at ``utc_minute`` (naive UTC, as Huey's scheduler passes it)."""
        if self.cron is None:
            return False
        local = utc_minute.replace(tzinfo=dt.UTC).astimezone(self.timezone)
        return self.cron.matches(local.replace(tzinfo=None))


def _override_key(name: str) -> str:
    return f'tasks.schedule."{name}"'


def load(engine: Engine, config: Config) -> dict[str, Schedule]:
    """Every scheduled task of the core and the loaded plugins, by name, in hook order.

    Raises :class:`ConfigError` naming the key when an override names no task or is not a cron
    expression, and :class:`PluginLoadError` when a plugin declares a bad schedule.
    """
    origin = str(config.path or config.instance / "regie.toml")
    overrides = config["tasks.schedule"]
    entries = engine.entries("regie_scheduled_tasks")
    known = [entry.item.name for entry in entries]
    for name, value in overrides.items():
        if name not in known:
            raise ConfigError(f"{origin}: key '{_override_key(name)}' names no scheduled task "
                              f"(known: {', '.join(known) or 'none'})")
        if not isinstance(value, str):
            raise ConfigError(f"{origin}: key '{_override_key(name)}' must be a cron "
                              f"expression or \"{OFF}\", got {value!r}")
    try:
        timezone = zoneinfo.ZoneInfo(config["default_timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{origin}: key 'default_timezone': unknown time zone "
                          f"{config['default_timezone']!r}") from None
    schedules: dict[str, Schedule] = {}
    problems: list[Problem] = []
    for entry in entries:
        task = entry.item
        expression = overrides.get(task.name, task.schedule).strip()
        cron = None
        if expression.lower() != OFF:
            try:
                cron = Cron.parse(expression)
            except ValueError as exc:
                if task.name in overrides:
                    key = _override_key(task.name)
                    raise ConfigError(f"{origin}: key '{key}': {exc}") from None
                problems.append(Problem(entry.plugin, f"scheduled task '{task.name}': {exc}"))
                continue
        schedules[task.name] = Schedule(task, entry.plugin, timezone, cron)
    if problems:
        raise PluginLoadError(problems)
    return schedules
