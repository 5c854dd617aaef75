"""Fixtures come from the ``regie`` pytest plugin (``regie.testing``), as for plugin authors."""
