"""The data exchange's download page: every dataset with its fields and their classification,
and links to the versioned API (JSON, CSV, CAP in Atom) at the levels the user may ask for."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from resilience.street.exchange.datasets import DATASETS, VERSION
from resilience.street.exchange.export import classification_label, may_see_internal
from resilience.street.exchange.fields import INTERNAL, PUBLIC


@login_required
def exchange_page(request):
    levels = [PUBLIC, INTERNAL] if may_see_internal(request.user) else [PUBLIC]
    datasets = []
    for d in DATASETS.values():
        base = reverse("api-exchange-dataset", args=[d.name])
        formats = ["json", "csv", *(["atom"] if d.cap else [])]
        datasets.append({
            "name": d.name, "title": d.title, "description": d.description,
            "fields": [{"name": f.name, "type": f.type, "classification": f.classification,
                        "label": classification_label(f.classification),
                        "description": f.description} for f in d.fields],
            "links": [{"level": level, "format": fmt,
                       "url": f"{base}?level={level}&format={fmt}"}
                      for level in levels for fmt in formats],
        })
    return render(request, "street/exchange.html", {
        "datasets": datasets, "version": VERSION, "levels": levels,
        "index_url": reverse("api-exchange"), "title": _("Data exchange"),
    })
