"""Controlled vocabularies of community health records, and the curated ICD-10 code list.

The code list (``fixtures/icd10_chronic.csv``) holds the common chronic conditions a community
health worker records; a condition with any other code is refused, so exports and derived tags
stay meaningful.
"""
from __future__ import annotations

import csv
import functools
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import get_language, pgettext_lazy

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
CODE_LIST = Path(__file__).with_name("fixtures") / "icd10_chronic.csv"


@functools.cache
def _icd10_rows() -> list[dict[str, str]]:
    with CODE_LIST.open(encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


@functools.cache
def icd10_codes() -> dict[str, str]:
    """``{code: display}`` of the curated ICD-10 list (the WHO English title: it is what is
    stored and exported)."""
    return {row["code"].upper(): row["display"] for row in _icd10_rows()}


@functools.cache
def _icd10_zh() -> dict[str, str]:
    return {row["code"].upper(): row["display_zh"] for row in _icd10_rows()
            if row.get("display_zh")}


def icd10_display(code: str) -> str | None:
    """The display text of a curated code, or None when the code is not on the list."""
    return icd10_codes().get((code or "").strip().upper())


def icd10_label(code: str, display: str = "") -> str:
    """The condition's name for the reader: the Chinese title of a curated code when the page is
    in Chinese (the standard Chinese ICD-10 name), else ``display`` or the English title."""
    code = (code or "").strip().upper()
    if (get_language() or "").startswith("zh") and code in _icd10_zh():
        if not display or display == icd10_codes().get(code):  # an imported text stays as given
            return _icd10_zh()[code]
    return display or icd10_codes().get(code, "")


def icd10_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {icd10_label(code)}") for code in sorted(icd10_codes())]


class ConditionStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("condition", "active")
    REMISSION = "remission", _("in remission")
    RESOLVED = "resolved", _("resolved")


class DeviceType(models.TextChoices):
    OXYGEN_CONCENTRATOR = "oxygen_concentrator", _("oxygen concentrator")
    DIALYSIS_PERITONEAL = "dialysis_peritoneal", _("dialysis machine (home peritoneal)")
    DIALYSIS_HAEMO = "dialysis_haemo", _("dialysis machine (home haemodialysis)")
    VENTILATOR = "ventilator", _("ventilator")
    SUCTION = "suction", _("suction machine")
    INFUSION_PUMP = "infusion_pump", _("infusion pump")
    POWERED_WHEELCHAIR = "powered_wheelchair", _("powered wheelchair")
    OTHER = "other", _("other device")


DIALYSIS_DEVICES = frozenset({DeviceType.DIALYSIS_PERITONEAL, DeviceType.DIALYSIS_HAEMO})


class Mobility(models.TextChoices):
    INDEPENDENT = "independent", _("walks independently")
    AID = "aid", _("walks with an aid")
    WHEELCHAIR = "wheelchair", _("uses a wheelchair")
    BEDRIDDEN = "bedridden", _("bedridden")


class CareNeed(models.TextChoices):
    MEDICATION = "medication", _("help with medication")
    PERSONAL_CARE = "personal_care", _("personal care")
    MEALS = "meals", _("meals")
    NURSING = "nursing", _("home nursing")
    REHABILITATION = "rehabilitation", _("rehabilitation")
    COMPANIONSHIP = "companionship", _("companionship")
    TRANSPORT = "transport", _("transport to appointments")


class ConsentPurpose(models.TextChoices):
    CARE = "care", _("community care")
    EMERGENCY_SHARING = "emergency", _("share with emergency services")
    FHIR_EXPORT = "fhir_export", _("FHIR export")


class CarePlanKind(models.TextChoices):
    CHRONIC = "chronic", _("chronic disease management")
    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    POST_DISCHARGE = "post_discharge", _("post-discharge")
    POST_CRISIS = "post_crisis", _("post-crisis psychological care")
    OTHER = "other", _("other")


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("home visit")
    CALL = "call", _("phone call")


class ReferralTarget(models.TextChoices):
    COUNSELLING = "counselling", _("psychological counselling")
    CLINIC = "clinic", _("clinic")
    PSYCHIATRIC = "psychiatric", _("psychiatric care")


class ReferralStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("referral", "open")
    ACCEPTED = "accepted", pgettext_lazy("referral", "accepted")
    CLOSED = "closed", pgettext_lazy("referral", "closed")


# PHQ-9 and GAD-7 severity bands: (lowest total of the band, key, label).
PHQ9_BANDS = (
    (0, "minimal", _("minimal")),
    (5, "mild", _("mild")),
    (10, "moderate", _("moderate")),
    (15, "moderately_severe", _("moderately severe")),
    (20, "severe", _("severe")),
)
GAD7_BANDS = (
    (0, "minimal", _("minimal")),
    (5, "mild", _("mild")),
    (10, "moderate", _("moderate")),
    (15, "severe", _("severe")),
)
SEVERITY_LABELS = {key: label for _low, key, label in PHQ9_BANDS + GAD7_BANDS}

PHQ9_ITEMS = (
    _("Little interest or pleasure in doing things"),
    _("Feeling down, depressed, or hopeless"),
    _("Trouble falling or staying asleep, or sleeping too much"),
    _("Feeling tired or having little energy"),
    _("Poor appetite or overeating"),
    _("Feeling bad about yourself, or that you are a failure or have let yourself or your "
      "family down"),
    _("Trouble concentrating on things, such as reading the newspaper or watching television"),
    _("Moving or speaking so slowly that other people could have noticed, or the opposite: "
      "being so fidgety or restless that you have been moving around a lot more than usual"),
    _("Thoughts that you would be better off dead, or of hurting yourself in some way"),
)
GAD7_ITEMS = (
    _("Feeling nervous, anxious, or on edge"),
    _("Not being able to stop or control worrying"),
    _("Worrying too much about different things"),
    _("Trouble relaxing"),
    _("Being so restless that it is hard to sit still"),
    _("Becoming easily annoyed or irritable"),
    _("Feeling afraid, as if something awful might happen"),
)
ANSWER_CHOICES = (
    (0, _("not at all")),
    (1, _("several days")),
    (2, _("more than half the days")),
    (3, _("nearly every day")),
)
