from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, SELF, Role, grant

# The kind of scope node each role works at.
ROLE_NODE = {
    Role.ADMIN: None,
    Role.OFFICE: "region",
    Role.STAFF: "community",
    Role.GRID_WORKER: "grid",
    Role.PROPERTY: "community",
    Role.VOLUNTEER: "community",
    Role.HEALTH_WORKER: "community",
    Role.RESIDENT: "household",
}
NODES = ("region", "community", "grid", "household")


def current_q(prefix: str = "", at=None) -> Q:
    """Memberships not ended at ``at`` (now by default): without an end, or ending later (a lent
    volunteer's scope)."""
    return (Q(**{f"{prefix}valid_until__isnull": True})
            | Q(**{f"{prefix}valid_until__gt": at or timezone.now()}))


def works_in(user, community_id: int) -> bool:
    """Whether ``user`` holds a membership in force somewhere in the community."""
    if user.is_superuser:
        return True
    return Membership.objects.filter(current_q(), user=user).filter(
        Q(community_id=community_id) | Q(grid__community_id=community_id)
        | Q(household__community_id=community_id) | Q(organisation__community_id=community_id)
    ).exists()


class Membership(ScopedModel):
    """A user's role at one scope node: grid worker of grid 3, staff of community A…

    Exactly one node is the scope (the one ``ROLE_NODE`` names for the role); ``community`` is
    also filled for grid and household memberships so staff can list their community's people.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey("places.Region", verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="memberships")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey("people.Household", verbose_name=_("household"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey("people.Organisation", verbose_name=_("organisation"),
                                     null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="memberships")
    title = models.CharField(_("title"), max_length=60, blank=True,
                             help_text=_("e.g. committee director, building lead"))
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, db_index=True,
        help_text=_("Leave empty for a lasting role. A volunteer lent to another community holds "
                    "a membership there that ends at this time."))

    scope_paths = {"community": "community", "grid": "grid", "household": "household",
                   "region": "region", "user": "user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SELF, "view"),
        Role.PROPERTY: grant(SELF, "view"),
        Role.VOLUNTEER: grant(SELF, "view"),
        Role.HEALTH_WORKER: grant(SELF, "view"),
        Role.RESIDENT: grant(SELF, "view"),
    }

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("staff and roles")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    def get_absolute_url(self) -> str:
        return reverse("people:membership_detail", args=[self.pk])

    @property
    def node(self):
        for name in ("household", "grid", "community", "region"):
            value = getattr(self, name)
            if value is not None:
                return value
        return _("everything")

    def clean(self):
        expected = ROLE_NODE.get(self.role)
        given = [n for n in NODES if getattr(self, f"{n}_id")]
        if self.grid_id and not self.community_id:
            self.community_id = self.grid.community_id
            given = [n for n in NODES if getattr(self, f"{n}_id")]
        if self.household_id and not self.community_id:
            self.community_id = self.household.community_id
            given = [n for n in NODES if getattr(self, f"{n}_id")]
        if expected is None:
            return
        if not getattr(self, f"{expected}_id"):
            raise ValidationError({expected: _("A %(role)s works at a %(node)s: choose one.") % {
                "role": self.get_role_display(), "node": self._meta.get_field(expected).verbose_name}})
        extra = [n for n in given if n != expected and not (n == "community" and expected in ("grid", "household"))]
        if extra:
            raise ValidationError({extra[0]: _("A %(role)s membership has only a %(node)s.") % {
                "role": self.get_role_display(), "node": self._meta.get_field(expected).verbose_name}})
        if self.grid_id and self.grid.community_id != self.community_id:
            raise ValidationError({"grid": _("The grid belongs to another community.")})
        if self.household_id and self.household.community_id != self.community_id:
            raise ValidationError({"household": _("The household belongs to another community.")})
        if self.organisation_id and self.community_id and self.organisation.community_id != self.community_id:
            raise ValidationError({"organisation": _("The organisation belongs to another community.")})

    def save(self, *args, **kwargs):
        if self.grid_id and not self.community_id:
            self.community_id = self.grid.community_id
        if self.household_id and not self.community_id:
            self.community_id = self.household.community_id
        super().save(*args, **kwargs)
