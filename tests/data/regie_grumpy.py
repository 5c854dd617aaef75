"""A plugin whose after-commit hook fails: the plugins after it must still be told."""

from regie.api import PluginInfo, hookimpl

plugin_info = PluginInfo(label="Grumpy")


@hookimpl
def regie_establishment_created_postcommit(establishment_id):
    raise RuntimeError(f"grumpy will not hear of establishment {establishment_id}")
