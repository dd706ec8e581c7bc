"""Notice pages: the staff registry (with read counts and images) and the residents' phone feed,
where opening a notice counts it as read."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.views.files import serve_file
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column
from resilience.participation import services
from resilience.participation.filtersets import NoticeFilterSet
from resilience.participation.forms import AttachmentForm, NoticeForm
from resilience.participation.models import Notice


def state_cell(notice: Notice):
    state = notice.state()
    return format_html('<span class="status-badge status-{}">{}</span>', state,
                       notice.get_state_display())


def reads_cell(notice: Notice):
    count = getattr(notice, "read_count", None)
    audience = getattr(notice, "audience", None)
    if count is None or audience is None:  # a notice not loaded through the views' queryset
        count, audience = notice.reads.count(), services.audience_size(notice)
    return _("%(read)d of %(audience)d") % {"read": count, "audience": audience}


class NoticeViews(ObjectViews):
    model = Notice
    filterset = NoticeFilterSet
    form = NoticeForm
    columns = ("title", Column("state", _l("state"), value=state_cell), "pinned", "publish_at",
               "expires_at", "grid", "building",
               Column("reads", _l("read by residents"), value=reads_cell))
    select_related = ("community", "grid", "building")
    filter_fields = ("state", "pinned", "grid", "building", "community")
    detail_groups = (
        (_l("notice"), ("title", Column("state", _l("state"), value=state_cell), "pinned",
                        "publish_at", "expires_at",
                        Column("reads", _l("read by residents"), value=reads_cell))),
        (_l("to"), ("community", "grid", "building")),
        (_l("record"), ("created_by", "created", "updated")),
    )
    detail_template = "participation/notice_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [
            path("news/", notice_feed, name="notice_feed"),
            path("news/<int:pk>/", notice_read, name="notice_read"),
            *super().urls(),
            path("notices/<int:pk>/images/", add_image, name="notice_image_add"),
            path("notices/<int:pk>/images/<int:image>/", notice_image, name="notice_image"),
        ]

    def get_queryset(self, request, action: str = "view"):
        if action == "view":
            queryset = services.readable_notices(request.user)
        else:
            queryset = Notice.objects.visible_to(request.user, action).order_by(*services.ORDER)
        return services.with_read_counts(queryset.select_related(*self.select_related))

    def get_form(self, request, instance, data=None):
        if instance.pk is None:
            instance.created_by = request.user
        return super().get_form(request, instance, data)

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["images"] = obj.attachments.all()
        context["image_form"] = AttachmentForm()
        context["may_change"] = services.can(request.user, "change", obj)
        return context


@login_required
def notice_feed(request):
    """The phone list: published notices of the reader's community, grid and building."""
    notices = list(services.readable_notices(request.user).published()
                   .select_related("grid", "building")[:50])
    read = set(services.NoticeRead.objects.filter(user=request.user, notice__in=notices)
               .values_list("notice_id", flat=True))
    for notice in notices:
        notice.is_read = notice.pk in read
    return render(request, "participation/notice_feed.html", {"notices": notices})


@login_required
def notice_read(request, pk: int):
    """One notice on the phone; the first opening counts as a read."""
    notice = get_object_or_404(services.readable_notices(request.user).published(), pk=pk)
    services.mark_read(notice, request.user)
    return render(request, "participation/notice_read.html",
                  {"notice": notice, "images": notice.attachments.all()})


@login_required
@require_POST
def add_image(request, pk: int):
    notice = NoticeViews().get_object(request, pk, "change")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_image(notice, request.user, form.cleaned_data["file"])
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Image added."))
    else:
        for text in form.errors.get("file", []):
            messages.error(request, text)
    return redirect(notice.get_absolute_url())


@login_required
def notice_image(request, pk: int, image: int):
    notice = get_object_or_404(services.readable_notices(request.user), pk=pk)
    return serve_file(get_object_or_404(notice.attachments, pk=image).file)
