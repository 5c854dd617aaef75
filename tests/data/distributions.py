"""Install test plugins as separate distributions, the way ``pip install`` would leave them.

Test modules get the fixtures ``site`` and ``echo`` with
``pytest_plugins = ["data.distributions"]``.

A :class:`Site` is a folder standing for site-packages. ``site.install("alpha", "regie_echo.py",
module="regie_echo_alpha")`` copies the plugin's sources there and writes
``regie_alpha-0.1.dist-info`` with ``METADATA`` and an ``entry_points.txt`` in group
``regie.plugins``. The folder is first on ``sys.path`` for the test, and the modules imported
from it are forgotten afterwards.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from stevedore import ExtensionManager

SOURCES = Path(__file__).resolve().parent


class Site:
    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.modules: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.syspath_prepend(str(folder))
        # stevedore remembers the entry points of a group for the life of the process.
        monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})

    def install(self, name: str, source: str, *, module: str | None = None,
                entry_point: str | None = None, distribution: str | None = None) -> Path:
        """Install the plugin ``name`` from ``source`` (a file or a package folder under
        tests/data) as the importable ``module``; its entry point is ``entry_point`` (default:
        the module). Returns where the module was copied."""
        origin = SOURCES / source
        module = module or origin.stem
        if origin.is_dir():
            target = self.folder / module
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target = self.folder / f"{module}.py"
            shutil.copyfile(origin, target)
        distribution = distribution or f"regie-{name}"
        info = self.folder / f"{distribution.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[regie.plugins]\n{name} = {entry_point or module}\n", encoding="utf-8")
        (info / "RECORD").write_text("", encoding="utf-8")
        self.modules.add(module.partition(".")[0])
        importlib.invalidate_caches()
        return target

    def forget(self) -> None:
        """Unload what was imported from the site, so the next test imports it afresh."""
        for name in list(sys.modules):
            if name.partition(".")[0] in self.modules:
                del sys.modules[name]


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Site]:
    """A site-packages folder first on ``sys.path`` for the test."""
    site = Site(tmp_path / "site", monkeypatch)
    yield site
    site.forget()


@pytest.fixture
def echo(site) -> Callable[..., None]:
    """``echo("alpha", "beta")`` installs ``regie_echo.py`` as the plugins alpha and beta."""

    def install(*names: str) -> None:
        for name in names:
            site.install(name, "regie_echo.py", module=f"regie_echo_{name}")

    return install
