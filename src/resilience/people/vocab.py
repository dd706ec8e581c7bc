"""Controlled vocabularies of the people app."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class Vulnerability(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    ELDERLY = "elderly", _("elderly (80+)")
    DISABLED = "disabled", _("disabled")
    BEDRIDDEN = "bedridden", _("bedridden")
    CHRONIC_ILLNESS = "chronic_illness", _("chronic illness")
    DIALYSIS = "dialysis", _("dialysis")
    OXYGEN = "oxygen", _("home oxygen")
    MEDICAL_DEVICE = "medical_device", _("home medical device")
    MENTAL_HEALTH = "mental_health", _("mental health condition")
    PREGNANT = "pregnant", _("pregnant")
    INFANT = "infant", _("infant")
    LOW_INCOME = "low_income", _("low income")
    LANGUAGE_BARRIER = "language_barrier", _("language barrier")
    LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")


# Health-related tags are sensitive personal information (PIPL art. 28).
HEALTH_TAGS = frozenset({
    Vulnerability.DISABLED, Vulnerability.BEDRIDDEN, Vulnerability.CHRONIC_ILLNESS,
    Vulnerability.DIALYSIS, Vulnerability.OXYGEN, Vulnerability.MEDICAL_DEVICE,
    Vulnerability.MENTAL_HEALTH, Vulnerability.PREGNANT,
})


class OrganisationKind(models.TextChoices):
    COMMITTEE = "committee", _("residents' committee")
    PROPERTY = "property", _("property company")
    SOCIAL = "social", _("social organisation")
    ENTERPRISE = "enterprise", _("enterprise")
    VOLUNTEER_TEAM = "volunteer_team", _("volunteer team")
    HEALTH = "health", _("health service")
    PUBLIC_SERVICE = "public_service", _("public service (police, fire, utility)")


class Skill(models.TextChoices):
    FIRST_AID = "first_aid", _("first aid")
    MEDICAL = "medical", _("medical")
    NURSING = "nursing", _("nursing / elderly care")
    PSYCHOLOGY = "psychology", _("psychological support")
    ELECTRICIAN = "electrician", _("electrician")
    PLUMBING = "plumbing", _("plumbing")
    DRIVING = "driving", _("driving")
    TRANSLATION = "translation", _("translation / sign language")
    RESCUE = "rescue", _("search and rescue")
    LOGISTICS = "logistics", _("logistics and delivery")
    IT = "it", _("IT and communications")
    CHILDCARE = "childcare", _("childcare")


class Availability(models.TextChoices):
    ANYTIME = "anytime", _("any time")
    WEEKDAYS = "weekdays", _("weekdays")
    EVENINGS = "evenings", _("evenings")
    WEEKENDS = "weekends", _("weekends")
    EMERGENCY_ONLY = "emergency_only", _("emergencies only")


class Relationship(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    OTHER_RELATIVE = "relative", _("other relative")
    TENANT = "tenant", _("tenant")
    OTHER = "other", _("other")
