"""Demo data of the assessment: ``seed_assessment(community)`` runs a first assessment with the
default index, a 14-day lockdown stress test and a self-evaluation, so the assessment pages and
the report have something to show at once. Idempotent: a community already assessed is left
alone. Call it last, after every other part of the demo has filled the registry."""
from __future__ import annotations

from resilience.assessment.models import AssessmentRun
from resilience.assessment.services import evaluations, runs, stress


def seed_assessment(community) -> dict[str, int]:
    """The first assessment, lockdown stress test and self-evaluation of ``community``."""
    if AssessmentRun.objects.filter(community=community).exists():
        return {}
    runs.assess([community])
    stress.run_stress_test(community, "lockdown", {"days": 14})
    evaluations.evaluate_community(community)
    return {"assessment runs": 1, "stress tests": 1, "self-evaluations": 1}
