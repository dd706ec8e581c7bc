"""The demo community's risk register: about forty graded risk sources, as a committee keeps them.

Risks sit where they are in an estate of this kind: the e-bike charging sheds and the corridors
of old walk-ups, power rooms, the underground garage, the gas regulators, the oldest brick-concrete
blocks, the high-rise towers and their elevators, low-lying stretches of the internal roads, the
square in front of the community centre, the elderly care home. Each is assessed by the matrix or
LEC method, some twice (re-graded after a change), with controls in place and advice for
residents written as a committee would write them.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone
from shapely.geometry import Point, shape

from resilience.core.changelog import log_created
from resilience.core.geo import point
from resilience.core.roles import Role
from resilience.people.models import Membership, Organisation
from resilience.places.models import Building, Facility, Grid
from resilience.places.vocab import FacilityKind as K, Structure
from resilience.risks.grading import grade
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.vocab import Grade, Method, RiskType as T

# Inputs that give each grade, to draw from (checked by the demo tests).
MATRIX_INPUTS = {
    Grade.MAJOR: ((4, 5), (5, 4), (5, 5)),
    Grade.HIGH: ((3, 5), (5, 3), (4, 4)),
    Grade.MEDIUM: ((3, 3), (3, 4), (4, 3), (2, 5)),
    Grade.LOW: ((1, 4), (2, 2), (2, 3), (1, 5), (2, 4)),
}
LEC_INPUTS = {
    Grade.MAJOR: ((1, 6, 100), (3, 10, 15), (3, 6, 40)),
    Grade.HIGH: ((3, 6, 15), (1, 6, 40), (6, 3, 15), (3, 10, 7)),
    Grade.MEDIUM: ((1, 6, 15), (3, 6, 7), (3, 3, 15), (0.5, 6, 40), (1, 10, 15)),
    Grade.LOW: ((1, 6, 7), (0.5, 6, 15), (1, 3, 15), (0.5, 10, 7), (1, 6, 3)),
}

# kind: (description, controls in place, what residents should do)
TEXTS = {
    "ebike_shed": (
        "集中充电棚共{capacity}个充电位，夜间充电集中，电池老化、改装电池和私拉电线易引发火灾。",
        "智能充电桩充满自动断电并有过载保护；充电棚安装烟感和视频监控，配灭火器4具；物业每日巡查，"
        "禁止私拉电线。",
        "到充电棚集中充电，不要把电动自行车或电池带进楼道和家中；不要改装电池、不要整夜充电；"
        "发现冒烟起火立即拨打119并远离。"),
    "ebike_corridor": (
        "老旧多层住宅没有集中充电点，居民在楼道、楼梯间停放电动自行车并飞线充电，一旦起火，"
        "浓烟会封住唯一的疏散楼梯。",
        "楼组长每周劝导，张贴禁停告示；物业定期清理楼道堆物；已列入充电棚扩建计划。",
        "电动自行车不进楼道、不进家门，到小区充电棚充电；看到楼道里停放充电请告诉楼组长或物业；"
        "楼道起火时不要冲过烟雾下楼，关门待援并拨打119。"),
    "power_room": (
        "变压器和低压配电柜长期运行，夏季高温负荷大，存在设备过热、短路引发火灾和大面积停电的风险。",
        "物业电工每月巡检并红外测温；配电房配气体灭火器、挡鼠板和温湿度监测，门常锁并设警示标志。",
        "不要靠近或进入配电房，不在周围堆放杂物；闻到焦糊味、看到冒烟请告诉物业并拨打119；"
        "停电时关掉家中大功率电器，用应急灯照明，不要用蜡烛等明火。"),
    "garage": (
        "车库出入口低于周边道路，梅雨季和台风暴雨时雨水可能沿坡道倒灌，淹没车辆和配电设备，"
        "困住车库内人员。",
        "坡道设截水沟和两台排水泵，集水井有液位报警；备有挡水板、沙袋；汛前检查排水设施，"
        "暴雨预警时物业24小时值守。",
        "收到暴雨、台风预警时及早把车开出地下车库，停到地面高处；积水时不要进入车库或冒险取车；"
        "车库进水时立即沿楼梯向上离开，不要乘电梯。"),
    "gas_station": (
        "中压燃气经此降压后供全小区用气，设备老化、施工挖断或车辆撞击可能造成泄漏，遇明火可能爆炸。",
        "燃气公司每季度巡检，设围栏、警示标志和可燃气体报警；小区内动土施工须事先联系燃气公司。",
        "附近不要吸烟、燃放烟花或堆放杂物；闻到燃气味请远离，不要开关电器、不要在现场打电话，"
        "到安全处拨打燃气抢修电话962777或119。"),
    "gas_kitchen": (
        "{year}年建成的住宅，户内燃气管道和橡胶软管老化，部分独居老人仍在使用没有熄火保护的旧灶具。",
        "燃气公司入户安检，为独居老人免费更换金属软管和熄火保护灶具；网格员走访时提醒。",
        "用火不离人，出门和睡前关好燃气阀门；橡胶软管两年一换或换成金属软管；闻到燃气味先开窗、"
        "关阀门，不要开关电器，到户外拨打962777。"),
    "structure": (
        "{year}年建成的六层砖混住宅，部分墙体有裂缝，阳台、雨棚和外墙面砖老化，存在局部脱落和"
        "结构安全隐患。",
        "每年房屋安全检查，裂缝处设观测点；空鼓面砖已铲除修复；禁止擅自拆改承重墙。",
        "装修时不要拆改承重墙、不要在阳台堆放重物；发现墙体新裂缝、门窗变形请告诉物业或居委会；"
        "地震时躲在内墙墙角或坚固的桌子下，震后有序撤到避难点。"),
    "tower_fire": (
        "{floors}层高层住宅，管道竖井、楼道堆物和电动自行车上楼会让火势和烟气快速蔓延，"
        "高楼层居民疏散距离长。",
        "室内消火栓、自动喷淋和火灾自动报警系统，防火门常闭；物业每月检查消防设施，"
        "消防控制室24小时值班；每年组织疏散演练。",
        "保持楼道和防火门畅通，防火门要关上；着火时不要乘电梯，用湿毛巾捂住口鼻沿疏散楼梯向下走；"
        "烟大无法下楼时关门，用湿布堵住门缝，到窗边呼救并拨打119。"),
    "falling": (
        "窗台、阳台外沿摆放花盆杂物，空调外机支架锈蚀，大风天气和高空抛物可能伤及楼下行人和车辆。",
        "单元出入口设防护雨棚和警示标志，安装高空抛物监控；物业巡查阳台外挂物，大风前提醒居民收回。",
        "不要在窗台、阳台外沿摆放花盆杂物，严禁向窗外抛物；大风天关好门窗、收好晾晒衣物；"
        "经过楼下尽量走有雨棚的通道。"),
    "elevator": (
        "电梯使用年限较长，停电、门锁故障或超载可能困住乘客，被困的是老人、孕妇或病人时风险更大。",
        "维保单位每15天保养一次，轿厢内有五方通话和应急照明，张贴维保电话；每年特种设备定期检验。",
        "被困时保持冷静，按警铃或用对讲、电话求救，不要扒门或自行爬出；火灾、地震时不要乘电梯；"
        "发现电梯异常请告诉物业。"),
    "road_flood": (
        "路面低于周边，雨水井排水能力不足，短时强降雨时积水可达20至30厘米，影响通行，"
        "并可能漫进底层住户。",
        "汛前疏通雨水井和管道，配移动排水泵；暴雨时物业值守，设置警示标志。",
        "暴雨时不要趟水经过积水路段，远离雨水井、路灯杆和电箱；底层住户提前在门口放挡水板或沙袋，"
        "把贵重物品和电器放到高处。"),
    "crowding": (
        "广场舞、节日活动、疫苗接种和物资发放时人员集中，出入口较窄，容易拥挤踩踏。",
        "大型活动前制定安全预案，控制人数、设单向通道，由志愿者引导；出入口保持畅通。",
        "参加活动听从工作人员和志愿者指挥，不拥挤、不逆行；带老人和孩子的居民避开高峰；"
        "有人摔倒时大声提醒周围的人停下。"),
    "epidemic": (
        "流感、新冠等呼吸道传染病流行季节，社区老年人比例高、独居老人多，容易出现聚集性传播和重症。",
        "社区卫生服务中心开展疫苗接种和健康监测，重点人群建有健康档案，公共场所定期通风消毒。",
        "流行季节勤洗手、戴口罩、多通风，老人和慢性病患者按时接种疫苗；发热咳嗽尽量居家并告诉家庭"
        "医生；独居老人身体不适请联系网格员。"),
    "care_epidemic": (
        "入住老人年龄大、多病共存，集体居住和用餐，传染病一旦传入容易聚集性发病。",
        "每日健康监测和晨检，探视登记，流行季节限制探视；工作人员全程接种疫苗，定期消毒通风。",
        "家属探视前自测体温，有发热咳嗽时暂不探视；按照照护之家的要求预约探视时间。"),
    "care_fire": (
        "入住老人多为失能、半失能，夜间值守人员少，一旦起火疏散十分困难。",
        "自动喷淋、烟感和防火分隔，夜间两人值班，每季度疏散演练；行动不便的老人安排在靠近疏散口的"
        "房间。",
        "探望老人时不要带入电热毯、电暖器等大功率电器；发现烟火立即按报警按钮并拨打119，"
        "协助工作人员按预案转移老人。"),
    "typhoon": (
        "老旧住宅外挂空调外机支架、铁皮雨棚和晾衣架锈蚀，台风和强风天气可能坠落伤人。",
        "台风季前物业排查外挂设施，通知业主加固或拆除；台风预警时在楼下拉警戒线。",
        "台风来临前加固空调外机支架，收起阳台花盆和晾衣杆；台风期间待在室内，"
        "不要在楼下和广告牌下停留。"),
}
FIRST_NOTE = "年度风险辨识评估"


@dataclass
class Draft:
    """A risk source and its assessments, oldest first: (method, inputs, time, user id, note)."""

    risk: RiskSource
    history: list[tuple] = field(default_factory=list)


class RegisterBuilder:
    """Writes one community's risk register from its saved grids, buildings and facilities."""

    def __init__(self, community, rng: random.Random, today: dt.date):
        self.community, self.rng, self.today = community, rng, today
        self.grids = list(Grid.objects.filter(community=community).order_by("code"))
        self.grid_shapes = [(shape(g.geometry), g) for g in self.grids if g.geometry]
        self.buildings = list(Building.objects.filter(community=community).order_by("code"))
        self.facilities = list(Facility.objects.filter(community=community).order_by("code"))
        self.owners = {o.kind: o for o in
                       Organisation.objects.filter(community=community).order_by("-pk")}
        self.assessors = {}
        for role, grid_id, user_id in (Membership.objects.filter(community=community)
                                       .order_by("pk").values_list("role", "grid_id", "user_id")):
            self.assessors.setdefault((role, grid_id), user_id)
        self.drafts: list[Draft] = []

    def of_kind(self, kind: str) -> list[Facility]:
        return [f for f in self.facilities if f.kind == kind]

    # --- the register -----------------------------------------------------------------------

    def build(self) -> list[Draft]:
        rng = self.rng
        for shed in self.of_kind(K.EBIKE_CHARGING):
            target = rng.choice((Grade.HIGH, Grade.MEDIUM))
            earlier = Grade.HIGH if target == Grade.MEDIUM and rng.random() < 0.4 else None
            self.add("ebike_shed", T.EBIKE_FIRE, f"{shed.name}电动自行车充电起火", shed, Method.LEC,
                     target, earlier, "加装智能充电桩和自动喷淋后复评", capacity=shed.capacity or 20)
        walkups = [b for b in self.buildings if not b.has_elevator]
        towers = [b for b in self.buildings if b.has_elevator]
        oldest = sorted(walkups, key=lambda b: (b.year_built or 9999, b.code))
        for b in rng.sample(walkups, min(2, len(walkups))):
            self.add("ebike_corridor", T.EBIKE_FIRE, f"{b.name}楼道电动自行车停放充电", b, Method.LEC,
                     Grade.HIGH)
        for room in self.of_kind(K.POWER_ROOM):
            target = rng.choice((Grade.MEDIUM, Grade.LOW))
            earlier = Grade.MEDIUM if target == Grade.LOW and rng.random() < 0.4 else None
            self.add("power_room", T.ELECTRICAL, f"{room.name}电气火灾", room, Method.LEC, target,
                     earlier, "低压配电柜改造完成后复评")
        for garage in self.of_kind(K.UNDERGROUND_GARAGE):
            self.add("garage", T.GARAGE_FLOOD, f"{garage.name}暴雨倒灌", garage, Method.MATRIX,
                     Grade.MAJOR, Grade.HIGH, "参照周边小区梅雨期车库进水情况复评，后果等级上调")
        for gas in self.of_kind(K.GAS):
            target = Grade.HIGH if gas.geometry else Grade.MEDIUM
            self.add("gas_station", T.GAS, f"{gas.name}燃气泄漏爆炸", gas, Method.LEC, target)
        if oldest:
            b = oldest[0]
            self.add("gas_kitchen", T.GAS, f"{b.name}老旧燃气管道及灶具泄漏", b, Method.LEC,
                     Grade.MEDIUM, year=b.year_built)
        old_brick = [b for b in oldest if b.structure == Structure.BRICK_CONCRETE][:3]
        for k, b in enumerate(old_brick):
            target, earlier = ((Grade.MEDIUM, Grade.LOW) if k == 0
                               else (rng.choice((Grade.MEDIUM, Grade.LOW)), None))
            self.add("structure", T.STRUCTURE, f"{b.name}房屋结构安全（{b.year_built}年砖混）", b,
                     Method.MATRIX, target, earlier, "发现山墙新增裂缝后复评", year=b.year_built)
        for b in towers:
            target = Grade.HIGH if b.floors >= 25 or rng.random() < 0.3 else Grade.MEDIUM
            self.add("tower_fire", T.FIRE, f"{b.name}高层住宅火灾", b, Method.LEC, target,
                     floors=b.floors)
        for b in rng.sample(towers, min(3, len(towers))):
            self.add("falling", T.FALLING_OBJECTS, f"{b.name}高空坠物", b, Method.MATRIX,
                     rng.choice((Grade.MEDIUM, Grade.LOW)))
        elevators, seen = [], set()
        for lift in sorted(self.of_kind(K.ELEVATOR),
                           key=lambda f: (f.status == Facility.Status.IN_SERVICE, rng.random())):
            if lift.building_id not in seen and len(elevators) < 3:
                seen.add(lift.building_id)
                elevators.append(lift)
        for lift in elevators:
            target = Grade.MEDIUM if lift.status != Facility.Status.IN_SERVICE else Grade.LOW
            self.add("elevator", T.ELEVATOR, f"{lift.name}困人", lift, Method.LEC, target)
        self._roads()
        for centre in self.of_kind(K.COMMUNITY_CENTRE)[:1]:
            self.add("crowding", T.CROWDING, "社区党群服务站门前广场人员聚集", centre, Method.MATRIX,
                     Grade.MEDIUM)
        for shelter in [f for f in self.of_kind(K.SHELTER) if f.name.startswith("中心绿地")][:1]:
            self.add("crowding", T.CROWDING, "中心绿地广场人员聚集", shelter, Method.MATRIX, Grade.LOW)
        clinic = (self.of_kind(K.CLINIC) + self.of_kind(K.COMMUNITY_CENTRE))[:1]
        for place in clinic:
            self.add("epidemic", T.EPIDEMIC, "呼吸道传染病社区传播", place, Method.MATRIX,
                     Grade.MEDIUM, Grade.HIGH, "疫苗接种率提高、流行高峰过后复评",
                     owner=self.owners.get("health"))
        for care in self.of_kind(K.ELDERLY_CARE):
            self.add("care_epidemic", T.EPIDEMIC, f"{care.name}聚集性疫情", care, Method.MATRIX,
                     Grade.HIGH)
            self.add("care_fire", T.FIRE, f"{care.name}火灾（失能老人疏散困难）", care, Method.LEC,
                     Grade.MAJOR)
        if len(oldest) > 1:
            b = oldest[1]
            self.add("typhoon", T.TYPHOON, f"{b.name}台风期间空调外机、雨棚坠落", b, Method.MATRIX,
                     Grade.MEDIUM)
        return self.drafts

    def _roads(self) -> None:
        """Two low-lying stretches of the internal roads: on the east-west road between the grid
        rows, and where a north-south road meets it."""
        from resilience.demo import layout

        y = layout.MARGIN + layout.GRID_H + layout.INNER_ROAD / 2
        x_cross = layout.MARGIN + layout.GRID_W + layout.INNER_ROAD / 2
        spots = (("小区东西向主通道低洼路段积水", (x_cross + 60 + self.rng.uniform(0, 80), y),
                  Grade.MEDIUM),
                 ("南北向支路与主通道交叉口积水", (x_cross, y), self.rng.choice((Grade.LOW, Grade.HIGH))))
        for name, (x, y), target in spots:
            self.add("road_flood", T.FLOOD, name, None, Method.MATRIX, target,
                     at=self._latlng(x, y), owner=self.owners.get("property"))

    def _latlng(self, x: float, y: float) -> tuple[float, float]:
        """(latitude, longitude) of (x, y) metres from the community's south-west corner."""
        from resilience.demo import layout

        minx, miny, maxx, maxy = shape(self.community.geometry).bounds
        return (round(miny + (maxy - miny) * y / layout.COMMUNITY_H, 7),
                round(minx + (maxx - minx) * x / layout.COMMUNITY_W, 7))

    # --- one risk ---------------------------------------------------------------------------

    def add(self, text: str, risk_type: str, name: str, place, method: str, target: Grade,
            earlier: Grade | None = None, regrade_note: str = "", *, at=None, owner=None,
            **values) -> None:
        description, controls, advice = TEXTS[text]
        facility = place if isinstance(place, Facility) else None
        building = place if isinstance(place, Building) else None
        lat, lng = at or (place.latitude, place.longitude)
        grid_id = place.grid_id if place is not None else self._grid_at(lat, lng)
        if owner is None and place is not None:
            owner_id = place.owner_id if facility else place.manager_id
        else:
            owner_id = owner.pk if owner else None
        risk = RiskSource(
            community=self.community, grid_id=grid_id, building=building, facility=facility,
            risk_type=risk_type, name=name, description=description.format(**values),
            geometry=point(lat, lng), latitude=lat, longitude=lng, owner_id=owner_id,
            controls=controls, advice=advice)
        assessor = self._assessor(grid_id, owner_id)
        draft = Draft(risk)
        if earlier is not None:
            first = self.today - dt.timedelta(days=self.rng.randint(400, 700))
            draft.history.append((method, self._inputs(method, earlier), self._time(first),
                                  assessor, FIRST_NOTE))
            last = self.today - dt.timedelta(days=self.rng.randint(20, 300))
            draft.history.append((method, self._inputs(method, target), self._time(last),
                                  assessor, regrade_note))
        else:
            day = self.today - dt.timedelta(days=self.rng.randint(30, 360))
            draft.history.append((method, self._inputs(method, target), self._time(day),
                                  assessor, FIRST_NOTE))
        self.drafts.append(draft)

    def _inputs(self, method: str, target: Grade) -> dict:
        if method == Method.MATRIX:
            likelihood, consequence = self.rng.choice(MATRIX_INPUTS[target])
            return {"likelihood": likelihood, "consequence": consequence}
        l, e, c = self.rng.choice(LEC_INPUTS[target])  # noqa: E741 — the method's own letters
        return {"l": l, "e": e, "c": c}

    def _time(self, day: dt.date) -> dt.datetime:
        at = dt.datetime.combine(day, dt.time(self.rng.randint(9, 16), self.rng.randrange(0, 60, 5)))
        return timezone.make_aware(at, timezone.get_default_timezone())

    def _grid_at(self, lat: float, lng: float) -> int | None:
        here = Point(lng, lat)
        return next((g.pk for area, g in self.grid_shapes if area.covers(here)), None)

    def _assessor(self, grid_id, owner_id) -> int | None:
        a = self.assessors
        if owner_id and owner_id == getattr(self.owners.get("property"), "pk", None):
            found = a.get((Role.PROPERTY, None))
            if found:
                return found
        return a.get((Role.GRID_WORKER, grid_id)) or a.get((Role.STAFF, None))


def generate_risks(community, rng: random.Random, today: dt.date) -> dict[str, int]:
    """Write the risk register of a generated ``community``; return the rows written.

    Reads the community's saved grids, buildings, facilities, organisations and memberships, so it
    runs after them in the same transaction. Every risk is graded by ``risks.grading`` and carries
    its assessment history; the risks are in the change log (``bulk_create`` sends no signals).
    """
    drafts = RegisterBuilder(community, rng, today).build()
    for draft in drafts:
        method, inputs, when, _user, _note = draft.history[-1]
        draft.risk.method, draft.risk.inputs = method, inputs
        draft.risk.score, draft.risk.grade = grade(method, inputs)
        draft.risk.assessed_at = when
    risks = [d.risk for d in drafts]
    RiskSource.objects.bulk_create(risks)
    log_created(risks)
    assessments, times = [], []
    for draft in drafts:
        for method, inputs, when, user_id, note in draft.history:
            score, graded = grade(method, inputs)
            assessments.append(RiskAssessment(risk=draft.risk, method=method, inputs=inputs,
                                              score=score, grade=graded, assessed_by_id=user_id,
                                              note=note))
            times.append(when)
    RiskAssessment.objects.bulk_create(assessments)
    for assessment, when in zip(assessments, times):
        assessment.assessed_at = when  # auto_now_add stamped "now" on insert
    RiskAssessment.objects.bulk_update(assessments, ["assessed_at"])
    return {"risk sources": len(risks), "risk assessments": len(assessments)}
