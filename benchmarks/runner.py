"""Runs a workload with Régie and with its baseline, and prints the comparison.

Both servers run one after the other on the same machine, under the same gunicorn settings,
each loaded by the same generator (:mod:`benchmarks.load`) in a separate process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.instance import Instance, regie_command
from benchmarks.workloads import BatchWorkload, HttpWorkload, Request

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    database: str = "sqlite"
    duration: float = 10.0
    warmup: float = 2.0
    concurrency: int = 8
    workers: int = 2
    threads: int = 4
    repeat: int = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_options(options: Options) -> list[str]:
    """The settings ``regie serve`` gives gunicorn (see regie.builtin.servers), for the
    baseline."""
    return ["--workers", str(options.workers), "--threads", str(options.threads),
            "--worker-class", "gthread" if options.threads > 1 else "sync",
            "--timeout", "30", "--access-logfile", "-",
            "--forwarded-allow-ips", "127.0.0.1,::1"]


@dataclass(frozen=True)
class Server:
    base: str
    process_group: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's live processes (master and workers)."""
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[2]) == self.process_group:
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(argv: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[Server]:
    """Start a server process group, wait until ``/healthz`` answers, stop it at the end."""
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as output:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(base, process, log)
        yield Server(base, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after 60 s:\n{log.read_text(errors='replace')[-3000:]}")


def regie_server(instance: Instance, options: Options) -> contextlib.AbstractContextManager:
    port = free_port()
    env = instance.env(REGIE_SERVER_NAME="gunicorn", REGIE_SERVER_WORKERS=str(options.workers),
                       REGIE_SERVER_THREADS=str(options.threads), REGIE_SERVER_TIMEOUT="30")
    return serving([regie_command(), "serve", "--bind", f"127.0.0.1:{port}"], env,
                   instance.folder / "regie-serve.log", port)


def baseline_server(app: str, instance: Instance,
                    options: Options) -> contextlib.AbstractContextManager:
    port = free_port()
    env = instance.env(BENCH_DATABASE_URL=instance.database_url,
                       BENCH_SECRET_KEY=instance.secret_key)
    argv = [sys.executable, "-m", "gunicorn", *gunicorn_options(options),
            "--bind", f"127.0.0.1:{port}", app]
    return serving(argv, env, instance.folder / "baseline.log", port)


def load(server: Server, request: Request, options: Options) -> dict:
    """Load ``server`` with ``request``; the generator's figures plus the server's CPU time per
    answered request, a measure that the other programs of a busy machine disturb less than
    throughput."""
    argv = [sys.executable, "-m", "benchmarks.load", server.base + request.path,
            "--method", request.method, "--status", str(request.status),
            "--cookie", request.cookie, "--expect", request.expect,
            "--concurrency", str(options.concurrency), "--duration", str(options.duration),
            "--warmup", str(options.warmup)]
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".paths") as paths:
        if request.paths:
            paths.write("".join(f"{path}\n" for path in request.paths))
            paths.flush()
            argv += ["--paths", paths.name]
        cpu_before = server.cpu_seconds()
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
        cpu = server.cpu_seconds() - cpu_before
    measured = json.loads(result.stdout)
    if measured["errors"]:
        raise RuntimeError(f"{measured['errors']} wrong answers from {server.base}{request.path}"
                           f"; first: {measured['first_error']}")
    measured["server_cpu_ms"] = 1000 * cpu / max(measured["answered"], 1)
    return measured


def _line(name: str, measured: dict) -> str:
    return (f"{name:<9} {measured['throughput']:8.1f} req/s   p95 {measured['p95_ms']:7.1f} ms"
            f"   p99 {measured['p99_ms']:7.1f} ms   p50 {measured['p50_ms']:6.1f} ms"
            f"   {measured['requests']:6d} requests"
            f"   server CPU {measured['server_cpu_ms']:5.2f} ms/request"
            f"   load generator CPU {measured['client_cpu_percent']:3.0f}%")


def run_http(name: str, workload: HttpWorkload, options: Options) -> float:
    """Alternate Régie and the baseline ``options.repeat`` times; the ratio of the medians."""
    with Instance.create(options.database) as instance:
        make_request = workload.prepare(instance)
        results: dict[str, list[dict]] = {"regie": [], "baseline": []}
        for _ in range(options.repeat):
            with regie_server(instance, options) as server:
                request = make_request(server.base)
                results["regie"].append(load(server, request, options))
            print(_line("regie", results["regie"][-1]), flush=True)
            with baseline_server(workload.baseline, instance, options) as server:
                results["baseline"].append(load(server, request, options))
            print(_line("baseline", results["baseline"][-1]), flush=True)
        failed = _check(workload, instance)
    regie = statistics.median(run["throughput"] for run in results["regie"])
    baseline = statistics.median(run["throughput"] for run in results["baseline"])
    p95 = {side: statistics.median(run["p95_ms"] for run in runs)
           for side, runs in results.items()}
    p99 = {side: statistics.median(run["p99_ms"] for run in runs)
           for side, runs in results.items()}
    cpu = {side: statistics.median(run["server_cpu_ms"] for run in runs)
           for side, runs in results.items()}
    print(f"{name} on {options.database}, {options.concurrency} connections, "
          f"{options.workers} workers x {options.threads} threads, median of {options.repeat}:")
    for side, throughput in (("regie", regie), ("baseline", baseline)):
        print(f"{side:<9} {throughput:8.1f} req/s   p95 {p95[side]:7.1f} ms"
              f"   p99 {p99[side]:7.1f} ms   server CPU {cpu[side]:5.2f} ms/request")
    print(f"CPU ratio (baseline CPU per request / Régie's): {cpu['baseline'] / cpu['regie']:.2f}")
    print(f"p99 ratio (Régie's / baseline's): {p99['regie'] / p99['baseline']:.2f}")
    if failed:
        raise RuntimeError("checks failed after the runs: " + "; ".join(failed))
    return regie / baseline


def _check(workload: HttpWorkload, instance: Instance) -> list[str]:
    """Run and print the workload's checks; those that did not hold."""
    failed = []
    for what, held in workload.check(instance) if workload.check else ():
        print(f"check {'ok    ' if held else 'FAILED'} {what}", flush=True)
        if not held:
            failed.append(what)
    return failed


def run_batch(name: str, workload: BatchWorkload, options: Options) -> float:
    """Time both sides ``options.repeat`` times, alternating; the ratio of the best times."""
    with Instance.create(options.database) as instance:
        prepared = workload.prepare(instance)
        times: dict[str, list[float]] = {"regie": [], "baseline": []}
        for _ in range(options.repeat):
            for side in ("regie", "baseline"):
                started = time.perf_counter()
                getattr(workload, side)(instance, prepared)
                times[side].append(time.perf_counter() - started)
                print(f"{side:<9} {times[side][-1]:8.3f} s", flush=True)
    best = {side: min(values) for side, values in times.items()}
    print(f"{name} on {options.database}, best of {options.repeat}: "
          f"regie {best['regie']:.3f} s, baseline {best['baseline']:.3f} s")
    return best["baseline"] / best["regie"]


def run(name: str, workload: HttpWorkload | BatchWorkload, options: Options) -> float:
    if isinstance(workload, HttpWorkload):
        return run_http(name, workload, options)
    return run_batch(name, workload, options)
