import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core import crypto
from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, SELF, Role, grant
from resilience.people import idnumber
from resilience.people.vocab import Relationship, Sex, Vulnerability


def tag_token(tag: str) -> str:
    """The keyed token that stands for a vulnerability tag in ``Resident.tag_index``."""
    return crypto.keyed_hash(tag, "vulnerability")[:16]


def tag_filter(tag: str) -> models.Q:
    return models.Q(tag_index__contains=f"|{tag_token(tag)}|")


class Resident(ScopedModel):
    """A person living in the community, with the vulnerabilities that decide who is helped first.

    ID number, phone numbers and vulnerability tags are encrypted at rest; keyed hashes beside
    them allow look-up and duplicate detection. ``tag_index`` holds one keyed token per tag so
    lists can be filtered by tag without decrypting.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="residents")
    household = models.ForeignKey("people.Household", verbose_name=_("household"),
                                  on_delete=models.PROTECT, related_name="residents")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user account"),
                                null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="resident")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    relationship = models.CharField(_("relationship to head"), max_length=12,
                                    choices=Relationship.choices, default=Relationship.HEAD)
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("phone"))
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    vulnerability = EncryptedTextField(_("vulnerability"))  # JSON list of Vulnerability values
    tag_index = models.CharField(max_length=400, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                default="zh-hans", help_text=_("The language of messages to them."))
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=60, blank=True)
    emergency_contact_phone = EncryptedTextField(_("emergency contact phone"))
    notes = models.TextField(_("notes"), blank=True)

    sensitive_fields = ("id_number", "phone", "vulnerability", "emergency_contact_phone")
    scope_paths = {"community": "community", "grid": "household__building__grid",
                   "household": "household", "user": "user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT, "reveal"),
        Role.GRID_WORKER: grant(SCOPE, "view", "add", "change", "reveal"),
        Role.HEALTH_WORKER: grant(SCOPE, "view", "reveal"),
        Role.RESIDENT: grant(SCOPE, "view", "reveal"),
    }

    class Meta:
        ordering = ["community", "household", "birth_date"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(fields=["community", "id_number_hash"],
                                    condition=~models.Q(id_number_hash=""),
                                    name="resident_unique_id_number_per_community"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:resident_detail", args=[self.pk])

    @property
    def tags(self) -> list[str]:
        return json.loads(self.vulnerability) if self.vulnerability else []

    @tags.setter
    def tags(self, values) -> None:
        values = sorted(set(values))
        self.vulnerability = json.dumps(values) if values else ""

    def tag_labels(self) -> list[str]:
        return [str(Vulnerability(t).label) for t in self.tags if t in Vulnerability.values]

    @property
    def is_vulnerable(self) -> bool:
        return bool(self.tag_index)

    def age(self, on: dt.date | None = None) -> int:
        on = on or timezone.localdate()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone)

    @property
    def emergency_contact_phone_masked(self) -> str:
        return crypto.mask_phone(self.emergency_contact_phone)

    def clean(self):
        errors = {}
        unknown = [t for t in self.tags if t not in Vulnerability.values]
        if unknown:
            errors["vulnerability"] = _("Unknown vulnerability tags: %(tags)s") % {"tags": ", ".join(unknown)}
        if self.id_number:
            self.id_number = idnumber.normalise(self.id_number)
            try:
                birth, sex = idnumber.parse(self.id_number)
            except ValidationError as exc:
                errors["id_number"] = exc.messages
            else:
                if self.birth_date and birth != self.birth_date:
                    errors["birth_date"] = _("The birth date does not match the ID number (%(date)s).") % {"date": birth.isoformat()}
                if self.sex and sex != self.sex:
                    errors["sex"] = _("The sex does not match the ID number.")
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = _("The birth date is in the future.")
        if self.household_id and self.community_id and self.household.community_id != self.community_id:
            errors["household"] = _("The household belongs to another community.")
        if errors:
            raise ValidationError(errors)

    def prepare(self) -> None:
        """Fill the derived columns (community, hashes, tag index); ``bulk_create`` callers must call it."""
        if self.household_id and not self.community_id:
            self.community_id = self.household.community_id
        self.id_number_hash = crypto.keyed_hash(self.id_number, "id_number")
        self.phone_hash = crypto.keyed_hash(self.phone, "phone")
        tokens = [tag_token(t) for t in self.tags]
        self.tag_index = ("|" + "|".join(tokens) + "|") if tokens else ""

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)
