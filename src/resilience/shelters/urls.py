from django.urls import path

from resilience.shelters.views import evacuation, shelters

app_name = "shelters"

urlpatterns = [
    path("", shelters.shelter_list, name="shelter_list"),
    path("<int:pk>/", shelters.shelter_detail, name="shelter_detail"),
    path("<int:pk>/edit/", shelters.shelter_edit, name="shelter_edit"),
    path("<int:pk>/<slug:action>/", shelters.shelter_act, name="shelter_act"),
    path("evacuation/", evacuation.evacuation_choose, name="evacuation_choose"),
    path("evacuation/<int:pk>/", evacuation.evacuation_detail, name="evacuation_detail"),
    path("evacuation/<int:pk>/recompute/", evacuation.evacuation_recompute,
         name="evacuation_recompute"),
    path("evacuation/<int:pk>/paths/", evacuation.path_list, name="path_list"),
    path("paths/<int:pk>/block/", evacuation.path_block, name="path_block"),
    path("evacuation/building/<int:pk>/", evacuation.evacuation_sheet, name="evacuation_sheet"),
]
