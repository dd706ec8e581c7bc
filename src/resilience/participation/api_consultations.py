"""The consultations API: ``/api/consultations/`` (staff create and edit until voting starts),
``POST …/<id>/vote/`` with ``{"options": [ids]}``, ``POST …/<id>/open/``, ``POST …/<id>/close/``,
``POST …/<id>/publish/`` and ``GET …/<id>/results/``. Results are hidden from everyone but the
community's staff until published; a refused vote or close is a 400 naming the field."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from resilience.core.api.base import ScopedSerializer, ScopedViewSet
from resilience.core.api.errors import error_detail
from resilience.core.scope import can
from resilience.participation import consultations as services
from resilience.participation.filtersets_consultations import ConsultationFilterSet
from resilience.participation.models import Consultation


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(max_length=200)
    abstain = serializers.BooleanField(default=False)


class ConsultationSerializer(ScopedSerializer):
    options = OptionSerializer(many=True, help_text="At least two; editable until voting starts.")
    state = serializers.SerializerMethodField()
    ballots = serializers.SerializerMethodField(help_text="Ballots cast so far (turnout).")
    i_may_vote = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField(
        help_text="The count, once closed; hidden from non-staff until published.")

    class Meta:
        model = Consultation
        fields = ("id", "community", "grid", "building", "title", "body", "voter_unit",
                  "opens_at", "closes_at", "quorum_percent", "majority", "secret", "max_choices",
                  "options", "state", "eligible_count", "ballots", "i_may_vote", "closed_at",
                  "close_reason", "published", "published_at", "result", "created_by",
                  "created", "updated")
        read_only_fields = ("eligible_count", "closed_at", "close_reason", "published",
                            "published_at", "created_by")

    def get_state(self, consultation) -> str:
        return consultation.state()

    def get_ballots(self, consultation) -> int:
        return consultation.ballots.count()

    def get_i_may_vote(self, consultation) -> bool:
        user = self.context["request"].user
        return (consultation.state() == "open"
                and bool(services.voting_units(user, consultation))
                and not services.has_voted(user, consultation))

    def get_result(self, consultation) -> dict | None:
        user = self.context["request"].user
        return consultation.result if services.may_see_results(user, consultation) else None

    def validate_options(self, value):
        try:
            return services.check_options(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["options"])

    def validate(self, attrs):
        options = attrs.pop("options", None)
        attrs = super().validate(attrs)
        decisive = sum(1 for o in (options or []) if not o["abstain"]) if options is not None \
            else (self.instance.options.filter(abstain=False).count() if self.instance else 0)
        if attrs.get("max_choices", getattr(self.instance, "max_choices", 1)) > max(decisive, 1):
            raise serializers.ValidationError(
                {"max_choices": _("There are only %(n)d options.") % {"n": decisive}})
        if options is not None:
            attrs["options"] = options
        return attrs

    def _save(self, instance, validated_data):
        options = validated_data.pop("options", None)
        instance = super()._save(instance, validated_data)
        if options is not None:  # clean() refused the edit if voting had started
            services.write_options(instance, options)
        return instance


class VoteSerializer(serializers.Serializer):
    options = serializers.ListField(child=serializers.IntegerField(), allow_empty=False,
                                    help_text="The ids of the chosen options.")


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Required when closing before the closing time.")


ResultSerializer = inline_serializer("ConsultationResult", {
    "eligible": serializers.IntegerField(), "ballots": serializers.IntegerField(),
    "turnout_percent": serializers.FloatField(), "quorum_percent": serializers.IntegerField(),
    "quorum_met": serializers.BooleanField(), "majority": serializers.CharField(),
    "base": serializers.IntegerField(), "options": serializers.ListField(),
    "decided": serializers.BooleanField(), "winner": serializers.IntegerField(allow_null=True),
    "winner_label": serializers.CharField(), "reason": serializers.CharField(),
    "reason_text": serializers.CharField(),
})


class ConsultationViewSet(ScopedViewSet):
    model = Consultation
    serializer_class = ConsultationSerializer
    filterset_class = ConsultationFilterSet

    def get_queryset(self):
        if self.scope_action() == "view":
            queryset = services.readable_consultations(self.request.user)
        else:
            queryset = Consultation.objects.visible_to(
                self.request.user, self.scope_action()).order_by(*services.ORDER)
        return queryset.select_related("community", "grid", "building").prefetch_related("options")

    def get_object(self):
        return services.close_if_ended(super().get_object())

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)

    def perform_destroy(self, instance):
        if instance.has_opened():
            raise serializers.ValidationError({"opens_at": _(
                "Voting has started: the consultation and its ballots are kept.")})
        super().perform_destroy(instance)

    def _act(self, fn, *args, **kwargs):
        try:
            with transaction.atomic():
                return fn(*args, **kwargs), None
        except ValidationError as exc:
            return None, Response(error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))

    @extend_schema(request=VoteSerializer, summary="Vote", responses=inline_serializer(
        "VoteResult", {"voted": serializers.BooleanField(), "cast_at": serializers.DateTimeField(),
                       "for": serializers.CharField()}))
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Cast the requesting user's vote (one per household or adult resident)."""
        consultation = self.get_object()
        form = VoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ballot, error = self._act(services.cast_vote, consultation, request.user,
                                  form.validated_data["options"])
        if error:
            return error
        return Response({"voted": True, "cast_at": ballot.cast_at,
                         "for": str(ballot.household or ballot.resident)},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ConsultationSerializer, summary="Open voting now")
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open a draft or scheduled consultation now (staff)."""
        consultation = self.get_object()
        __, error = self._act(services.open_now, consultation, request.user)
        return error or Response(self.get_serializer(consultation).data)

    @extend_schema(request=CloseSerializer, responses=ConsultationSerializer,
                   summary="Close and count")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close and count the votes (staff); before the closing time a reason is required."""
        consultation = ScopedViewSet.get_object(self)  # no lazy count: the staff member closes it
        if not can(request.user, "change", consultation):
            raise PermissionDenied(_("You may not close this consultation."))
        form = CloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        __, error = self._act(services.close, consultation, request.user,
                             reason=form.validated_data["reason"])
        return error or Response(self.get_serializer(consultation).data)

    @extend_schema(request=None, responses=ConsultationSerializer, summary="Publish the results")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Show the counted result to everyone who sees the consultation (staff)."""
        consultation = self.get_object()
        __, error = self._act(services.publish, consultation, request.user)
        return error or Response(self.get_serializer(consultation).data)

    @extend_schema(responses=ResultSerializer, summary="The counted result")
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Counts per option, turnout, quorum and the decision; 404 until visible to you."""
        consultation = self.get_object()
        if not services.may_see_results(request.user, consultation):
            return Response({"detail": _("The results are not published yet.")},
                            status=status.HTTP_404_NOT_FOUND)
        return Response({**consultation.result,
                         "reason_text": services.reason_text(consultation.result["reason"])})


def register(router) -> None:
    router.register("consultations", ConsultationViewSet, basename="consultation")
