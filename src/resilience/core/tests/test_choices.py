"""``core.choices.label`` answers what ``get_FOO_display`` answers, in each language."""
import pytest
from django.utils import translation

from resilience.core.choices import LabelField, label
from resilience.places.models import Facility
from resilience.places.vocab import FacilityKind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_label_is_the_display_of_every_choice_in_the_active_language(language):
    with translation.override(language):
        for kind in FacilityKind.values:
            facility = Facility(kind=kind)
            assert label(facility, "kind") == str(facility.get_kind_display())
    with translation.override("zh-hans"):
        chinese = label(Facility(kind=FacilityKind.SHELTER), "kind")
    with translation.override("en"):
        english = label(Facility(kind=FacilityKind.SHELTER), "kind")
    assert chinese != english  # the cache is per language


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert label(Facility(kind="no-such-kind"), "kind") == "no-such-kind"
    assert LabelField("kind").to_representation(Facility(kind="no-such-kind")) == "no-such-kind"
