"""``resilience index svi`` (the CDC SVI from raw ACS inputs, optionally checked against a
published table) and ``resilience index percentile`` (a percentile-rank composite of any table).

Neither needs a database: they read CSV files and write one.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``index`` subcommand's own subcommands (``svi``)."""
    kinds = parser.add_subparsers(dest="index", required=True, metavar="INDEX")
    p = kinds.add_parser("svi", help="CDC/ATSDR Social Vulnerability Index from ACS inputs",
                         description="Compute E_, EP_, EPL_, SPL_, RPL_ and F_ columns from CDC's "
                         "ACS input table and variable-formulas table; with --compare, check "
                         "every shared column against a published table (exit status 1 on any "
                         "difference).")
    p.add_argument("--input", required=True, metavar="ACS.csv", help="ACS input table")
    p.add_argument("--formulas", required=True, metavar="FORMULAS.csv",
                   help="variable-formulas table (name, theme, calculation)")
    p.add_argument("--out", required=True, metavar="OUT.csv", help="where to write the index")
    p.add_argument("--reverse", action="append", default=[], metavar="VARIABLE",
                   help="a ranked variable where higher means less vulnerable (e.g. E_PCI in "
                   "editions before 2020); may be repeated")
    p.add_argument("--rounding", choices=["half_up", "half_even"], default="half_up",
                   help="how EP_, EPL_, SPL_ and RPL_ values are rounded (default half_up)")
    p.add_argument("--compare", metavar="PUBLISHED.csv",
                   help="a published table to compare with, cell by cell")
    p.set_defaults(index_func=run)

    p = kinds.add_parser("percentile", help="percentile-rank composite of any units × variables "
                         "table", description="Rank every variable across the units, sum the "
                         "ranks per theme and overall, rank the sums and flag high ranks (the "
                         "CDC SVI method over any table).")
    p.add_argument("--input", required=True, metavar="TABLE.csv",
                   help="one row per unit, one column per variable")
    p.add_argument("--themes", required=True, metavar="THEMES.csv",
                   help="columns variable, theme[, direction: higher|lower]")
    p.add_argument("--out", required=True, metavar="OUT.csv", help="where to write the ranks")
    p.add_argument("--id", action="append", default=[], metavar="COLUMN",
                   help="identifying column copied to the output (repeatable; default the "
                   "first column)")
    p.add_argument("--missing", type=float, default=-999, help="missing-value marker (-999)")
    p.add_argument("--decimals", type=int, default=4, help="rounding of ranks and sums (4)")
    p.add_argument("--flag", type=float, default=0.90, help="flag threshold (0.90)")
    p.set_defaults(index_func=run_percentile)


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen ``resilience index`` subcommand."""
    return args.index_func(args)


def run(args: argparse.Namespace) -> int:
    """Run ``resilience index svi``; print a summary and, with --compare, the differences."""
    from resilience.assessment.methods import svi

    try:
        variables = svi.read_formulas(args.formulas)
        acs = svi.read_acs(args.input)
        table = svi.compute_svi(acs, variables, reverse=args.reverse, rounding=args.rounding)
    except (OSError, svi.SviInputError) as exc:
        print(f"resilience index svi: {exc}", file=sys.stderr)
        return 2
    table.write_csv(args.out)
    ranked = int((table.result.total_rank == table.result.total_rank).sum())
    print(f"Wrote {len(table.rows)} units ({ranked} ranked) × {len(table.columns)} columns "
          f"to {args.out}.")
    if not args.compare:
        return 0
    try:
        columns, differences = svi.compare(table, args.compare)
    except (OSError, KeyError) as exc:
        print(f"resilience index svi: cannot read {args.compare}: {exc}", file=sys.stderr)
        return 2
    cells = len(columns) * len(table.rows)
    print(f"Compared {len(columns)} columns × {len(table.rows)} units = {cells} cells with "
          f"{args.compare}: {len(differences)} differ.")
    for column, count in Counter(d.column for d in differences).most_common():
        print(f"  {column}: {count}")
    for d in differences[:20]:
        print(f"  {d.unit} {d.column}: computed {d.computed}, published {d.published}")
    return 1 if differences else 0


def run_percentile(args: argparse.Namespace) -> int:
    """Run ``resilience index percentile``: ranks, theme sums and ranks, flags per unit."""
    import csv
    import math

    from resilience.assessment.methods.percentile import PercentileMethod, percentile_composite
    from resilience.assessment.methods.svi import read_acs

    try:
        method = PercentileMethod.from_csv(args.themes, decimals=args.decimals,
                                           flag_threshold=args.flag)
        ids = args.id
        if not ids:
            with open(args.input, newline="", encoding="utf-8-sig") as handle:
                ids = next(csv.reader(handle))[:1]
        table = read_acs(args.input, id_columns=ids)
        result = percentile_composite(table.columns, method, missing=args.missing)
    except (OSError, ValueError, StopIteration) as exc:
        message = exc if not isinstance(exc, StopIteration) else f"{args.input} is empty"
        print(f"resilience index percentile: {message}", file=sys.stderr)
        return 2
    rows = []
    for i in range(len(result)):
        row = {name: table.ids[name][i] for name in table.ids}
        for key, value in result.row(i).items():
            row[key] = -999 if value is None or (isinstance(value, float) and math.isnan(value)) \
                else value
        rows.append(row)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {len(rows)} units × {len(rows[0])} columns to {args.out}.")
    return 0
