"""Write one dataset of the data exchange to a file: ``resilience manage export_exchange
--dataset facilities --level public --out facilities.csv`` (the format follows the file name's
extension, or ``--format``). ``--describe`` prints every dataset's field table
(docs/exchange.md)."""
from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from resilience.street.exchange import export as gate
from resilience.street.exchange.datasets import DATASETS
from resilience.street.exchange.fields import LEVELS

EXTENSIONS = {".json": "json", ".csv": "csv", ".atom": "atom", ".xml": "atom"}


class Operator:
    """The operator at the command line: the whole platform, like an admin."""

    pk = None
    is_authenticated = is_active = is_superuser = True


class Command(BaseCommand):
    help = ("Export a dataset of the versioned data exchange (communities, facilities, "
            "risk_sources, shelters, alerts, rollups, rollups_grid) at level public or internal; "
            "personal fields are never written.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", help=f"one of: {', '.join(DATASETS)}")
        parser.add_argument("--level", default="public", help=f"one of: {', '.join(LEVELS)}")
        parser.add_argument("--format", dest="fmt", default=None,
                            help=f"one of: {', '.join(gate.FORMATS)} (default: from --out)")
        parser.add_argument("--out", default="-", help="file to write (- for standard output)")
        parser.add_argument("--user", default=None,
                            help="export only what this user may see (default: everything)")
        parser.add_argument("--describe", action="store_true",
                            help="print the field tables of every dataset (Markdown) and stop")

    def handle(self, *args, dataset=None, level="public", fmt=None, out="-", user=None,
               describe=False, **options):
        if describe:
            self.stdout.write(gate.describe(), ending="")
            return
        if not dataset:
            raise CommandError(f"--dataset: choose one of {', '.join(DATASETS)}")
        fmt = fmt or EXTENSIONS.get(Path(out).suffix.lower(), "json")
        who = Operator()
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"--user: no user {user!r}")
        try:
            exported = gate.export(who, dataset, level, fmt)
        except ValidationError as exc:
            raise CommandError("; ".join(f"--{k}: {' '.join(v)}"
                                         for k, v in exc.message_dict.items()))
        except PermissionDenied as exc:
            raise CommandError(f"--level: {exc}")
        if fmt == "csv":
            data = "".join(gate.csv_lines(exported)).encode("utf-8")
        elif fmt == "atom":
            data = gate.to_atom(exported, feed_url=f"urn:resilience:exchange:{dataset}")
        else:
            data = json.dumps(gate.to_json(exported), ensure_ascii=False, indent=1).encode()
        if out == "-":
            self.stdout.write(data.decode(), ending="")
            return
        Path(out).write_bytes(data)
        self.stderr.write(f"{exported.dataset.name} ({level}, {fmt}) → {out}")
