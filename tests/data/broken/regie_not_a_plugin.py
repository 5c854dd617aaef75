"""An entry point that names a function instead of a plugin module."""


def plugin():
    return "I am not a plugin module"
