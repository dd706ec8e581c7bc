from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from resilience.core.roles import Role

# Roles that run or oversee participation (the registries); the others use their own pages.
OVERSEERS = (Role.OFFICE, Role.STAFF, Role.GRID_WORKER)


class ParticipationConfig(AppConfig):
    name = "resilience.participation"
    label = "participation"
    verbose_name = _("Resident participation")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.participation.views.portal import home

        # Residents land on their portal rather than the staff dashboard.
        pages.HOME_VIEWS.append(home)

        group = _("Participation")
        menu.register(group, _("My community"), "participation:portal", "participation.Report")
        menu.register(group, _("Notices"), "participation:notice_list", "participation.Notice")
        menu.register(group, _("Community notices"), "participation:notice_feed",
                      "participation.Notice")
        # The registry of reports is for those who triage or oversee them; the others have
        # "My reports".
        menu.register(group, _("Resident reports"), "participation:report_list",
                      "participation.Report", roles=OVERSEERS)
        menu.register(group, _("Report a problem"), "participation:report_new",
                      "participation.Report")
        menu.register(group, _("My reports"), "participation:report_mine", "participation.Report")
        menu.register(group, _("Consultations"), "participation:consultation_list",
                      "participation.Consultation", roles=OVERSEERS)
        menu.register(group, _("Open consultations"), "participation:consultation_open",
                      "participation.Consultation")
        menu.register(group, _("Learn"), "participation:learn", "participation.Lesson")
        menu.register(group, _("Lessons"), "participation:lesson_list", "participation.Lesson",
                      roles=OVERSEERS)
        menu.register(group, _("Lesson assignments"), "participation:lessonassignment_list",
                      "participation.LessonAssignment", roles=OVERSEERS)
        menu.register(group, _("Training coverage"), "participation:education_coverage",
                      "participation.LessonAssignment", roles=OVERSEERS)
        menu.register(group, _("Drills"), "participation:drill_list", "participation.Drill",
                      roles=OVERSEERS)
        menu.register(group, _("Community drills"), "participation:drill_board",
                      "participation.Drill")
