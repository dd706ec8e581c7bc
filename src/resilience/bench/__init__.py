"""Benchmarks run by ``resilience bench <name>`` (DESIGN §6): measured on this machine, printed
as a table and written as JSON; never timed assertions in tests."""
from __future__ import annotations


def run_benchmark(args) -> int:
    """Entry point of ``resilience bench``."""
    if args.name == "ingest":
        from resilience.bench.ingest import run

        return run(args)
    if args.name == "alerts":
        from resilience.bench.alerts import run

        return run(args)
    if args.name == "response":
        from resilience.bench.response import run

        return run(args)
    if args.name == "predict":
        from resilience.bench.predict import run

        return run(args)
    if args.name == "relief":
        from resilience.bench.relief import run

        return run(args)
    raise SystemExit(f"unknown benchmark {args.name!r}")
