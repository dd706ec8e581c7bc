from django.urls import path

from resilience.risks.views import hazards, inspections, maps, photos, sources

app_name = "risks"
urlpatterns: list = [
    *sources.RiskSourceViews.urls(),
    path("map/", maps.risk_map, name="map"),
    path("map/print/", maps.print_map, name="map_print"),
    path("residents/", maps.residents, name="residents"),
    *inspections.ChecklistTemplateViews.urls(),
    *inspections.InspectionPlanViews.urls(),
    *inspections.InspectionViews.urls(),
    # before the hazard actions (hazards/<pk>/<action>/), which take only POST
    path("hazards/<int:pk>/photo/", photos.hazard_photo, name="hazard_photo"),
    path("hazards/<int:pk>/events/<int:event>/photo/", photos.hazard_photo,
         name="hazard_event_photo"),
    path("inspections/<int:pk>/answers/<int:answer>/photo/", photos.inspection_photo,
         name="inspection_photo"),
    *hazards.HazardViews.urls(),
]
