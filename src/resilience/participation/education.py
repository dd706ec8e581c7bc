"""Education: who a lesson is assigned to, taking its quiz, and training coverage.

An assignment's audience is computed from the registry each time (residents, volunteers, grid
workers, building leads of its place), so coverage follows people moving in and out. A person
counts as trained for a lesson when a passed completion exists for their account or their
resident record.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import can, memberships_of
from resilience.participation.models import Lesson, LessonAssignment, LessonCompletion
from resilience.participation.vocab_learning import Audience, LessonTopic

# Building leads (楼栋长) have no role of their own: a membership title names them.
LEAD_TITLES = ("楼栋长", "building lead")


@dataclass(frozen=True)
class Person:
    """One member of an assignment's audience, by resident record and/or account."""

    resident_id: int | None
    user_id: int | None
    grid_id: int | None
    building_id: int | None


# --- quiz --------------------------------------------------------------------------------------


def score_quiz(lesson: Lesson, answers) -> tuple[int | None, bool]:
    """(score in per cent, passed). A lesson without a quiz has no score and is passed by
    reading it; otherwise ``answers`` must give one choice index per question."""
    quiz = lesson.quiz or []
    if not quiz:
        return None, True
    if not isinstance(answers, (list, tuple)) or len(answers) != len(quiz):
        raise ValidationError({"answers": _("Answer all %(n)d questions.") % {"n": len(quiz)}})
    right = 0
    for item, answer in zip(quiz, answers):
        try:
            choice = int(answer)
        except (TypeError, ValueError):
            raise ValidationError({"answers": _("Each answer must be the number of a choice.")})
        if not 0 <= choice < len(item["choices"]):
            raise ValidationError({"answers": _("An answer names a choice that does not exist.")})
        right += choice == item["answer"]
    score = round(100 * right / len(quiz))
    return score, score >= lesson.pass_mark


# --- audiences ---------------------------------------------------------------------------------


def _audience_rows(assignment: LessonAssignment):
    """(queryset, (resident, user, grid, building) value paths) of an assignment's audience."""
    from resilience.people.models import Membership, Resident, Volunteer

    community = assignment.community_id
    if assignment.audience in (Audience.ALL_RESIDENTS, Audience.VULNERABLE_HOUSEHOLDS):
        rows = Resident.objects.filter(community=community)
        if assignment.building_id:
            rows = rows.filter(household__building=assignment.building_id)
        elif assignment.grid_id:
            rows = rows.filter(household__building__grid=assignment.grid_id)
        if assignment.audience == Audience.VULNERABLE_HOUSEHOLDS:
            vulnerable = (Resident.objects.filter(community=community).exclude(tag_index="")
                          .values("household"))
            rows = rows.filter(household__in=vulnerable)
        return rows, ("pk", "user", "household__building__grid", "household__building")
    if assignment.audience == Audience.VOLUNTEERS:
        rows = Volunteer.objects.filter(community=community, active=True)
        if assignment.building_id:
            rows = rows.filter(home_building=assignment.building_id)
        elif assignment.grid_id:
            rows = rows.filter(home_building__grid=assignment.grid_id)
        return rows, ("resident", "user", "home_building__grid", "home_building")
    if assignment.audience == Audience.GRID_WORKERS:
        rows = Membership.objects.filter(role=Role.GRID_WORKER, grid__community=community)
        grid = assignment.building.grid_id if assignment.building_id else assignment.grid_id
        if grid:
            rows = rows.filter(grid=grid)
        return rows, (None, "user", "grid", None)
    titles = Q()
    for title in LEAD_TITLES:
        titles |= Q(title__icontains=title)
    rows = Membership.objects.filter(titles, community=community)
    if assignment.building_id:
        rows = rows.filter(household__building=assignment.building_id)
    elif assignment.grid_id:
        rows = rows.filter(Q(household__building__grid=assignment.grid_id)
                           | Q(grid=assignment.grid_id))
    return rows, (None, "user", "household__building__grid", "household__building")


def audience(assignment: LessonAssignment) -> list[Person]:
    """The people an assignment reaches, each once."""
    rows, paths = _audience_rows(assignment)
    fields = [p for p in paths if p]
    people, seen = [], set()
    for values in rows.values_list(*fields):
        named = dict(zip(fields, values))
        person = Person(*(named.get(p) if p else None for p in paths))
        key = ("r", person.resident_id) if person.resident_id else ("u", person.user_id)
        if key not in seen:
            seen.add(key)
            people.append(person)
    return people


def _resident_of(user):
    from resilience.people.models import Resident

    return Resident.objects.filter(user=user).select_related("household__building").first()


def _reaches(assignment: LessonAssignment, user, resident) -> bool:
    rows, (resident_path, user_path, _grid, _building) = _audience_rows(assignment)
    match = Q(**{user_path: user.pk})
    if resident is not None and resident_path:
        match |= Q(**{resident_path: resident.pk})
    return rows.filter(match).exists()


def _communities_of(user) -> set[int]:
    ids = set()
    for m in memberships_of(user):
        if m.community_id:
            ids.add(m.community_id)
        elif m.grid_id:
            ids.add(m.grid.community_id)
        elif m.household_id:
            ids.add(m.household.community_id)
    return ids


def assignments_for(user) -> list[LessonAssignment]:
    """The assignments whose audience includes ``user`` (by account or resident record)."""
    if not user.is_authenticated:
        return []
    resident = _resident_of(user)
    candidates = (LessonAssignment.objects.filter(community__in=_communities_of(user))
                  .select_related("lesson", "grid", "building").order_by("due_on", "-id"))
    return [a for a in candidates if _reaches(a, user, resident)]


def my_lessons(user) -> list[dict]:
    """The learner's page: each assigned lesson once, its earliest due date and my result."""
    lessons: dict[int, dict] = {}
    for assignment in assignments_for(user):
        entry = lessons.setdefault(assignment.lesson_id, {"lesson": assignment.lesson,
                                                          "due_on": assignment.due_on})
        if assignment.due_on and (entry["due_on"] is None or assignment.due_on < entry["due_on"]):
            entry["due_on"] = assignment.due_on
    done = {c.lesson_id: c for c in LessonCompletion.objects.filter(user=user, lesson__in=lessons)}
    for lesson_id, entry in lessons.items():
        entry["completion"] = done.get(lesson_id)
    return sorted(lessons.values(), key=lambda e: (e["completion"] is not None and
                                                   e["completion"].passed, e["lesson"].topic))


# --- completing --------------------------------------------------------------------------------


def complete_lesson(lesson: Lesson, user, answers=None) -> LessonCompletion:
    """Record that ``user`` took ``lesson`` with these quiz answers; the best score is kept.

    Refused (on ``lesson``) when the lesson is not assigned to the user; on ``answers`` when the
    answers do not fit the quiz. One row per lesson and user, even under concurrent submissions.
    """
    if not Lesson.objects.visible_to(user, "view").filter(pk=lesson.pk).exists():
        raise PermissionDenied(_("You may not see this lesson."))
    resident = _resident_of(user)
    assigned = [a for a in LessonAssignment.objects.filter(lesson=lesson,
                                                           community__in=_communities_of(user))
                if _reaches(a, user, resident)]
    if not assigned:
        raise ValidationError({"lesson": _("This lesson is not assigned to you.")})
    score, passed = score_quiz(lesson, answers)
    community = assigned[0].community_id
    grid = (resident.household.building.grid_id if resident is not None
            and resident.community_id == community else assigned[0].grid_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            completion = (LessonCompletion.objects.select_for_update()
                          .filter(lesson=lesson, user=user).order_by("pk").first())
            if completion is None:
                return LessonCompletion.objects.create(
                    lesson=lesson, user=user, resident=resident, community_id=community,
                    grid_id=grid, completed_at=now, score=score, passed=passed,
                    recorded_by=user)
            _improve(completion, score, passed, now)
            return completion
    except IntegrityError:
        # A concurrent first submission won the insert, or staff recorded this resident
        # offline: update that row instead.
        with transaction.atomic():
            completion = (LessonCompletion.objects.select_for_update()
                          .filter(Q(user=user) | Q(resident=resident) if resident else Q(user=user),
                                  lesson=lesson).order_by("pk").first())
            if completion.user_id is None:
                completion.user = user
            _improve(completion, score, passed, now)
            return completion


def _improve(completion: LessonCompletion, score: int | None, passed: bool, now) -> None:
    completion.attempts += 1
    if score is not None and (completion.score is None or score > completion.score):
        completion.score = score
    if passed and not completion.passed:
        completion.passed, completion.completed_at = True, now
    completion.save()


def record_session(lesson: Lesson, staff, residents, *, when=None) -> int:
    """Staff record that these residents passed ``lesson`` at an offline session (no quiz).

    Residents already marked passed are left alone; returns how many rows were written.
    """
    when = when or timezone.now()
    written = 0
    with transaction.atomic():
        for resident in residents:
            mine = Q(resident=resident) | (Q(user=resident.user_id) if resident.user_id else Q())
            completion = (LessonCompletion.objects.select_for_update()
                          .filter(mine, lesson=lesson).order_by("pk").first())
            if completion is not None and completion.passed:
                continue
            if completion is None:
                completion = LessonCompletion.objects.create(
                    lesson=lesson, resident=resident, user_id=resident.user_id,
                    community_id=resident.community_id,
                    grid_id=resident.household.building.grid_id, completed_at=when, passed=True,
                    recorded_by=staff)
                action = "add"
            else:
                completion.resident, completion.passed = resident, True
                completion.completed_at = when
                completion.save()
                action = "change"
            if not can(staff, action, completion):
                raise PermissionDenied(_("You may not record training outside your scope."))
            written += 1
    return written


# --- coverage ----------------------------------------------------------------------------------


def _passed_sets(lesson_ids) -> dict[int, tuple[set, set]]:
    result: dict[int, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for lesson_id, user_id, resident_id in LessonCompletion.objects.filter(
            lesson__in=lesson_ids, passed=True).values_list("lesson", "user", "resident"):
        users, residents = result[lesson_id]
        if user_id:
            users.add(user_id)
        if resident_id:
            residents.add(resident_id)
    return result


def _done(person: Person, passed: tuple[set, set]) -> bool:
    users, residents = passed
    return ((person.user_id is not None and person.user_id in users)
            or (person.resident_id is not None and person.resident_id in residents))


def _share(done: int, total: int) -> float:
    return round(100 * done / total, 1) if total else 0.0


def assignment_coverage(assignment: LessonAssignment, passed=None) -> dict:
    """Assigned people, how many passed, the percentage, and the same per grid and building."""
    passed = passed or _passed_sets([assignment.lesson_id])[assignment.lesson_id]
    people = audience(assignment)
    places: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    done = 0
    for person in people:
        hit = _done(person, passed)
        done += hit
        counts = places[(person.grid_id, person.building_id)]
        counts[0] += 1
        counts[1] += hit
    return {"assigned": len(people), "completed": done, "percent": _share(done, len(people)),
            "places": [{"grid": grid, "building": building, "assigned": n, "completed": d,
                        "percent": _share(d, n)}
                       for (grid, building), (n, d) in sorted(places.items(),
                                                               key=lambda i: (i[0][0] or 0,
                                                                              i[0][1] or 0))]}


def training_coverage(community) -> dict:
    """Training coverage of a community for the resilience assessment.

    ``assigned``/``completed`` count (lesson, person) pairs over all assignments (a person
    assigned the same lesson twice counts once); ``share`` is the percentage; ``topics`` gives the
    same per lesson topic; ``people_trained`` is how many people passed at least one lesson.
    """
    assignments = list(LessonAssignment.objects.filter(community=community)
                       .select_related("lesson"))
    passed = _passed_sets({a.lesson_id for a in assignments})
    pairs: dict[tuple, bool] = {}
    topic_of: dict[int, str] = {}
    for assignment in assignments:
        topic_of[assignment.lesson_id] = assignment.lesson.topic
        for person in audience(assignment):
            key = (assignment.lesson_id,
                   ("r", person.resident_id) if person.resident_id else ("u", person.user_id))
            pairs[key] = pairs.get(key, False) or _done(person, passed[assignment.lesson_id])
    topics: dict[str, dict] = {}
    for (lesson_id, _person), done in pairs.items():
        entry = topics.setdefault(topic_of[lesson_id], {"assigned": 0, "completed": 0})
        entry["assigned"] += 1
        entry["completed"] += done
    for entry in topics.values():
        entry["share"] = _share(entry["completed"], entry["assigned"])
    completed = sum(pairs.values())
    trained = {person for (_lesson, person), done in pairs.items() if done}
    return {
        "assignments": len(assignments),
        "assigned": len(pairs),
        "completed": completed,
        "share": _share(completed, len(pairs)),
        "people_trained": len(trained),
        "topics": {t: topics[t] for t in LessonTopic.values if t in topics},
    }
