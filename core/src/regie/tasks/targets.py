"""Functions named as ``"module:function"`` strings, imported when they are about to run."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def resolve(target: str) -> Callable[..., Any]:
    """The callable ``target`` names; :class:`ValueError` saying what is wrong otherwise."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"'{target}' must look like 'package.module:function'")
    module = importlib.import_module(module_name)
    function = module
    for part in attribute.split("."):
        function = getattr(function, part, None)
        if function is None:
            raise ValueError(f"'{target}': module '{module_name}' has no '{attribute}'")
    if not callable(function):
        raise ValueError(f"'{target}' is not callable")
    return function
