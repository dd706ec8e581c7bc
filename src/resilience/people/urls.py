from resilience.people import views

app_name = "people"
urlpatterns: list = [
    *views.OrganisationViews.urls(),
    *views.HouseholdViews.urls(),
    *views.ResidentViews.urls(),
    *views.VolunteerViews.urls(),
    *views.PairingViews.urls(),
    *views.MembershipViews.urls(),
]

try:  # the import/export pages (people/urls_transfer.py) are written separately
    from resilience.people.urls_transfer import urlpatterns as transfer_urls
except ModuleNotFoundError as exc:
    if exc.name != "resilience.people.urls_transfer":
        raise
    transfer_urls = []
urlpatterns += transfer_urls
