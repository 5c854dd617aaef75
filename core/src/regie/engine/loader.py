"""Find plugins through the ``regie.plugins`` entry points and import those the config names.

Installing is not enabling: only the names listed in ``plugins`` are imported. Every problem is
collected, so a deployer sees the whole list at once instead of fixing one error per restart.
"""

from __future__ import annotations

import importlib.metadata
import types

import attrs
from stevedore import NamedExtensionManager

from regie.declarations import PluginInfo

GROUP = "regie.plugins"


@attrs.frozen
class Problem:
    plugin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.reason}"


class PluginLoadError(Exception):
    """Start-up refused; ``problems`` lists every plugin that could not be loaded and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"cannot start: {len(problems)} plugin problem(s)\n{lines}")


@attrs.frozen
class LoadedPlugin:
    name: str
    module: types.ModuleType
    info: PluginInfo
    distribution: str
    version: str


def installed_plugins() -> dict[str, importlib.metadata.EntryPoint]:
    """Every plugin installed in this environment, by name (loaded or not)."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=GROUP)}


def _distribution(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = entry_point.dist
    if dist is None:
        return "", ""
    return dist.metadata["Name"], dist.version


def load_plugins(names: list[str]) -> tuple[list[LoadedPlugin], list[Problem]]:
    """Import the named plugins in order; return what loaded and every problem found."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem(name, "listed twice in 'plugins'"))
        seen.add(name)

    failures: dict[str, str] = {}

    def on_load_failure(_manager, entry_point, exc):
        failures[entry_point.name] = f"import failed: {type(exc).__name__}: {exc}"

    def on_missing(missing_names):  # stevedore counts plugins that failed to load as missing
        for missing in missing_names:
            failures.setdefault(
                missing,
                "not installed (no entry point in group 'regie.plugins'; "
                "install its distribution, or remove it from 'plugins')"
            )

    manager = NamedExtensionManager(
        GROUP,
        names=list(dict.fromkeys(names)),
        invoke_on_load=False,
        on_load_failure_callback=on_load_failure,
        on_missing_entrypoints_callback=on_missing,
        name_order=True,
    )
    # stevedore's cached entry points do not know their distribution; importlib.metadata does.
    installed = installed_plugins()
    loaded: list[LoadedPlugin] = []
    for extension in manager.extensions:
        module = extension.plugin
        info = getattr(module, "plugin_info", None)
        if not isinstance(module, types.ModuleType) or not isinstance(info, PluginInfo):
            failures[extension.name] = (
                f"not a Régie plugin: {extension.entry_point.value} must be a module with a "
                "'plugin_info = regie.api.PluginInfo(...)' attribute"
            )
            continue
        dist, version = _distribution(installed.get(extension.name, extension.entry_point))
        loaded.append(LoadedPlugin(extension.name, module, info, dist, version))
    problems.extend(Problem(name, reason) for name, reason in failures.items())
    problems.sort(key=lambda problem: names.index(problem.plugin)
                  if problem.plugin in names else len(names))
    return loaded, problems
