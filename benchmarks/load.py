"""A small HTTP load generator, run as its own process: ``python -m benchmarks.load``.

``--concurrency`` threads each keep one HTTP/1.1 connection alive and send the same request in a
loop, or, with ``--paths FILE``, the paths of the file in turn, each once, until they run out
(a workload whose requests change state, such as notifications that each confirm a payment).
Requests that finish during the warm-up are not counted; the measure then runs for
``--duration`` seconds or ``--requests`` requests, whichever comes first. Every response must
have the expected status and contain the ``--expect`` text, or it counts as an error: a server
that answers fast with a sign-in page or an error page must not look fast.

Prints one JSON object: requests measured, errors, seconds, throughput (req/s), latency
percentiles (ms), requests answered in all (warm-up included), paths of ``--paths`` sent, and
the generator's own CPU use, which tells when the generator, not the server, was the limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import statistics
import threading
import time
from urllib.parse import urlsplit

#: Sent with every request, and by :mod:`benchmarks.signin`: a session bound to the browser
#: that opened it (Flask-Login's session protection) stays valid under load.
USER_AGENT = "regie-benchmarks/1"


class Shared:
    """What the threads write, under one lock, once per thread at the end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error = ""
        self.answered = 0
        self.sent = 0

    def next_path(self, paths: list[str]) -> str | None:
        """The next path of ``paths`` not yet taken by a thread, ``None`` when all were."""
        with self.lock:
            if self.sent >= len(paths):
                return None
            self.sent += 1
            return paths[self.sent - 1]

    def add(self, latencies: list[float], errors: int, first_error: str, answered: int) -> None:
        with self.lock:
            self.latencies.extend(latencies)
            self.errors += errors
            self.first_error = self.first_error or first_error
            self.answered += answered


def _worker(args, paths: list[str] | None, measure_from: float, stop: threading.Event,
            budget: list[int], shared: Shared) -> None:
    url = urlsplit(args.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = {"User-Agent": USER_AGENT, **({"Cookie": args.cookie} if args.cookie else {})}
    expect = args.expect.encode() if args.expect else b""
    latencies: list[float] = []
    errors = 0
    first_error = ""
    answered = 0
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    while not stop.is_set():
        if paths is not None:
            path = shared.next_path(paths)
            if path is None:
                stop.set()
                break
        started = time.perf_counter()
        try:
            connection.request(args.method, path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            ok = response.status == args.status and expect in body
            problem = "" if ok else f"status {response.status}: {body[:300]!r}"
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            ok, problem = False, repr(exc)
        finished = time.perf_counter()
        answered += 1
        if started < measure_from:
            continue
        if ok:
            latencies.append(finished - started)
        else:
            errors += 1
            first_error = first_error or problem
        with shared.lock:
            budget[0] -= 1
            if budget[0] <= 0:
                stop.set()
    connection.close()
    shared.add(latencies, errors, first_error, answered)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(args) -> dict:
    shared = Shared()
    stop = threading.Event()
    budget = [args.requests or 1 << 62]
    paths = None
    if args.paths:
        with open(args.paths, encoding="utf-8") as lines:
            paths = [line.rstrip("\n") for line in lines if line.strip()]
    started = time.perf_counter()
    measure_from = started + args.warmup
    threads = [threading.Thread(target=_worker,
                                args=(args, paths, measure_from, stop, budget, shared),
                                daemon=True) for _ in range(args.concurrency)]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.start()
    stop.wait(args.warmup + args.duration)
    stop.set()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    seconds = ended - max(measure_from, started)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies = shared.latencies
    return {
        "requests": len(latencies),
        "answered": shared.answered,
        "sent": shared.sent,
        "errors": shared.errors,
        "first_error": shared.first_error,
        "seconds": round(seconds, 3),
        "throughput": len(latencies) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "client_cpu_percent": 100 * cpu / (ended - started),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--cookie", default="", help="Cookie header sent with every request")
    parser.add_argument("--expect", default="", help="text every response body must contain")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--requests", type=int, default=0, help="stop after this many (0: none)")
    parser.add_argument("--paths", default="",
                        help="file of paths (with query strings), one a line, each sent once "
                             "instead of the URL's path; the load stops when they run out")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    print(json.dumps(run(parse_args(argv))))


if __name__ == "__main__":
    main()
