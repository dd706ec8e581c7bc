from resilience.participation.models.consultations import (Ballot, BallotChoice, Consultation,
                                                           ConsultationOption)
from resilience.participation.models.drills import Drill, DrillParticipation, DrillTiming
from resilience.participation.models.education import Lesson, LessonAssignment, LessonCompletion
from resilience.participation.models.notices import Notice, NoticeAttachment, NoticeRead
from resilience.participation.models.reports import Report

__all__ = ["Notice", "NoticeAttachment", "NoticeRead", "Report"]
__all__ += ["Ballot", "BallotChoice", "Consultation", "ConsultationOption"]
__all__ += ["Drill", "DrillParticipation", "DrillTiming", "Lesson", "LessonAssignment",
            "LessonCompletion"]
