"""REST API of the people app. Personal data is masked; clear values only through ``reveal``."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from resilience.core import crypto
from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.roles import Role
from resilience.core.services import log_reveal
from resilience.people import filtersets, idnumber
from resilience.people.models import (
    Household,
    Membership,
    Organisation,
    Pairing,
    Resident,
    Volunteer,
)
from resilience.people.vocab import HEALTH_TAGS, Skill, Vulnerability


class OrganisationSerializer(ScopedSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "community", "kind", "name", "contact_name", "phone", "address", "notes",
                  "created", "updated"]


class HouseholdSerializer(ScopedSerializer):
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "community", "building", "unit", "room", "code", "phone", "phone_masked",
                  "notes", "created", "updated"]

    def get_phone_masked(self, obj) -> str:
        return crypto.mask_phone(obj.phone)


class ResidentSerializer(ScopedSerializer):
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=18)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    emergency_contact_phone = serializers.CharField(write_only=True, required=False,
                                                    allow_blank=True, max_length=30)
    vulnerability_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=Vulnerability.choices), source="tags",
        write_only=True, required=False,
        help_text="Vulnerability tags to set (codes). Health-related tags are never shown in lists.")
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    emergency_contact_phone_masked = serializers.CharField(read_only=True)
    tags = serializers.SerializerMethodField(help_text="Tags that are not health data.")
    has_health_tags = serializers.SerializerMethodField()
    is_vulnerable = serializers.BooleanField(read_only=True)
    age = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = ["id", "community", "household", "name", "sex", "birth_date", "age",
                  "relationship", "id_number", "id_number_masked", "phone", "phone_masked",
                  "vulnerability_tags", "tags", "has_health_tags", "is_vulnerable",
                  "emergency_contact_name", "emergency_contact_phone",
                  "emergency_contact_phone_masked", "notes", "created", "updated"]
        read_only_fields = ["community"]
        extra_kwargs = {"birth_date": {"required": False}, "sex": {"required": False}}

    def get_tags(self, obj) -> list[str]:
        return [t for t in obj.tags if t not in HEALTH_TAGS]

    def get_has_health_tags(self, obj) -> bool:
        return any(t in HEALTH_TAGS for t in obj.tags)

    def get_age(self, obj) -> int:
        return obj.age()

    def validate(self, attrs):
        number = attrs.get("id_number")
        if number:
            number = idnumber.normalise(number)
            attrs["id_number"] = number
            try:
                birth, sex = idnumber.parse(number)
            except Exception:
                pass  # model.clean() reports the reason on the field
            else:
                attrs.setdefault("birth_date", birth)
                attrs.setdefault("sex", sex)
        household = attrs.get("household") or (self.instance.household if self.instance else None)
        if household is not None:
            attrs["community"] = household.community
        missing = {name: [_("This field is required.")] for name in ("birth_date", "sex")
                   if not attrs.get(name) and not (self.instance and getattr(self.instance, name))}
        if missing:
            raise serializers.ValidationError(missing)
        if number and household is not None:
            duplicate = Resident.objects.filter(
                community=household.community, id_number_hash=crypto.keyed_hash(number, "id_number"))
            if self.instance is not None:
                duplicate = duplicate.exclude(pk=self.instance.pk)
            if duplicate.exists():
                raise serializers.ValidationError(
                    {"id_number": [_("A resident with this ID number already lives in this community.")]})
        return super().validate(attrs)


class VolunteerSerializer(ScopedSerializer):
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    phone_masked = serializers.CharField(read_only=True)
    skills = serializers.ListField(child=serializers.ChoiceField(choices=Skill.choices), required=False)

    class Meta:
        model = Volunteer
        fields = ["id", "community", "user", "resident", "name", "phone", "phone_masked", "skills",
                  "availability", "home_building", "team", "active", "created", "updated"]


class MembershipSerializer(ScopedSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "role", "region", "community", "grid", "household",
                  "organisation", "title", "created", "updated"]

    def validate_role(self, value):
        user = self.context["request"].user
        if value in (Role.ADMIN, Role.OFFICE) and not user.is_superuser:
            raise serializers.ValidationError(_("Only a platform admin may grant this role."))
        return value


class OrganisationViewSet(ScopedViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    filterset_class = filtersets.OrganisationFilterSet


class HouseholdViewSet(ScopedViewSet):
    model = Household
    serializer_class = HouseholdSerializer
    filterset_class = filtersets.HouseholdFilterSet


RevealSerializer = inline_serializer("ResidentReveal", {
    "id_number": serializers.CharField(), "phone": serializers.CharField(),
    "emergency_contact_phone": serializers.CharField(),
    "vulnerability_tags": serializers.ListField(child=serializers.CharField()),
})


class ResidentViewSet(ScopedViewSet):
    model = Resident
    serializer_class = ResidentSerializer
    filterset_class = filtersets.ResidentFilterSet

    def scope_action(self) -> str:
        return "reveal" if self.action == "reveal" else super().scope_action()

    @extend_schema(request=None, responses={200: RevealSerializer},
                   summary="Show a resident's personal data in clear (written to the access log)")
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        resident = self.get_object()
        fields = ["id_number", "phone", "emergency_contact_phone", "vulnerability"]
        log_reveal(request.user, resident, fields, channel="api", ip=request.META.get("REMOTE_ADDR"))
        return Response({
            "id_number": resident.id_number, "phone": resident.phone,
            "emergency_contact_phone": resident.emergency_contact_phone,
            "vulnerability_tags": resident.tags,
        })


class VolunteerViewSet(ScopedViewSet):
    model = Volunteer
    serializer_class = VolunteerSerializer
    filterset_class = filtersets.VolunteerFilterSet


class PairingSerializer(ScopedSerializer):
    class Meta:
        model = Pairing
        fields = ["id", "community", "resident", "volunteer", "since", "ended", "note", "created",
                  "updated"]
        read_only_fields = ["community"]


class PairingViewSet(ScopedViewSet):
    model = Pairing
    serializer_class = PairingSerializer
    filterset_class = filtersets.PairingFilterSet

    def optimise(self, queryset):
        return queryset.select_related("resident", "volunteer")


class MembershipViewSet(ScopedViewSet):
    model = Membership
    serializer_class = MembershipSerializer
    filterset_class = filtersets.MembershipFilterSet

    def optimise(self, queryset):
        return queryset.select_related("user")
