"""The plugin engine: loading plugins named in the configuration and calling their hooks."""

from regie.engine.loader import LoadedPlugin, PluginLoadError, Problem, installed_plugins
from regie.engine.manager import Engine

__all__ = ["Engine", "LoadedPlugin", "PluginLoadError", "Problem", "installed_plugins"]
