"""The :class:`Engine`: one pluggy ``PluginManager`` per application instance, and what the
plugins registered through it."""

from __future__ import annotations

import functools
import importlib
import logging
import re
import types
from collections.abc import Iterable
from typing import Any

import attrs
import pluggy

from regie import hookspecs
from regie.engine.loader import LoadedPlugin, PluginLoadError, Problem, load_plugins

#: Registration hooks and the attribute that must be unique across the deployment.
REGISTRATIONS: dict[str, str] = {
    "regie_payment_methods": "code",
    "regie_mail_transports": "code",
    "regie_document_renderers": "code",
    "regie_sync_sources": "code",
    "regie_blueprints": "route",
    "regie_cli_commands": "name",
    "regie_scheduled_tasks": "name",
    "regie_roles": "code",
    "regie_mail_placeholders": "key",
    "regie_dashboard_widgets": "name",
    "regie_web_servers": "name",
}

CORE = "core"

log = logging.getLogger(__name__)


@attrs.frozen
class Registered:
    """A value a plugin returned from a registration hook, with the plugin's name."""

    plugin: str
    item: Any

    @property
    def key(self) -> str:
        item = self.item
        if hasattr(item, "blueprint"):
            return f"{item.kind}:{item.blueprint.name}"
        if hasattr(item, "document_type"):
            return f"{item.document_type}.{item.name}"
        return getattr(item, "code", None) or item.name


def _add_plugin_hookspecs(pm: pluggy.PluginManager, loaded: list[LoadedPlugin]
                          ) -> tuple[list[LoadedPlugin], list[Problem]]:
    """Add the hookspecs that plugins declare for other plugins to implement (``PluginInfo.
    hookspecs``), before any plugin is registered, so an implementation is checked whatever
    the config order. A plugin whose hookspecs cannot be imported is not loaded."""
    usable, problems = [], []
    for plugin in loaded:
        if plugin.info.hookspecs:
            try:
                pm.add_hookspecs(importlib.import_module(plugin.info.hookspecs))
            except Exception as exc:
                problems.append(Problem(plugin.name, f"hookspecs '{plugin.info.hookspecs}' "
                                                     f"cannot be added: {exc!r}"))
                continue
        usable.append(plugin)
    return usable, problems


def _builtin_modules() -> list[types.ModuleType]:
    from regie.builtin import documents, mail, methods, roles, servers, tasks

    return [roles, servers, tasks, documents, methods, mail]


class Engine:
    """Loads the configured plugins and answers every question about them.

    ``names`` is the ``plugins`` list of the configuration, in hook order. Construction raises
    :class:`PluginLoadError` listing every problem when any plugin cannot be used.
    """

    def __init__(self, names: Iterable[str], *, builtins: list[types.ModuleType] | None = None,
                 reserved_cli: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager("regie")
        self.pm.add_hookspecs(hookspecs)
        self.names = list(names)
        loaded, problems = load_plugins(self.names)
        loaded, spec_problems = _add_plugin_hookspecs(self.pm, loaded)
        problems.extend(spec_problems)
        self.plugins: dict[str, LoadedPlugin] = {}
        builtin_modules = _builtin_modules() if builtins is None else builtins
        # pluggy calls the last registered first: register in reverse so calls follow the
        # config order, and builtins last so they run before every plugin.
        for plugin in reversed(loaded):
            problem = self._register(plugin.name, plugin.module)
            if problem:
                problems.append(problem)
            else:
                self.plugins[plugin.name] = plugin
        self.plugins = {name: self.plugins[name] for name in self.names if name in self.plugins}
        for module in reversed(builtin_modules):
            self.pm.register(module, name=f"{CORE}.{module.__name__.rsplit('.', 1)[-1]}")
        problems.extend(self._unknown_hooks())
        self.registered: dict[str, list[Registered]] = {}
        problems.extend(self._collect_registrations(set(reserved_cli)))
        if problems:
            raise PluginLoadError(problems)
        self.pm.check_pending()

    def _register(self, name: str, module: types.ModuleType) -> Problem | None:
        try:
            self.pm.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            return Problem(name, f"bad hook signature: {exc}")
        except ValueError as exc:
            return Problem(name, str(exc))
        return None

    def _unknown_hooks(self) -> list[Problem]:
        """What ``check_pending`` reports, for every plugin at once."""
        problems = []
        for hook_name, caller in vars(self.pm.hook).items():
            if hook_name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if not impl.optionalhook:
                    problems.append(Problem(impl.plugin_name,
                                            f"unknown hook '{hook_name}' (misspelt?)"))
                    self.pm.unregister(name=impl.plugin_name)
                    self.plugins.pop(impl.plugin_name, None)
        return problems

    def _collect_registrations(self, reserved_cli: set[str]) -> list[Problem]:
        problems: list[Problem] = []
        for hook_name in REGISTRATIONS:
            entries: list[Registered] = []
            owners: dict[str, str] = {}
            for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
                plugin = impl.plugin_name
                owner = CORE if plugin.startswith(f"{CORE}.") else plugin
                try:
                    items = impl.function() or []
                except Exception as exc:
                    problems.append(Problem(owner, f"{hook_name}() failed: {exc!r}"))
                    continue
                for item in items:
                    entry = Registered(owner, item)
                    problem = self._check_entry(hook_name, entry, reserved_cli)
                    if problem is None and entry.key in owners:
                        problem = (f"{hook_name}: '{entry.key}' is already registered by "
                                   f"'{owners[entry.key]}'")
                    if problem:
                        problems.append(Problem(owner, problem))
                        continue
                    owners[entry.key] = owner
                    entries.append(entry)
            self.registered[hook_name] = entries
        return problems

    @staticmethod
    def _check_entry(hook_name: str, entry: Registered, reserved_cli: set[str]) -> str | None:
        if hook_name == "regie_blueprints":
            expected = f"plugin_{entry.plugin}"
            name = entry.item.blueprint.name
            if name != expected and not re.fullmatch(rf"{re.escape(expected)}_[a-z0-9]+", name):
                return (f"blueprint '{entry.item.blueprint.name}' must be named '{expected}' "
                        "(routes of one plugin cannot shadow another's or the core's)")
        if hook_name == "regie_cli_commands" and entry.item.name in reserved_cli:
            return f"CLI command '{entry.item.name}' is a core command"
        return None

    # --- questions about plugins -----------------------------------------------------------

    def items(self, hook_name: str, enabled: Iterable[str] | None = None) -> list[Any]:
        """The values registered through ``hook_name``, in hook order; with ``enabled``, only
        the core's and those of the enabled plugins."""
        allowed = None if enabled is None else {CORE, *enabled}
        return [entry.item for entry in self.registered[hook_name]
                if allowed is None or entry.plugin in allowed]

    def entries(self, hook_name: str) -> list[Registered]:
        return list(self.registered[hook_name])

    def owner(self, hook_name: str, key: str) -> str | None:
        for entry in self.registered[hook_name]:
            if entry.key == key:
                return entry.plugin
        return None

    def hook(self, enabled: Iterable[str]) -> _SubsetHooks:
        """Hook callers restricted to the core and the plugins in ``enabled``."""
        return _SubsetHooks(self, frozenset(enabled))

    def call_on(self, plugin: str, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call ``hook_name`` on one plugin only (its install/uninstall hooks, its demo data)."""
        others = [module for name, module in self.pm.list_name_plugin() if name != plugin]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)

    def notify(self, hook_name: str, enabled: Iterable[str] | None = None,
               **kwargs: Any) -> None:
        """Call an after-commit hook (``…_postcommit``) on the core and on each plugin (of
        ``enabled``) in hook order, one at a time: a plugin that fails is logged and the next
        ones are still called, since the change they are told about is committed."""
        allowed = None if enabled is None else set(enabled)
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            name = impl.plugin_name
            if allowed is not None and not name.startswith(f"{CORE}.") and name not in allowed:
                continue
            try:
                self.call_on(name, hook_name, **kwargs)
            except Exception:
                log.exception("%s: %s failed", name, hook_name)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - the engine lives as long as the app
    def _subset(self, hook_name: str, enabled: frozenset[str]):
        removed = [plugin.module for name, plugin in self.plugins.items() if name not in enabled]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=removed)


class _SubsetHooks:
    def __init__(self, engine: Engine, enabled: frozenset[str]) -> None:
        self._engine = engine
        self._enabled = enabled

    def __getattr__(self, hook_name: str):
        return self._engine._subset(hook_name, self._enabled)


__all__ = ["CORE", "REGISTRATIONS", "Engine", "PluginLoadError", "Registered"]
