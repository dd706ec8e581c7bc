"""The base of every registry form: choices limited to the user's scope, personal data write-only."""
from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from resilience.core import crypto

GEOJSON_HELP = _('A GeoJSON geometry in WGS-84, e.g. {"type": "Point", "coordinates": '
                 '[121.47, 31.23]} (longitude first). Leave empty if unknown.')


class BlankJSONFormField(forms.JSONField):
    """A JSON input that shows nothing, rather than ``null``, when there is no value."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose related-record choices are limited to what ``user`` may view.

    ``secret_fields`` (ID and phone numbers) are write-only: the edit form never shows their
    value, and leaving one blank on an existing record keeps it.
    ``derived`` maps a model field the form does not show to the chosen record it is copied
    from, e.g. ``{"community": "building"}``: the household's community is its building's.
    """

    derived: dict[str, str] = {}
    secret_fields: tuple[str, ...] = ()  # personal data: never pre-filled, blank keeps the value

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self._setup_secret_fields()
        for name, field in self.fields.items():
            if isinstance(field, forms.JSONField):
                field.__class__ = BlankJSONFormField
                field.widget.attrs["rows"] = 3
                if name == "geometry":
                    field.help_text = field.help_text or GEOJSON_HELP
                # Check the value (a geometry…) before the model's clean() computes with it.
                try:
                    model_field = self._meta.model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                field.validators = [*field.validators, *model_field.validators]
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "visible_to"):
                field.queryset = queryset.visible_to(user, "view")
        if self.instance.pk is None and not self.is_bound:
            self._preselect_only_choices()
        else:
            self._keep_unseen_references()

    def _keep_unseen_references(self) -> None:
        """A reference the user may not view is left as it is rather than shown or cleared."""
        for name, field in list(self.fields.items()):
            if not isinstance(field, forms.ModelChoiceField) or isinstance(
                    field, forms.ModelMultipleChoiceField):
                continue
            current = getattr(self.instance, f"{name}_id", None)
            if current is not None and not field.queryset.filter(pk=current).exists():
                del self.fields[name]

    def _preselect_only_choices(self) -> None:
        """On a new record, a required choice with one possible answer is already answered."""
        for name, field in self.fields.items():
            if (isinstance(field, forms.ModelChoiceField) and field.required
                    and self.initial.get(name) in (None, "")):
                choices = list(field.queryset[:2])
                if len(choices) == 1:
                    self.initial[name] = choices[0].pk

    def _setup_secret_fields(self) -> None:
        for name in self.secret_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            self.initial[name] = ""
            field.widget.attrs["autocomplete"] = "off"
            current = getattr(self.instance, name, "") if self.instance.pk else ""
            if current:
                masked = getattr(self.instance, f"{name}_masked", None) or crypto.mask_phone(current)
                field.help_text = _("Now %(masked)s. Leave blank to keep it.") % {"masked": masked}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in self.secret_fields:
                if name in cleaned and not (cleaned[name] or "").strip():
                    cleaned[name] = getattr(self.instance, name)
        for target, source in self.derived.items():
            related = cleaned.get(source)
            if related is not None:
                setattr(self.instance, f"{target}_id", getattr(related, f"{target}_id"))
        return cleaned

    def _update_errors(self, errors):
        # The model may reject a field the form does not show (e.g. a derived community):
        # report it as a form error that names the field instead of failing.
        if hasattr(errors, "error_dict"):
            kept: dict = {}
            for name, messages in errors.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    kept.setdefault(name, []).extend(messages)
                    continue
                try:
                    label = self._meta.model._meta.get_field(name).verbose_name
                except FieldDoesNotExist:
                    label = name
                for message in messages:
                    for text in ValidationError(message).messages:
                        kept.setdefault(NON_FIELD_ERRORS, []).append(
                            ValidationError("%(field)s: %(error)s", params={
                                "field": str(label).capitalize(), "error": text}))
            errors = ValidationError(kept)
        super()._update_errors(errors)

    def validate_unique(self):
        # Derived fields take part in uniqueness (community + code) though the form hides them.
        exclude = self._get_validation_exclusions() - set(self.derived)
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as exc:
            self._update_errors(exc)



def flash_errors(request, exc) -> None:
    """A service's ValidationError as error messages on the next page (for buttons that post
    without a form to show)."""
    from django.contrib import messages

    for text in exc.messages:
        messages.error(request, text)


def add_errors(form, exc) -> None:
    """A service's ValidationError on the form: on the field it names, or on the whole form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None,
                           [e for error in errors for e in error.messages])
    else:
        form.add_error(None, exc.messages)
