"""Demo data of resident participation: three notices (one pinned) and two resident reports.

``seed(community)`` is idempotent: a community that already has notices is left alone. Reports
are filed by the community's first resident account, if any.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from resilience.core.roles import Role
from resilience.participation.models import Notice, Report
from resilience.participation.vocab import ReportKind
from resilience.people.models import Membership

NOTICES = (
    # title, body, pinned, published days ago (None: draft), grid-scoped
    ("防汛期间地下车库临时关闭的通知",
     "<p>受强降雨影响，<strong>地下车库今晚 20:00 起临时关闭</strong>，请车主及时挪车。</p>"
     "<ul><li>临时停车点：小区东门广场</li><li>咨询电话：居委会值班室</li></ul>", True, 0, False),
    ("高温天气独居老人关爱提示",
     "<p>近期持续高温，请邻里多关心独居老人，发现异常请及时联系网格员。</p>", False, 2, True),
    ("本周六应急疏散演练安排（草稿）",
     "<h3>演练时间</h3><p>周六上午 9:30，听到警报后沿楼道指示牌疏散至避难场所。</p>",
     False, None, False),
)

REPORTS = (
    (ReportKind.HAZARD, "3 号楼楼道堆放大量纸箱杂物，堵塞消防通道。"),
    (ReportKind.NEED, "楼上独居老人腿脚不便，停水期间需要有人帮忙送饮用水。"),
)


def seed(community) -> dict[str, int]:
    """Notices (one pinned, one for a grid, one draft) and residents' reports; once."""
    if Notice.objects.filter(community=community).exists():
        return {}
    now = timezone.now()
    grid = community.grids.order_by("id").first()
    building = community.buildings.order_by("id").first()
    staff = (Membership.objects.filter(community=community, role=Role.STAFF)
             .select_related("user").order_by("id").first())
    resident = (Membership.objects.filter(household__community=community, role=Role.RESIDENT)
                .select_related("user").order_by("id").first())
    with transaction.atomic():
        for title, body, pinned, days_ago, grid_scoped in NOTICES:
            Notice.objects.create(
                community=community, grid=grid if grid_scoped else None, title=title, body=body,
                pinned=pinned, created_by=staff.user if staff else None,
                publish_at=None if days_ago is None else now - dt.timedelta(days=days_ago),
                expires_at=None if days_ago is None else now + dt.timedelta(days=14))
        for kind, description in REPORTS:
            report = Report(community=community, kind=kind, description=description,
                            reporter=resident.user if resident else None, building=building,
                            latitude=getattr(building, "latitude", None),
                            longitude=getattr(building, "longitude", None))
            report.clean()
            report.save()
    return {"notices": len(NOTICES), "resident reports": len(REPORTS)}
