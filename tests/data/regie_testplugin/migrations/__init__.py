"""Revisions of the testplugin history (branch label ``testplugin``)."""
