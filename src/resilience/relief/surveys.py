"""Needs surveys: open a survey to its area, take one response per household (from the resident,
or entered from paper by a grid worker or staff), and turn the answers into results per building
and grid and a ranked list of needs."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.scope import can_any
from resilience.people.models import Household
from resilience.relief.models import Survey, SurveyQuestion, SurveyResponse
from resilience.relief.purchases import households_of
from resilience.relief.vocab import NeedKind, QuestionKind, SurveyStatus


def households_in_scope(survey: Survey):
    """The households the survey is sent to: its building, else its grid, else the community."""
    queryset = Household.objects.filter(community_id=survey.community_id)
    if survey.building_id:
        return queryset.filter(building_id=survey.building_id)
    if survey.grid_id:
        return queryset.filter(building__grid_id=survey.grid_id)
    return queryset


def is_open(survey: Survey, now=None) -> bool:
    now = now or timezone.now()
    return survey.status == SurveyStatus.OPEN and (survey.closes_at is None
                                                   or now < survey.closes_at)


def open_survey(survey: Survey, by=None) -> Survey:
    """Send the survey: residents of its area see it on the portal from now on."""
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft survey can be opened.")})
    if not survey.questions.exists():
        raise ValidationError({"status": _("Add at least one question first.")})
    if survey.closes_at is not None and survey.closes_at <= timezone.now():
        raise ValidationError({"closes_at": _("The closing time has passed already.")})
    survey.status = SurveyStatus.OPEN
    survey.opened_at = timezone.now()
    survey.save(update_fields=["status", "opened_at", "updated"])
    return survey


def close_survey(survey: Survey, by=None) -> Survey:
    """Stop taking answers; results stay."""
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError({"status": _("Only an open survey can be closed.")})
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated"])
    return survey


def open_for(user, now=None):
    """Open surveys ``user`` is asked to answer: those whose area holds one of their households."""
    households = households_of(user)
    if not households:
        return Survey.objects.none()
    now = now or timezone.now()
    area = Q()
    for household in households:
        area |= (Q(community_id=household.community_id, grid__isnull=True, building__isnull=True)
                 | Q(grid_id=household.building.grid_id, building__isnull=True)
                 | Q(building_id=household.building_id))
    return (Survey.objects.filter(area, status=SurveyStatus.OPEN)
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now)).order_by("-opened_at"))


def _number(value) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value).strip())
    if not number.is_finite():
        raise InvalidOperation
    return number


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def clean_answers(survey: Survey, answers: dict) -> dict[str, object]:
    """The answers checked question by question; a ``ValidationError`` keyed by question id
    (as a string) says what is wrong with each bad answer."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Give the answers as question → answer.")})
    questions = {str(q.pk): q for q in survey.questions.all()}
    unknown = set(map(str, answers)) - set(questions)
    errors: dict[str, str] = {}
    if unknown:
        errors["answers"] = _("Not questions of this survey: %(ids)s.") % {
            "ids": ", ".join(sorted(unknown))}
    clean: dict[str, object] = {}
    given = {str(k): v for k, v in answers.items()}
    for key, question in questions.items():
        value = given.get(key)
        empty = value is None or value == "" or value == []
        if empty:
            if question.required:
                errors[key] = _("An answer is required.")
            continue
        if question.kind == QuestionKind.CHOICE:
            if not isinstance(value, str) or value not in question.choices:
                errors[key] = _("Choose one of: %(choices)s.") % {
                    "choices": ", ".join(question.choices)}
                continue
            clean[key] = value
        elif question.kind == QuestionKind.MULTI:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors[key] = _("Give a list of choices.")
                continue
            wrong = [v for v in values if v not in question.choices]
            if wrong:
                errors[key] = _("Not among the choices: %(wrong)s.") % {"wrong": ", ".join(wrong)}
                continue
            clean[key] = [c for c in question.choices if c in values]
        elif question.kind == QuestionKind.NUMBER:
            try:
                number = _number(value)
            except (InvalidOperation, ValueError, TypeError):
                errors[key] = _("Enter a number.")
                continue
            if question.min_value is not None and number < question.min_value:
                errors[key] = _("It must be at least %(min)s.") % {
                    "min": _plain(question.min_value)}
                continue
            if question.max_value is not None and number > question.max_value:
                errors[key] = _("It must be at most %(max)s.") % {"max": _plain(question.max_value)}
                continue
            clean[key] = float(number) if number != number.to_integral() else int(number)
        else:
            text = str(value).strip()
            if len(text) > 2000:
                errors[key] = _("At most 2000 characters.")
                continue
            if text:
                clean[key] = text
            elif question.required:
                errors[key] = _("An answer is required.")
    if errors:
        raise ValidationError(errors)
    return clean


def may_answer_for(user, household: Household) -> bool:
    """Residents answer for their own household; grid workers and staff for households they see
    (entering a paper form)."""
    return (can_any(user, "add", SurveyResponse)
            and Household.objects.visible_to(user, "view").filter(pk=household.pk).exists())


def respond(survey: Survey, household: Household, answers: dict, *, by=None,
            on_paper: bool = False, now=None) -> SurveyResponse:
    """Record (or replace) ``household``'s answers. Refused when the survey is not open, the
    household is outside its area, ``by`` may not answer for it, or an answer is invalid;
    nothing is written then."""
    if not is_open(survey, now):
        raise ValidationError({"survey": _("This survey is not taking answers.")})
    if not households_in_scope(survey).filter(pk=household.pk).exists():
        raise ValidationError({"household": _("This household is not in the survey's area.")})
    if by is not None and not may_answer_for(by, household):
        raise PermissionDenied(_("You may not answer for this household."))
    clean = clean_answers(survey, answers)
    fields = {"community_id": survey.community_id, "building_id": household.building_id,
              "answers": clean, "on_paper": on_paper,
              "entered_by": by if by is not None and by.pk else None}
    with transaction.atomic():
        existing = (SurveyResponse.objects.select_for_update()
                    .filter(survey=survey, household=household).first())
        if existing is None:
            try:
                with transaction.atomic():
                    return SurveyResponse.objects.create(survey=survey, household=household,
                                                         **fields)
            except IntegrityError:  # a second submission of the same household got there first
                existing = SurveyResponse.objects.select_for_update().get(survey=survey,
                                                                          household=household)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        return existing


def add_question(survey: Survey, **fields) -> SurveyQuestion:
    """Append a question to a draft survey (checked by the question's ``clean()``)."""
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError({"survey": _("Questions can only be added to a draft survey.")})
    fields.setdefault("order", survey.questions.count() + 1)
    question = SurveyQuestion(survey=survey, **fields)
    question.full_clean(exclude=["survey"])
    question.save()
    return question


def _needs_of(question: SurveyQuestion, value) -> list[tuple[str, bool]]:
    """(need kind, urgent) pairs an answer reveals."""
    found = []
    if question.kind in (QuestionKind.CHOICE, QuestionKind.MULTI):
        for choice in ([value] if isinstance(value, str) else value or []):
            kind = (question.needs or {}).get(choice)
            urgent = choice in (question.urgent or [])
            if kind:
                found.append((kind, urgent))
            elif urgent and question.need_kind:
                found.append((question.need_kind, True))
    elif question.need_kind:
        if question.kind == QuestionKind.NUMBER and value:
            found.append((question.need_kind, False))
        elif question.kind == QuestionKind.TEXT and value:
            found.append((question.need_kind, False))
    return found


def results(survey: Survey) -> dict:
    """Response rate overall, per grid and per building (responses ÷ households in the area),
    answer tallies per question, and the ranked needs: by households asking, urgent ones
    counting double, then by urgent households."""
    households = list(households_in_scope(survey).values(
        "pk", "building_id", "building__name", "building__grid_id", "building__grid__name"))
    responses = list(survey.responses.all())
    responded = {r.household_id for r in responses}
    questions = list(survey.questions.all())

    def rate_rows(key: str, name: str) -> list[dict]:
        rows: dict = {}
        for h in households:
            row = rows.setdefault(h[key], {"id": h[key], "name": h[name] or "—",
                                           "households": 0, "responses": 0})
            row["households"] += 1
            row["responses"] += h["pk"] in responded
        for row in rows.values():
            row["rate"] = (round(row["responses"] / row["households"], 3)
                           if row["households"] else None)
        return sorted(rows.values(), key=lambda r: str(r["name"]))

    tallies = []
    for question in questions:
        key = str(question.pk)
        values = [r.answers.get(key) for r in responses if r.answers.get(key) not in (None, "", [])]
        tally: dict = {"id": question.pk, "text": question.text, "kind": question.kind,
                       "answered": len(values)}
        if question.kind in (QuestionKind.CHOICE, QuestionKind.MULTI):
            counts = {c: 0 for c in question.choices}
            for value in values:
                for choice in ([value] if isinstance(value, str) else value):
                    if choice in counts:
                        counts[choice] += 1
            tally["choices"] = [{"choice": c, "count": n} for c, n in counts.items()]
        elif question.kind == QuestionKind.NUMBER:
            numbers = [Decimal(str(v)) for v in values]
            tally["sum"] = sum(numbers, Decimal(0))
            tally["mean"] = ((tally["sum"] / len(numbers)).quantize(Decimal("0.01"))
                             if numbers else None)
        else:
            tally["samples"] = values[:5]
        tallies.append(tally)

    needs: dict[str, dict] = defaultdict(lambda: {"households": set(), "urgent": set(),
                                                  "buildings": defaultdict(int)})
    by_question = {str(q.pk): q for q in questions}
    for response in responses:
        for key, value in response.answers.items():
            question = by_question.get(key)
            if question is None:
                continue
            for kind, urgent in _needs_of(question, value):
                need = needs[kind]
                if response.household_id not in need["households"]:
                    need["buildings"][response.building_id] += 1
                need["households"].add(response.household_id)
                if urgent:
                    need["urgent"].add(response.household_id)
    names = {h["building_id"]: h["building__name"] for h in households}
    ranked = []
    for kind, need in needs.items():
        count, urgent = len(need["households"]), len(need["urgent"])
        label = NeedKind(kind).label if kind in NeedKind.values else kind
        ranked.append({"need": kind, "label": str(label), "households": count, "urgent": urgent,
                       "score": count + urgent,
                       "share": round(count / len(responses), 3) if responses else 0,
                       "buildings": [{"id": b, "name": names.get(b, "—"), "households": n}
                                     for b, n in sorted(need["buildings"].items(),
                                                        key=lambda x: -x[1])]})
    ranked.sort(key=lambda r: (-r["score"], -r["urgent"], -r["households"], r["need"]))
    for position, row in enumerate(ranked, 1):
        row["rank"] = position
    total = len(households)
    return {"households": total, "responses": len(responses),
            "on_paper": sum(1 for r in responses if r.on_paper),
            "rate": round(len(responded) / total, 3) if total else None,
            "grids": rate_rows("building__grid_id", "building__grid__name"),
            "buildings": rate_rows("building_id", "building__name"),
            "questions": tallies, "needs": ranked}
