"""Generic registry pages (NetBox-like): list, detail, add/edit, delete and reveal for any scoped model.

A model's pages are declared once, as a subclass of ``ObjectViews`` (model, filterset, form,
columns, detail groups); ``ObjectViews.urls()`` gives the URL patterns. Every queryset starts
from ``Model.objects.visible_to(user, action)``: an object the user may not view is a 404, an
action they may not take on a visible object is a 403.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.forms import NullBooleanSelect
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views import View

from resilience.core import crypto
from resilience.core.models import ChangeLogEntry
from resilience.core.scope import can, can_any
from resilience.core.services import log_reveal
from resilience.core.views.tables import EMPTY, Column, as_columns, cell, row

TABLE_TARGET = "object-table"


@dataclass(frozen=True)
class Related:
    """Records of another model that belong to the object, linked to their filtered list."""

    model: type
    param: str  # the filter parameter of the related list that selects this object's records
    lookup: str | None = None  # ORM lookup when it differs from ``param``


class OutOfScope(Exception):
    """The saved record falls outside what the user may add or change: undo the save."""


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ObjectViews:
    """The declaration of one model's pages."""

    model: type = None
    filterset: type | None = None
    form: type | None = None
    slug: str | None = None  # URL segment; the model name + "s" by default
    columns: Sequence[str | Column] = ("name",)
    detail_groups: Sequence[tuple[object, Sequence[str | Column]]] = ()
    select_related: Sequence[str] = ()
    related: Sequence[Related] = ()
    personal_fields: Sequence[str] = ()  # encrypted fields shown masked until revealed
    filter_fields: Sequence[str] | None = None  # filters shown in the form (others stay usable)
    paginate_by = 25
    list_template = "generic/object_list.html"
    detail_template = "generic/object_detail.html"
    edit_template = "generic/object_edit.html"
    delete_template = "generic/object_delete.html"

    # -- names and URLs -------------------------------------------------------------------
    @property
    def opts(self):
        return self.model._meta

    def url_name(self, action: str) -> str:
        return f"{self.opts.app_label}:{self.opts.model_name}_{action}"

    def url(self, action: str, obj=None) -> str:
        return reverse(self.url_name(action), args=[obj.pk] if obj is not None else [])

    @classmethod
    def urls(cls) -> list:
        views = cls()
        name = views.opts.model_name
        slug = cls.slug or f"{name}s"
        patterns = [
            path(f"{slug}/", ObjectListView.as_view(views=views), name=f"{name}_list"),
            path(f"{slug}/<int:pk>/", ObjectDetailView.as_view(views=views), name=f"{name}_detail"),
            path(f"{slug}/<int:pk>/delete/", ObjectDeleteView.as_view(views=views),
                 name=f"{name}_delete"),
        ]
        if cls.form is not None:
            patterns += [
                path(f"{slug}/add/", ObjectEditView.as_view(views=views), name=f"{name}_add"),
                path(f"{slug}/<int:pk>/edit/", ObjectEditView.as_view(views=views),
                     name=f"{name}_edit"),
            ]
        if cls.personal_fields:
            patterns.append(path(f"{slug}/<int:pk>/reveal/", ObjectRevealView.as_view(views=views),
                                 name=f"{name}_reveal"))
        return patterns

    # -- querysets ------------------------------------------------------------------------
    def get_queryset(self, request, action: str = "view"):
        qs = self.model.objects.visible_to(request.user, action)
        return qs.select_related(*self.select_related) if self.select_related else qs

    def get_object(self, request, pk: int, action: str = "view"):
        """The object if the user may view it (else 404) and take ``action`` on it (else 403)."""
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        if action != "view" and not can(request.user, action, obj):
            raise PermissionDenied
        return obj

    def get_filterset(self, request, queryset):
        if self.filterset is None:
            return None
        filterset = self.filterset(request.GET, queryset=queryset, request=request)
        # Choices of related records are limited on this request's form (filters may carry a
        # field built for another request), so a filter never lists another community.
        for field in filterset.form.fields.values():
            choices = getattr(field, "queryset", None)
            if choices is not None and hasattr(choices, "visible_to"):
                field.queryset = choices.model.objects.visible_to(request.user, "view")
        return filterset

    # -- what the pages show --------------------------------------------------------------
    def get_columns(self) -> list[Column]:
        columns = as_columns(self.model, self.columns)
        if columns and not any(c.link for c in columns):
            first = columns[0]
            columns[0] = Column(first.name, first.label, first.value, first.order, True)
        return columns

    def get_groups(self, obj) -> list[dict]:
        groups = self.detail_groups or [(self.opts.verbose_name, self.columns)]
        return [
            {"title": title, "rows": [(c.label, cell(obj, c)) for c in as_columns(self.model, specs)]}
            for title, specs in groups
        ]

    def masked_value(self, obj, name: str):
        masked = getattr(obj, f"{name}_masked", None)
        return masked if masked is not None else crypto.mask_phone(getattr(obj, name) or "")

    def clear_value(self, obj, name: str):
        return getattr(obj, name)

    def personal_rows(self, obj, revealed: bool) -> list[tuple[object, object]]:
        rows = []
        for name in self.personal_fields:
            value = self.clear_value(obj, name) if revealed else self.masked_value(obj, name)
            rows.append((self.opts.get_field(name).verbose_name, value or EMPTY))
        return rows

    def get_related(self, request, obj) -> list[dict]:
        result = []
        for rel in self.related:
            if not can_any(request.user, "view", rel.model):
                continue
            meta = rel.model._meta
            count = rel.model.objects.visible_to(request.user, "view").filter(
                **{rel.lookup or rel.param: obj.pk}).count()
            list_url = reverse(f"{meta.app_label}:{meta.model_name}_list")
            add_url = None
            if can_any(request.user, "add", rel.model):
                try:
                    add_url = reverse(f"{meta.app_label}:{meta.model_name}_add")
                    add_url += f"?{rel.param}={obj.pk}"
                except Exception:  # a model without an add page
                    add_url = None
            result.append({"label": meta.verbose_name_plural, "count": count,
                           "url": f"{list_url}?{rel.param}={obj.pk}", "add_url": add_url})
        return result

    def get_changelog(self, obj, limit: int = 20) -> list[dict]:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        entries = ChangeLogEntry.objects.filter(content_type=content_type, object_id=obj.pk)
        # Derived columns (hashes, indexes, timestamps) change with the fields they follow.
        labels = {f.attname: f.verbose_name for f in self.opts.concrete_fields if f.editable}
        return [
            {"entry": e, "fields": [labels[n] for n in e.changed_fields() if n in labels]
             if e.action == ChangeLogEntry.Action.UPDATE else []}
            for e in entries.select_related("user")[:limit]
        ]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        user = request.user
        has_form = self.form is not None
        context = {
            "views": self,
            "object": obj,
            "verbose_name": self.opts.verbose_name,
            "list_url": self.url("list"),
            "groups": self.get_groups(obj),
            "related": self.get_related(request, obj),
            "changelog": self.get_changelog(obj),
            "can_change": has_form and can(user, "change", obj),
            "can_delete": can(user, "delete", obj),
            "edit_url": self.url("edit", obj) if has_form else None,
            "delete_url": self.url("delete", obj),
            "revealed": revealed,
        }
        if self.personal_fields:
            context["personal"] = self.personal_rows(obj, revealed)
            context["can_reveal"] = not revealed and can(user, "reveal", obj)
            context["reveal_url"] = self.url("reveal", obj)
        return context

    # -- forms ------------------------------------------------------------------------------
    def get_form(self, request, instance, data=None):
        initial = {}
        if data is None and instance.pk is None:
            # "Add a building to this grid" links pass the parent in the query string.
            initial = {k: v for k, v in request.GET.items() if k in self.form.base_fields}
        return self.form(data, instance=instance, initial=initial, user=request.user)

    def form_shown(self, request, form) -> None:
        """Called when an edit form is about to be shown (e.g. to log what it reveals)."""


class ObjectListView(LoginRequiredMixin, View):
    views: ObjectViews = None

    def get(self, request):
        views = self.views
        if not can_any(request.user, "view", views.model):
            raise PermissionDenied
        queryset = views.get_queryset(request)
        filterset = views.get_filterset(request, queryset)
        if filterset is not None:
            # A filter the user may not use (another community, a bad value) shows its error
            # and no rows, never silently the unfiltered list.
            queryset = filterset.qs if filterset.is_valid() else queryset.none()
        columns = views.get_columns()
        sort = request.GET.get("sort", "")
        if sort and sort.lstrip("-") in {c.order for c in columns if c.order}:
            queryset = queryset.order_by(sort, "pk")
        page = Paginator(queryset, views.paginate_by).get_page(request.GET.get("page"))
        context = {
            "views": views,
            "title": views.opts.verbose_name_plural,
            "columns": [self._header(c, sort) for c in columns],
            "rows": [row(obj, columns) for obj in page.object_list],
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2,
                                                               on_ends=1),
            "table_target": TABLE_TARGET,
            "add_url": views.url("add") if views.form is not None
            and can_any(request.user, "add", views.model) else None,
            **self._filter_context(views, filterset, request),
        }
        partial = request.htmx and request.htmx.target == TABLE_TARGET
        response = render(request, "generic/_table.html" if partial else views.list_template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response

    @staticmethod
    def _header(column: Column, sort: str) -> dict:
        state = ""
        if column.order and sort.lstrip("-") == column.order:
            state = "descending" if sort.startswith("-") else "ascending"
        next_sort = f"-{column.order}" if state == "ascending" else column.order
        return {"label": column.label, "sort": next_sort, "state": state}

    @staticmethod
    def _filter_context(views, filterset, request) -> dict:
        if filterset is None:
            return {"filter_form": None, "filter_fields": [], "hidden_filters": [], "filtered": False}
        form = filterset.form
        for field in form.fields.values():
            if isinstance(field.widget, NullBooleanSelect):
                field.widget.choices = [("unknown", _("any")), ("true", _("yes")),
                                        ("false", _("no"))]
        shown = [n for n in (views.filter_fields or form.fields) if n in form.fields and n != "q"]
        hidden = [(name, value) for name in form.fields if name not in shown and name != "q"
                  for value in request.GET.getlist(name) if value]
        active = [n for n in form.fields if any(request.GET.getlist(n))]
        return {
            "filter_form": form,
            "search_field": form["q"] if "q" in form.fields else None,
            "filter_fields": [form[n] for n in shown],
            "hidden_filters": hidden,
            "filtered": bool(active),
            "filter_errors": [
                (form.fields[name].label if name in form.fields else "", message)
                for name, errors in (form.errors.items() if form.is_bound else ())
                for message in errors
            ],
        }


class ObjectDetailView(LoginRequiredMixin, View):
    views: ObjectViews = None

    def get(self, request, pk: int):
        obj = self.views.get_object(request, pk)
        return render(request, self.views.detail_template, self.views.detail_context(request, obj))


class ObjectRevealView(LoginRequiredMixin, View):
    """Shows an object's personal data in clear to a user allowed to, after logging the reveal."""

    views: ObjectViews = None

    def post(self, request, pk: int):
        views = self.views
        obj = views.get_object(request, pk, "reveal")
        log_reveal(request.user, obj, views.personal_fields, channel="web", ip=client_ip(request))
        context = views.detail_context(request, obj, revealed=True)
        template = "generic/_personal.html" if request.htmx else views.detail_template
        response = render(request, template, context)
        response["Cache-Control"] = "no-store"
        return response


class ObjectEditView(LoginRequiredMixin, View):
    """Add (no pk) or edit a record; the saved record must lie inside the user's scope."""

    views: ObjectViews = None

    def _instance(self, request, pk):
        if pk is None:
            if not can_any(request.user, "add", self.views.model):
                raise PermissionDenied
            return self.views.model()
        return self.views.get_object(request, pk, "change")

    def get(self, request, pk: int | None = None):
        instance = self._instance(request, pk)
        form = self.views.get_form(request, instance)
        self.views.form_shown(request, form)
        return self._render(request, form, instance)

    def post(self, request, pk: int | None = None):
        instance = self._instance(request, pk)
        is_new = instance.pk is None
        form = self.views.get_form(request, instance, data=request.POST)
        if form.is_valid():  # runs the model's clean()
            action = "add" if is_new else "change"
            try:
                with transaction.atomic():
                    obj = form.save()
                    if not can(request.user, action, obj):
                        raise OutOfScope
            except OutOfScope:
                message = (_("You may not add this %(model)s there: it would be outside your "
                             "scope. Check the places you chose.") if is_new else
                           _("You may not move this %(model)s there: it would be outside your "
                             "scope. Check the places you chose."))
                form.add_error(None, message % {"model": self.views.opts.verbose_name})
            except IntegrityError:
                form.add_error(None, _("This %(model)s conflicts with an existing record "
                                       "(same code or number?).") % {
                    "model": self.views.opts.verbose_name})
            else:
                message = _("Created %(object)s.") if is_new else _("Saved %(object)s.")
                messages.success(request, message % {"object": obj})
                return redirect(obj.get_absolute_url())
            if is_new:
                form.instance.pk = None  # the rolled-back insert left an id behind
        return self._render(request, form, instance if not is_new else None, status=400)

    def _render(self, request, form, instance, status: int = 200) -> HttpResponse:
        views = self.views
        is_new = instance is None or instance.pk is None
        context = {
            "views": views,
            "form": form,
            "object": None if is_new else instance,
            "is_new": is_new,
            "verbose_name": views.opts.verbose_name,
            "list_url": views.url("list"),
            "cancel_url": views.url("list") if is_new else instance.get_absolute_url(),
        }
        return render(request, views.edit_template, context, status=status)


class ObjectDeleteView(LoginRequiredMixin, View):
    views: ObjectViews = None

    def get(self, request, pk: int):
        obj = self.views.get_object(request, pk, "delete")
        return render(request, self.views.delete_template,
                      {"views": self.views, "object": obj, "verbose_name": self.views.opts.verbose_name})

    def post(self, request, pk: int):
        obj = self.views.get_object(request, pk, "delete")
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError) as exc:
            count = len(getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ()))
            messages.error(request, _("%(object)s cannot be deleted: %(count)d other records "
                                      "depend on it.") % {"object": obj, "count": count})
            return redirect(obj.get_absolute_url())
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return redirect(self.views.url("list"))
