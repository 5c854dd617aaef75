"""A plugin registering the role code of the core's establishment administrator."""

from regie.api import PluginInfo, Role, hookimpl

plugin_info = PluginInfo(label="Duplicate role")


@hookimpl
def regie_roles():
    return [Role("manager", "A second manager", {"*"})]
