"""Staff author alerts from ready-made texts: every preset is a valid draft in both languages."""
import pytest

from resilience.alerts import presets, services
from resilience.alerts.models import Alert
from resilience.core.testing import PASSWORD


@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.key)
def test_every_preset_makes_a_valid_bilingual_draft(world, preset):
    alert = services.draft(world.staff_a, world.community_a, **preset.initial())
    assert alert.headline and alert.headline_en and alert.instruction and alert.instruction_en
    assert alert.level == preset.level and alert.event_type == preset.event_type


def test_the_add_page_offers_the_presets_and_fills_the_form(world, client):
    client.login(username="staff_a", password=PASSWORD)
    page = client.get("/alerts/alerts/add/").content.decode()
    assert 'data-template="rainstorm"' in page and 'data-template="gas"' in page
    filled = client.get("/alerts/alerts/add/?template=gas").content.decode()
    assert "燃气泄漏" in filled and "Gas leak" in filled
    response = client.post("/alerts/alerts/add/?template=gas", {
        "community": world.community_a.pk, "level": 2, "event_type": "gas",
        "urgency": "Immediate", "certainty": "Observed", "audience": "everyone",
        "headline": "燃气泄漏", "description": "3号楼燃气泄漏", "area_mode": "whole",
        "public": "on"})
    assert response.status_code == 302
    assert Alert.objects.get(headline="燃气泄漏").event_type == "gas"
