"""The demo's assessment: a first run, a lockdown stress test and a self-evaluation, once."""
import pytest

from resilience.assessment.demo import seed_assessment
from resilience.assessment.models import AssessmentRun, SelfEvaluation, StressTest


@pytest.mark.django_db
def test_seed_assessment_runs_once(world):
    made = seed_assessment(world.community_a)
    assert made == {"assessment runs": 1, "stress tests": 1, "self-evaluations": 1}
    assert AssessmentRun.objects.filter(community=world.community_a).count() == 1
    assert StressTest.objects.get(community=world.community_a).kind == "lockdown"
    assert SelfEvaluation.objects.filter(community=world.community_a).exists()
    assert seed_assessment(world.community_a) == {}
