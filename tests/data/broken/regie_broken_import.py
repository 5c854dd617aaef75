"""A plugin whose dependency is not installed: importing it fails."""

import regie_missing_dependency  # noqa: F401

from regie.api import PluginInfo

plugin_info = PluginInfo(label="Broken import")
