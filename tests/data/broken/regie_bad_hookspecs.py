"""A plugin whose hookspecs module does not exist."""

from regie.api import PluginInfo

plugin_info = PluginInfo(label="Bad hookspecs", hookspecs="regie_nowhere.hookspecs")
