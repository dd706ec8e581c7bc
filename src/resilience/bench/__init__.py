"""Benchmarks run by ``resilience bench <name>`` (DESIGN §6): measured on this machine, printed
as a table and written as JSON; never timed assertions in tests."""
from __future__ import annotations


# name → module under resilience.bench with a ``run(args) -> int``; the CLI offers these names.
BENCHMARKS = ("ingest", "alerts", "response", "predict", "relief", "assess", "street", "load",
              "faults")


def run_benchmark(args) -> int:
    """Entry point of ``resilience bench``."""
    if args.name not in BENCHMARKS:
        raise SystemExit(f"unknown benchmark {args.name!r}")
    from importlib import import_module

    return import_module(f"resilience.bench.{args.name}").run(args)
