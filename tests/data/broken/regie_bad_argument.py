"""A hook implementation asking for an argument the hook does not have."""

from regie.api import PluginInfo, hookimpl

plugin_info = PluginInfo(label="Bad argument")


@hookimpl
def regie_plugin_installed(session, establishment, config):
    """``config`` is not an argument of regie_plugin_installed (``settings`` is)."""
