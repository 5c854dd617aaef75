"""A misspelt hook name: regie_rolez instead of regie_roles."""

from regie.api import PluginInfo, Role, hookimpl

plugin_info = PluginInfo(label="Misspelt hook")


@hookimpl
def regie_rolez():
    return [Role("misspelt.member", "Member")]
