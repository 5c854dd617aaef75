"""``python -m benchmarks NAME``: run one workload against its baseline and print the ratio.

The last line is ``ratio: X``: Régie's throughput ÷ the baseline's for HTTP workloads, the
baseline's time ÷ Régie's for batch workloads; higher is better either way.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import workloads
from benchmarks.runner import Options, run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help=f"workload: {', '.join(workloads.names())}")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default=defaults.database)
    parser.add_argument("--duration", type=float, default=defaults.duration,
                        help="seconds measured per run (HTTP workloads)")
    parser.add_argument("--warmup", type=float, default=defaults.warmup,
                        help="seconds of load before measuring (HTTP workloads)")
    parser.add_argument("--concurrency", type=int,
                        help="connections kept open by the load generator (default: the "
                             f"workload's, else {defaults.concurrency})")
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help="gunicorn worker processes, for Régie and the baseline")
    parser.add_argument("--threads", type=int, default=defaults.threads,
                        help="threads per gunicorn worker, for Régie and the baseline")
    parser.add_argument("--repeat", type=int, default=defaults.repeat,
                        help="runs of each side, alternating; the median (HTTP) or best "
                             "(batch) counts")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        workload = workloads.load(args.name)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    concurrency = (args.concurrency or getattr(workload, "concurrency", None)
                   or Options.concurrency)
    options = Options(database=args.database, duration=args.duration, warmup=args.warmup,
                      concurrency=concurrency, workers=args.workers, threads=args.threads,
                      repeat=args.repeat)
    print(f"{args.name}: {workload.description}", flush=True)
    ratio = run(args.name, workload, options)
    print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
