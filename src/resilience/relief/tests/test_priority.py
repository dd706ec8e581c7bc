"""The priority function: bounded, monotone in urgency, vulnerability, waiting and medicine left,
and explained part by part."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from resilience.people.vocab import Vulnerability
from resilience.relief import priority
from resilience.relief.priority import Inputs
from resilience.relief.vocab import NeedKind, Urgency, VisitReason

kinds = st.sampled_from(NeedKind.values)
reasons = st.sampled_from(VisitReason.values)
urgencies = st.sampled_from(Urgency.values)
tag_sets = st.frozensets(st.sampled_from(Vulnerability.values))
hours = st.floats(min_value=0, max_value=2000, allow_nan=False)
days = st.one_of(st.none(), st.floats(min_value=0, max_value=120, allow_nan=False))


@st.composite
def inputs(draw) -> Inputs:
    kind = draw(kinds)
    return Inputs(kind=kind, urgency=draw(urgencies),
                  visit_reason=draw(reasons) if kind == NeedKind.MEDICAL_VISIT else "",
                  tags=draw(tag_sets), waited_hours=draw(hours), overdue_hours=draw(hours),
                  days_left=draw(days), similar=draw(st.integers(0, 500)))


@given(inputs(), urgencies)
def test_more_urgent_never_ranks_lower(base, other):
    low, high = sorted((base.urgency, other))
    assert priority.score(replace(base, urgency=high)) >= priority.score(replace(base, urgency=low))


@given(inputs(), tag_sets)
def test_more_vulnerable_never_ranks_lower(base, extra):
    assert priority.score(replace(base, tags=base.tags | extra)) >= priority.score(base)


@given(inputs(), hours, hours)
def test_longer_wait_never_ranks_lower(base, more, more_overdue):
    longer = replace(base, waited_hours=base.waited_hours + more,
                     overdue_hours=base.overdue_hours + more_overdue)
    assert priority.score(longer) >= priority.score(base)


@given(inputs(), st.floats(min_value=0, max_value=50, allow_nan=False))
def test_less_medicine_left_never_ranks_lower(base, fewer):
    if base.days_left is None:
        return
    sooner = replace(base, days_left=max(0.0, base.days_left - fewer))
    assert priority.score(sooner) >= priority.score(base)


@given(inputs(), st.integers(0, 100))
def test_more_similar_in_building_never_ranks_lower(base, more):
    assert priority.score(replace(base, similar=base.similar + more)) >= priority.score(base)


@given(inputs())
def test_score_is_bounded_and_is_the_sum_of_its_parts(value):
    score = priority.score(value)
    assert 0 <= score <= priority.MAX_SCORE
    assert abs(score - sum(p["points"] for p in priority.parts(value))) < 0.11


def test_emergency_visit_outranks_dialysis_which_outranks_chemotherapy_and_pregnancy():
    def visit(reason):
        return priority.score(Inputs(kind=NeedKind.MEDICAL_VISIT, visit_reason=reason,
                                     urgency=Urgency.HIGH))
    assert (visit(VisitReason.EMERGENCY) > visit(VisitReason.DIALYSIS)
            > visit(VisitReason.CHEMOTHERAPY) > visit(VisitReason.PREGNANCY))


def test_critical_beats_a_long_normal_wait():
    critical = Inputs(kind=NeedKind.FOOD, urgency=Urgency.CRITICAL)
    waited = Inputs(kind=NeedKind.FOOD, urgency=Urgency.NORMAL, waited_hours=20)
    assert priority.score(critical) > priority.score(waited)


def test_waiting_past_the_target_climbs_faster_than_waiting():
    base = Inputs(kind=NeedKind.FOOD, waited_hours=10)
    assert (priority.score(replace(base, overdue_hours=2)) - priority.score(base)
            > priority.score(replace(base, waited_hours=12)) - priority.score(base))


def test_explain_names_each_part_with_its_points():
    value = Inputs(kind=NeedKind.MEDICAL_VISIT, visit_reason=VisitReason.DIALYSIS,
                   urgency=Urgency.HIGH, tags=frozenset({"dialysis"}), waited_hours=6.2,
                   similar=4)
    text = priority.explain(priority.reasons(value, "Building 3"))
    assert "dialysis visit (+40)" in text
    assert "resident: dialysis (+15)" in text
    assert "waiting 6 h (+6)" in text
    assert "4 similar in Building 3 (+4)" in text
    assert priority.explain({}) == ""


def test_health_conditions_are_summed_for_readers_without_health_access():
    value = Inputs(kind=NeedKind.FOOD, tags=frozenset({"dialysis", "oxygen", "elderly_alone"}))
    text = priority.explain(priority.reasons(value), health=False)
    assert "dialysis" not in text and "oxygen" not in text
    assert "resident: health need (+30)" in text
    assert "resident: elderly living alone (+10)" in text
