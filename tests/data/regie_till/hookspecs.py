"""The till plugin's own plugin API."""

import pluggy

hookspec = pluggy.HookspecMarker("regie")


@hookspec
def regie_till_closed(total):
    """A till closed with ``total`` in it; return what you did with it."""
