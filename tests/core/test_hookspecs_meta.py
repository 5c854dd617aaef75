"""Every hook of the plugin API has a test and a docstring.

The convention: a hook is tested when a test file under tests/ (``test_*.py``) names it. A new
hookspec without a test, or a test renamed away from the hook it covers, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from regie import hookspecs

TESTS = Path(__file__).resolve().parents[1]


def hookspec_names() -> list[str]:
    return sorted(name for name, value in vars(hookspecs).items()
                  if callable(value) and hasattr(value, "regie_spec"))


def untested(hooks: list[str], sources: list[str]) -> list[str]:
    """The hooks no source names as a word of its own: ``regie_rolez`` does not name
    ``regie_roles``, ``test_regie_roles_are_listed`` does."""
    return [hook for hook in hooks
            if not any(re.search(rf"(?<![A-Za-z0-9]){hook}(?![A-Za-z0-9])", source)
                       for source in sources)]


def read_test_sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(TESTS.rglob("test_*.py"))
            if path.resolve() != Path(__file__).resolve()]


def test_the_hookspecs_are_found():
    hooks = hookspec_names()
    assert {"regie_roles", "regie_blueprints", "regie_plugin_installed",
            "regie_establishment_created_postcommit"} <= set(hooks)
    assert all(name.startswith("regie_") for name in hooks)


def test_every_hookspec_has_a_test():
    missing = untested(hookspec_names(), read_test_sources())
    assert missing == [], f"hooks without a test (no tests/**/test_*.py names them): {missing}"


def test_a_hook_named_only_as_part_of_another_name_counts_as_untested():
    sources = ["def regie_rolez(): ...", "def myregie_blueprints(): ...",
               "engine.call_on(p, 'regie_plugin_installed')", "def test_regie_web_servers_x(): ..."]
    assert untested(["regie_roles", "regie_blueprints", "regie_plugin_installed",
                     "regie_web_servers"], sources) == ["regie_roles", "regie_blueprints"]


def test_every_hookspec_has_a_docstring():
    undocumented = [name for name in hookspec_names()
                    if len((getattr(hookspecs, name).__doc__ or "").strip()) < 20]
    assert undocumented == []
