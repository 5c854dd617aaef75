"""A plugin that declares a hook of its own, ``regie_till_closed``, for other plugins to
implement, and calls it when a till closes."""

from regie.api import PluginInfo

plugin_info = PluginInfo(label="Till", hookspecs="regie_till.hookspecs")


def close(engine, total):
    """What the plugin does when a till closes: tell the plugins that listen."""
    return engine.pm.hook.regie_till_closed(total=total)
