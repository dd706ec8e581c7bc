"""Importing a file, all or nothing: every row is checked and every problem reported before anything
is written; then everything is written in one transaction."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as
from resilience.core.geo import CRS_CHOICES
from resilience.people.transfer.base import Importer, RowCheck
from resilience.people.transfer.columns import data_rows, find_header, values
from resilience.people.transfer.places import BuildingImporter, FacilityImporter
from resilience.people.transfer.readers import FileError, read_rows
from resilience.people.transfer.report import Report
from resilience.people.transfer.residents import ResidentImporter
from resilience.people.transfer.volunteers import VolunteerImporter
from resilience.places.models import Community

IMPORTERS: dict[str, type[Importer]] = {
    "residents": ResidentImporter,
    "buildings": BuildingImporter,
    "facilities": FacilityImporter,
    "volunteers": VolunteerImporter,
}
KINDS = tuple(IMPORTERS)

# progress(stage, done, total): stage is "checking" (row by row) or "writing".
Progress = Callable[[str, int, int], None]


def import_file(kind: str, data: bytes, community: Community, user=None, crs: str = "wgs84",
                dry_run: bool = False, file_name: str = "", progress: Progress | None = None) -> Report:
    """Import ``data`` (CSV or XLSX bytes) as ``kind`` records of ``community``.

    ``user`` None acts with full access (an operator); otherwise rows may only go where the user
    may add them. Returns the report; nothing is written unless ``report.ok`` (and not
    ``dry_run``).
    """
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    report = Report(kind=kind, file_name=file_name, dry_run=dry_run)
    if crs not in CRS_CHOICES:
        report.add(None, "", crs, _("Unknown coordinate system: use one of %(crs)s.")
                   % {"crs": ", ".join(CRS_CHOICES)})
        return report
    importer = IMPORTERS[kind](community, user, crs, report)
    if user is not None and not Community.objects.visible_to(user, "view").filter(pk=community.pk).exists():
        report.add(None, "", community.code, _("No community with this code that you may see."))
        return report
    if not importer.may_import():
        report.add(None, "", community.name, _("You may not import %(kind)s into this community.")
                   % {"kind": kind_label(kind)})
        return report
    try:
        rows = read_rows(data, file_name)
    except FileError as exc:
        report.add(None, "", "", str(exc))
        return report
    header = find_header(rows, importer.columns, report)
    if header is None:
        return report
    report.ignored_columns = header.ignored
    body = data_rows(rows, header)
    report.rows = len(body)
    if not body:
        report.add(None, "", "", _("The file has a header row but no data rows."))
        return report
    importer.prepare()
    for done, (number, cells) in enumerate(body, start=1):
        importer.check(RowCheck(number, values(cells, header), header, importer.by_key, report))
        if progress:
            progress("checking", done, len(body))
    if report.problems or dry_run:
        return report
    if progress:
        progress("writing", 0, len(body))
    try:
        with acting_as(user, "import"), transaction.atomic():
            report.created = importer.write()
    except DatabaseError as exc:
        # Someone may have added the same record meanwhile; the transaction rolled everything back.
        report.created = {}
        report.add(None, "", "", _("The database refused the import, so nothing was written: "
                                   "%(error)s") % {"error": exc})
        return report
    report.imported = report.created.get(kind, 0)
    if progress:
        progress("writing", len(body), len(body))
    return report


def importable_communities(user, kind: str | None = None):
    """The communities ``user`` may import ``kind`` (any kind if None) into, among those they see."""
    if user is None:
        return Community.objects.all()
    allowed = Q()
    for name in [kind] if kind else KINDS:
        allowed |= Q(pk__in=IMPORTERS[name].communities(user).values("pk"))
    return Community.objects.visible_to(user, "view").filter(allowed)


def kind_label(kind: str) -> str:
    labels = {"residents": _("residents"), "buildings": _("buildings"),
              "facilities": _("facilities"), "volunteers": _("volunteers")}
    return labels.get(kind, kind)


def _progress_bar() -> Progress:
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="row", file=sys.stderr, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def run_import(kind: str, path: Path, community_code: str, crs: str = "wgs84",
               username: str | None = None, dry_run: bool = False, progress: bool = False) -> Report:
    """The ``resilience import`` command: a file on disk, a community by code, a user by name."""
    report = Report(kind=kind, file_name=str(path), dry_run=dry_run)
    community = Community.objects.filter(code=community_code).first()
    if community is None:
        report.add(None, "", community_code, _("No community with this code."))
        return report
    user = None
    if username:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            report.add(None, "", username, _("No active user with this name."))
            return report
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        report.add(None, "", "", _("The file cannot be read: %(error)s") % {"error": exc.strerror or exc})
        return report
    return import_file(kind, data, community, user=user, crs=crs, dry_run=dry_run,
                       file_name=Path(path).name, progress=_progress_bar() if progress else None)
