"""Notices: who may read which, read counts. Reports: filing and triage into a hazard, an
incident, a noted need, or a dismissal — each triage in one transaction."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import can, membership_q, memberships_of
from resilience.participation.models import Notice, NoticeAttachment, NoticeRead, Report
from resilience.participation.uploads import check_image
from resilience.participation.vocab import ReportOutcome, ReportStatus

# --- notices ---------------------------------------------------------------------------------


STAFF_ROLES = (Role.ADMIN, Role.OFFICE, Role.STAFF)
ORDER = ("-pinned", "-publish_at", "-id")  # explicit: Meta.ordering is dropped by GROUP BY


def manages(user) -> bool:
    """Staff, the street office and admins see notices and consultations in every state."""
    return user.is_superuser or any(m.role in STAFF_ROLES for m in memberships_of(user))


def _audience_q(membership) -> Q:
    """Records (notices, consultations) addressed to where this member lives or works: the whole
    community, their grid or their building."""
    whole_community = Q(grid__isnull=True, building__isnull=True)
    if membership.household_id:
        building = membership.household.building
        return (whole_community | Q(grid=building.grid_id, building__isnull=True)
                | Q(building=building.pk))
    if membership.grid_id:
        return whole_community | Q(grid=membership.grid_id)
    return Q()  # a community-wide role: every record of the community


def addressed_to(model, user, live: Q, order):
    """The rows of ``model`` (addressed to a community, a grid or a building) that ``user`` may
    read: staff, the street office and admins every row of their scope; everyone else the
    ``live`` rows addressed to where they live or work. Decided per membership, so a staff member
    of one community who lives in another sees only live ones there."""
    if not user.is_authenticated or not user.is_active:
        return model.objects.none()
    if user.is_superuser:
        return model.objects.order_by(*order)
    combined: Q | None = None
    for m in memberships_of(user):
        q = membership_q(model, m, "view")
        if q is None:
            continue
        if m.role not in STAFF_ROLES:
            q &= live & _audience_q(m)
        combined = q if combined is None else combined | q
    if combined is None:
        return model.objects.none()
    return model.objects.filter(combined).order_by(*order)


def readable_notices(user, now=None):
    """The notices ``user`` may read: staff every state in their scope; everyone else the
    published notices of their community, grid or building."""
    now = now or timezone.now()
    published = (Q(publish_at__isnull=False, publish_at__lte=now)
                 & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)))
    return addressed_to(Notice, user, published, ORDER)


def mark_read(notice: Notice, user) -> bool:
    """Record that ``user`` opened ``notice``; True the first time only."""
    _, created = NoticeRead.objects.get_or_create(notice=notice, user=user)
    return created


def audience_size(notice: Notice) -> int:
    """How many residents with accounts the notice reaches (its community, grid or building)."""
    from resilience.people.models import Membership

    members = Membership.objects.filter(role=Role.RESIDENT, household__community=notice.community_id)
    if notice.building_id:
        members = members.filter(household__building=notice.building_id)
    elif notice.grid_id:
        members = members.filter(household__building__grid=notice.grid_id)
    return members.values("user").distinct().count()


def with_read_counts(queryset):
    """``read_count`` and ``audience`` (as ``audience_size``) on each notice, in one query."""
    from resilience.people.models import Membership

    def residents(path: str, ref: str):
        counted = (Membership.objects.filter(role=Role.RESIDENT, **{path: OuterRef(ref)})
                   .order_by().values(path).annotate(n=Count("user", distinct=True)).values("n"))
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    reads = (NoticeRead.objects.filter(notice=OuterRef("pk")).order_by().values("notice")
             .annotate(n=Count("pk")).values("n"))
    return queryset.annotate(
        read_count=Coalesce(Subquery(reads, output_field=IntegerField()), 0),
        audience=Case(
            When(building__isnull=False, then=residents("household__building", "building")),
            When(grid__isnull=False, then=residents("household__building__grid", "grid")),
            default=residents("household__community", "community")))


def attach_image(notice: Notice, user, upload) -> NoticeAttachment:
    """Attach an image to a notice ``user`` may change."""
    if not can(user, "change", notice):
        raise PermissionDenied(_("You may not change this notice."))
    check_image(upload, "file")
    return NoticeAttachment.objects.create(notice=notice, file=upload)


# --- reports ---------------------------------------------------------------------------------


def community_of(user):
    """The community where ``user`` holds a role (the first one), or None."""
    for m in memberships_of(user):
        if m.community_id:
            return m.community
        if m.grid_id:
            return m.grid.community
        if m.household_id:
            return m.household.community
    return None


def file_report(user, *, kind: str, description: str, photo=None, latitude=None,
                longitude=None, building=None) -> Report:
    """A report by ``user`` in their own community; refused if they hold no role in one."""
    community = community_of(user)
    if community is None:
        raise PermissionDenied(_("Only people with a role in a community may report."))
    if photo:
        check_image(photo, "photo")
    report = Report(community=community, reporter=user, kind=kind,
                    description=(description or "").strip(), latitude=latitude,
                    longitude=longitude, building=building)
    if photo:
        report.photo = photo
    report.full_clean()
    with transaction.atomic():
        report.save()
        if not can(user, "add", report):
            raise PermissionDenied(_("You may not report here: it is outside your scope."))
    return report


def triage(report: Report, user, *, outcome: str, note: str = "", scenario: str = "other",
           severity: str | None = None) -> Report:
    """Decide what a new report becomes. ``hazard`` and ``incident`` create that record through
    its own service; the record and the report's new status are written together or not at
    all. ``dismissed`` needs a reason in ``note``."""
    if outcome not in ReportOutcome.values:
        raise ValidationError({"outcome": _("Choose hazard, incident, noted or dismissed.")})
    if outcome == ReportOutcome.DISMISSED and not (note or "").strip():
        raise ValidationError({"note": _("Give the reason for dismissing the report.")})
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not triage this report."))
        if locked.status != ReportStatus.NEW:
            raise ValidationError({"outcome": _("This report has already been triaged.")})
        title = str(locked)[:200]
        if outcome == ReportOutcome.HAZARD:
            locked.hazard = _make_hazard(locked, user, title, note, severity)
        elif outcome == ReportOutcome.INCIDENT:
            from resilience.response.services.incidents import open_incident

            locked.incident = open_incident(
                user, locked.community, title=title, scenario=scenario,
                description=_join(locked.description, note),
                buildings=[locked.building] if locked.building_id else ())
        locked.status = (ReportStatus.DISMISSED if outcome == ReportOutcome.DISMISSED
                         else ReportStatus.TRIAGED)
        locked.outcome = outcome
        locked.triage_note = (note or "").strip()
        locked.triaged_by, locked.triaged_at = user, timezone.now()
        locked.save()
    for field in Report._meta.concrete_fields:
        setattr(report, field.attname, getattr(locked, field.attname))
    return report


def _join(description: str, note: str) -> str:
    return f"{description}\n\n{note}".strip() if note else description


def _make_hazard(report: Report, user, title: str, note: str, severity: str | None):
    from resilience.risks import hazards
    from resilience.risks.vocab import HazardSeverity, HazardSource

    photo = None
    if report.photo:
        with report.photo.open("rb") as handle:
            photo = ContentFile(handle.read(), name=report.photo.name.rsplit("/", 1)[-1])
    return hazards.report(
        user, community=report.community, title=title, source=HazardSource.RESIDENT_REPORT,
        severity=severity or HazardSeverity.GENERAL, description=_join(report.description, note),
        building=report.building, latitude=report.latitude, longitude=report.longitude,
        photo=photo)
