from resilience.participation.models.notices import Notice, NoticeAttachment, NoticeRead
from resilience.participation.models.reports import Report

__all__ = ["Notice", "NoticeAttachment", "NoticeRead", "Report"]
