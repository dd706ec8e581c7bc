"""Stress tests: what a scenario would ask of a community, computed from the registry.

``run(community, kind, params)`` checks the parameters and returns a JSON-safe dict with the
same top-level keys for every scenario, so results can be stored (``StressTest.result``) and
compared (``compare``) after the community improves::

    {"people_affected", "vulnerable_needing_help", "helpers_available", "helpers_needed",
     "helpers_short", "shelter_places_needed", "shelter_places_available",
     "shelter_places_short", "supplies": [{"category", "needed", "available", "short", "unit",
     "days"}], "days_of_autonomy", "evacuation_minutes", "details": {...}, "assumptions": [...]}

A key that does not apply to a scenario is None (``supplies`` an empty list). Counts only:
no result names a resident or holds medical detail. These are pure services — the caller checks
that the user may see the community (``StressTest.objects.visible_to``) before it runs one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import ModuleType

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.assessment.stress import common, earthquake, fire, garage_flood, lockdown, power_cut
from resilience.assessment.vocab import StressKind


@dataclass(frozen=True)
class Scenario:
    """One scenario: its kind, label, parameters (``common.Param``) and module."""

    kind: str
    module: ModuleType

    @property
    def label(self) -> str:
        return str(StressKind(self.kind).label)

    @property
    def parameters(self) -> tuple[common.Param, ...]:
        return self.module.PARAMETERS

    def clean(self, community, params: dict | None) -> dict:
        cleaned = common.clean_params(community, self.parameters, params)
        module_clean = getattr(self.module, "clean", None)
        return module_clean(community, cleaned) if module_clean else cleaned


SCENARIOS: dict[str, Scenario] = {
    m.KIND: Scenario(m.KIND, m) for m in (lockdown, power_cut, garage_flood, fire, earthquake)
}

# Keys that compare: lower is better for these, higher for the others.
LOWER_BETTER = ("people_affected", "vulnerable_needing_help", "helpers_needed", "helpers_short",
                "shelter_places_needed", "shelter_places_short", "evacuation_minutes")
HIGHER_BETTER = ("helpers_available", "shelter_places_available", "days_of_autonomy")
COMPARED = ("people_affected", "vulnerable_needing_help", "helpers_available", "helpers_needed",
            "helpers_short", "shelter_places_needed", "shelter_places_available",
            "shelter_places_short", "days_of_autonomy", "evacuation_minutes")


def scenario(kind: str) -> Scenario:
    """The scenario of ``kind``, or ``ValidationError({"kind": …})``."""
    if kind not in SCENARIOS:
        raise ValidationError({"kind": _("Unknown scenario “%(kind)s”; choose one of %(kinds)s.")
                               % {"kind": kind, "kinds": ", ".join(SCENARIOS)}})
    return SCENARIOS[kind]


def clean_params(community, kind: str, params: dict | None) -> dict:
    """The parameters of ``kind`` checked and completed with defaults (JSON-safe), or
    ``ValidationError({param: reason})`` naming every bad one."""
    return scenario(kind).clean(community, params)


def run(community, kind: str, params: dict | None, *, at: dt.datetime | None = None) -> dict:
    """Run one scenario for ``community`` as the registry stands (at ``at``, default now: the
    day stock expiry and medication supply are counted from). Returns the result dict above;
    ``details["parameters"]`` holds the cleaned parameters."""
    chosen = scenario(kind)
    cleaned = chosen.clean(community, params)
    at = moment(at)
    result = chosen.module.compute(community, cleaned, at)
    result["details"] = {"parameters": cleaned, **result["details"]}
    return result


def moment(at: dt.datetime | None) -> dt.datetime:
    """``at`` (now when None) as an aware local time; a naive time is taken as local."""
    at = at or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return timezone.localtime(at)


def compare(before: dict, after: dict) -> list[dict]:
    """What changed between two results of the same scenario: ``[{"key", "before", "after",
    "better"}]`` for each top-level figure known in either, then ``supplies.<category>.short``
    for each supply category. ``better`` is True only for a strict improvement of two known
    figures."""
    rows = []
    for key in COMPARED:
        old, new = before.get(key), after.get(key)
        if old is None and new is None:
            continue
        rows.append({"key": key, "before": old, "after": new,
                     "better": _better(old, new, higher=key in HIGHER_BETTER)})
    old_rows = {r["category"]: r for r in before.get("supplies") or []}
    new_rows = {r["category"]: r for r in after.get("supplies") or []}
    for category in sorted(set(old_rows) | set(new_rows)):
        old = old_rows.get(category, {}).get("short")
        new = new_rows.get(category, {}).get("short")
        rows.append({"key": f"supplies.{category}.short", "before": old, "after": new,
                     "better": _better(old, new, higher=False)})
    return rows


def _better(old, new, *, higher: bool) -> bool:
    if old is None or new is None:
        return False  # not comparable (e.g. no shelter was reachable, so no walking time)
    return new > old if higher else new < old


__all__ = ["SCENARIOS", "Scenario", "clean_params", "compare", "run", "scenario"]
