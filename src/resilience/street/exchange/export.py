"""The export gate: a dataset at a level, as JSON, CSV or (alerts) CAP 1.2 in Atom.

``export(user, dataset, level)`` is the only way rows leave through the exchange. It keeps the
fields the level allows (``public`` → public fields; ``internal`` → public and internal, and only
for users who may see internal data) and never a personal field; a row that carries a key its
dataset did not declare stops the export (fail closed) instead of leaking it.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from lxml.builder import ElementMaker

from resilience.core.roles import Role
from resilience.core.scope import memberships_of
from resilience.street.exchange.datasets import DATASETS, VERSION, Dataset, as_text
from resilience.street.exchange.fields import (CLASSIFICATION_LABELS, INTERNAL, LEVELS,
                                               PERSONAL, PUBLIC, Field, allowed)

FORMATS = ("json", "csv", "atom")
INTERNAL_ROLES = (Role.ADMIN, Role.OFFICE, Role.STAFF)


def may_see_internal(user) -> bool:
    """Office, staff and admins may ask for internal fields; everyone else gets public ones."""
    return bool(user and user.is_authenticated and (
        user.is_superuser or any(m.role in INTERNAL_ROLES for m in memberships_of(user))))


def check(dataset: str, level: str, fmt: str = "json") -> Dataset:
    """The dataset asked for, or a ValidationError naming the parameter that is wrong."""
    if dataset not in DATASETS:
        raise ValidationError({"dataset": _("Unknown dataset %(name)s; choose one of %(names)s.")
                               % {"name": repr(dataset), "names": ", ".join(DATASETS)}})
    if level not in LEVELS:
        raise ValidationError({"level": _("Unknown level %(name)s; choose public or internal "
                                          "(personal data is never exported).")
                               % {"name": repr(level)}})
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Unknown format %(name)s; choose one of %(names)s.")
                               % {"name": repr(fmt), "names": ", ".join(FORMATS)}})
    chosen = DATASETS[dataset]
    if fmt == "atom" and not chosen.cap:
        raise ValidationError({"format": _("Only the alerts dataset is offered as CAP in "
                                           "Atom.")})
    return chosen


@dataclass
class Export:
    dataset: Dataset
    level: str
    fields: list[Field]
    user: object

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def rows(self) -> Iterator[dict]:
        """The rows with the allowed fields only, in declaration order."""
        declared = set(self.dataset.field_names)
        names = self.names
        for row in self.dataset.rows(self.user, self.level):
            extra = set(row) - declared
            if extra:
                raise RuntimeError(f"dataset {self.dataset.name} produced undeclared fields "
                                   f"{sorted(extra)}: declare them with a classification")
            yield {name: row.get(name) for name in names}


def export(user, dataset: str, level: str = PUBLIC, fmt: str = "json") -> Export:
    """Prepare ``dataset`` at ``level`` for ``user`` (ValidationError / PermissionDenied)."""
    chosen = check(dataset, level, fmt)
    if level == INTERNAL and not may_see_internal(user):
        raise PermissionDenied(_("Internal data is for the street office and community staff; "
                                 "ask for level=public."))
    fields = allowed(chosen.fields, level)
    if any(f.classification == PERSONAL for f in fields):  # allowed() never passes one
        raise RuntimeError(f"{dataset}: a personal field reached the export")  # a code defect
    return Export(chosen, level, fields, user)


def field_list(fields) -> list[dict]:
    return [{"name": f.name, "type": f.type, "classification": f.classification,
             "description": f.description} for f in fields]


def to_json(exported: Export) -> dict:
    """The JSON payload: version, dataset, level, time, fields, count and results."""
    results = [{k: as_text(v) for k, v in row.items()} for row in exported.rows()]
    return {"version": VERSION, "dataset": exported.dataset.name, "level": exported.level,
            "generated_at": timezone.now().isoformat(), "fields": field_list(exported.fields),
            "count": len(results), "results": results}


def _cell(value) -> str:
    value = as_text(value)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(exported: Export) -> Iterator[str]:
    """CSV text, one line at a time (streamed): a header of field names, then the rows.
    UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(exported.names)
    yield "\ufeff" + flush()
    for row in exported.rows():
        writer.writerow([_cell(row[name]) for name in exported.names])
        yield flush()


def filename(exported: Export, extension: str) -> str:
    return f"{exported.dataset.name}-{VERSION}-{exported.level}.{extension}"


def to_atom(exported: Export, *, feed_url: str, cap_url=None) -> bytes:
    """Alerts as an Atom 1.0 feed, each entry carrying its CAP 1.2 document inline (and a link
    to the public CAP URL when the alert is public)."""
    from resilience.alerts.cap import ATOM_NS
    from resilience.alerts.cap.feed import cap_summary, entry_id
    from resilience.alerts.cap.write import alert_to_cap, cap_time, sent_time, xml_text
    from resilience.street.exchange.datasets import alerts_for

    A = ElementMaker(namespace=ATOM_NS, nsmap={None: ATOM_NS})
    alerts = list(alerts_for(exported.user, exported.level)
                  .prefetch_related("area_grids", "area_buildings"))
    updated = max((sent_time(a) for a in alerts), default=timezone.now())
    feed = A.feed(
        A.id(feed_url),
        A.title(_("Resilient Community data exchange %(version)s: warnings (%(level)s)")
                % {"version": VERSION, "level": exported.level}),
        A.updated(cap_time(updated)),
        A.link(rel="self", type="application/atom+xml", href=feed_url),
        A.author(A.name(_("Resilient Community"))),
        A.generator("resilience exchange", version=VERSION),
    )
    for alert in alerts:
        public_url = cap_url(alert) if (cap_url and alert.public) else None
        url = public_url or f"urn:resilience:alert:{alert.identifier}"
        sent = cap_time(sent_time(alert))
        entry = A.entry(A.id(entry_id(alert, url)), A.title(xml_text(alert.headline)),
                        A.updated(sent), A.published(sent),
                        A.author(A.name(xml_text(alert.community.name))),
                        A.summary(xml_text(cap_summary(alert))))
        if public_url:
            entry.append(A.link(rel="alternate", type="application/cap+xml", href=public_url))
        content = A.content(type="application/cap+xml")
        content.append(etree.fromstring(alert_to_cap(alert)))
        entry.append(content)
        feed.append(entry)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def describe() -> str:
    """The Markdown tables of every dataset's fields, as ``docs/exchange.md`` carries them."""
    lines = []
    for dataset in DATASETS.values():
        lines += [f"### `{dataset.name}`", "", dataset.description, "",
                  "| field | type | classification | meaning |", "| --- | --- | --- | --- |"]
        for f in dataset.fields:
            meaning = f.description.replace("|", "\\|")
            lines.append(f"| `{f.name}` | {f.type} | {f.classification} | {meaning} |")
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def classification_label(value: str) -> str:
    return str(CLASSIFICATION_LABELS.get(value, value))
