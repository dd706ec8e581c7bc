from resilience.places import views

app_name = "places"
urlpatterns: list = [
    *views.RegionViews.urls(),
    *views.CommunityViews.urls(),
    *views.GridViews.urls(),
    *views.BuildingViews.urls(),
    *views.UnitViews.urls(),
    *views.FacilityViews.urls(),
]
