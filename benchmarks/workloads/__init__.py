"""Benchmark workloads: one module per workload, ``benchmarks/workloads/<name>.py`` (``-`` in
the name becomes ``_`` in the file name), exposing ``WORKLOAD``, an :class:`HttpWorkload` or a
:class:`BatchWorkload`.

An HTTP workload arranges data in a new instance, then names one request that a signed-in
person sends (or a list of requests sent once each, for requests that change state); the runner
serves it with Régie (``regie serve``) and with the workload's baseline app under the same
gunicorn settings, loads both over HTTP from another process, then runs the workload's checks
on what the runs left in the database. A batch
workload times a piece of work done by Régie and by a baseline doing the same essential work.
Either way the last line printed is ``ratio: X``, higher is better, 1.0 is as fast as the
baseline.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.instance import Instance


@dataclass(frozen=True)
class Request:
    """What the load generator sends, and what every answer must contain."""

    path: str
    expect: str
    cookie: str = ""
    method: str = "GET"
    status: int = 200
    #: Paths sent in turn instead of ``path``, each once; the load ends when they run out.
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpWorkload:
    description: str
    #: Arranges data in the new instance; returns a callable that, given the base URL of the
    #: running Régie server, signs in as needed and returns the :class:`Request` to load.
    prepare: Callable[[Instance], Callable[[str], Request]]
    #: The baseline app, as gunicorn's APP_MODULE (``module:factory()``); it gets the instance's
    #: database URL and secret key in ``BENCH_DATABASE_URL`` and ``BENCH_SECRET_KEY``.
    baseline: str
    #: Run on the instance after all runs: what was checked and whether it held. The runner
    #: prints them and fails when one did not hold.
    check: Callable[[Instance], list[tuple[str, bool]]] | None = None
    #: Connections of the load generator when its target is stated for a number of them;
    #: ``--concurrency`` overrides it.
    concurrency: int | None = None


@dataclass(frozen=True)
class BatchWorkload:
    description: str
    #: Arranges data in the new instance; what it returns goes to both runs.
    prepare: Callable[[Instance], Any]
    regie: Callable[[Instance, Any], None]
    baseline: Callable[[Instance, Any], None]


def names() -> list[str]:
    """Workload names as typed on the command line: ``receipt-pdf`` is ``receipt_pdf.py``."""
    return sorted(module.name.replace("_", "-") for module in pkgutil.iter_modules(__path__)
                  if not module.name.startswith("_"))


def load(name: str) -> HttpWorkload | BatchWorkload:
    name = name.replace("_", "-")
    if name not in names():
        raise LookupError(f"no workload {name!r}; known: {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}").WORKLOAD
