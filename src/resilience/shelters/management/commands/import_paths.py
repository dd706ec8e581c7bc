"""Import a community's walking paths from a GeoJSON file of LineStrings."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from resilience.places.models import Community
from resilience.shelters import evacuation, graph


class Command(BaseCommand):
    help = ("Import walking paths (GeoJSON LineStrings or MultiLineStrings, WGS-84) for a "
            "community; line ends closer than about a metre become one node. Replaces the "
            "community's earlier imported paths, all or nothing, then plans the evacuation again.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="A GeoJSON file (FeatureCollection, Feature or geometry).")
        parser.add_argument("--community", required=True, help="The community's code.")
        parser.add_argument("--keep-generated", action="store_true",
                            help="Keep the paths generated from the layout beside the imported ones.")

    def handle(self, *args, file, community, keep_generated=False, **options):
        place = Community.objects.filter(code=community).first()
        if place is None:
            raise CommandError(f"No community with code {community!r}.")
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        try:
            segments = graph.segments_from_geojson(text)
        except graph.PathImportError as exc:
            raise CommandError(str(exc)) from None
        count = graph.import_segments(place, segments, keep_generated=keep_generated)
        stored = evacuation.recompute(place)
        self.stdout.write(self.style.SUCCESS(
            f"{count} path segment(s) imported for {place.code}; "
            f"{stored.result['placed']} of {stored.result['people']} people have a shelter place."))
