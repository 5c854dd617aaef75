"""A blueprint not named plugin_<plugin name>: it could shadow another plugin's routes."""

from flask import Blueprint

from regie.api import PluginInfo, WebBlueprint, hookimpl

plugin_info = PluginInfo(label="Bad blueprint")


@hookimpl
def regie_blueprints():
    return [WebBlueprint(Blueprint("admin", __name__))]
