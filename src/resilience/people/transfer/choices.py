"""Reading coded values (sex aside) from how people write them: the code, the label in any of the
site's languages, or the words community workers use (独居老人, 低保, 消防栓…)."""
from __future__ import annotations

import functools

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from resilience.people.transfer.parsers import CellError, key, split_list, text
from resilience.people.vocab import Availability, Relationship, Skill, Vulnerability
from resilience.places.models import Facility
from resilience.places.vocab import FacilityKind, Structure

ALIASES: dict[type[models.TextChoices], dict[str, tuple[str, ...]]] = {
    Vulnerability: {
        "elderly_alone": ("独居老人", "独居", "空巢老人", "孤寡老人", "living alone"),
        "elderly": ("高龄老人", "高龄", "80岁以上老人", "八十岁以上老人", "80+"),
        "disabled": ("残疾人", "残疾", "残障人士", "残障", "disability"),
        "bedridden": ("卧床", "长期卧床", "失能", "失能老人"),
        "chronic_illness": ("慢性病", "慢病", "慢性病患者", "chronic disease"),
        "dialysis": ("透析", "血透", "血液透析", "腹透", "腹膜透析"),
        "oxygen": ("吸氧", "家庭氧疗", "氧疗", "居家吸氧"),
        "medical_device": ("家用医疗设备", "医疗设备", "呼吸机"),
        "mental_health": ("精神障碍", "精神疾病", "严重精神障碍", "精神病"),
        "pregnant": ("孕妇", "孕产妇", "怀孕"),
        "infant": ("婴幼儿", "婴儿", "幼儿"),
        "low_income": ("低保", "低保户", "低收入", "低收入家庭", "困难家庭", "特困"),
        "language_barrier": ("语言障碍", "语言不通"),
        "left_behind_child": ("留守儿童",),
    },
    Relationship: {
        "head": ("户主", "本人", "self"),
        "spouse": ("配偶", "妻子", "丈夫", "妻", "夫", "wife", "husband"),
        "child": ("子女", "儿子", "女儿", "子", "女", "长子", "长女", "次子", "次女", "son", "daughter"),
        "parent": ("父母", "父亲", "母亲", "父", "母", "公公", "婆婆", "岳父", "岳母", "father", "mother"),
        "grandchild": ("孙子", "孙女", "外孙", "外孙女", "孙子女"),
        "relative": ("亲属", "其他亲属", "兄弟", "姐妹", "兄弟姐妹", "儿媳", "女婿", "other relative"),
        "tenant": ("租户", "租客", "承租人"),
        "other": ("其他", "其它", "保姆"),
    },
    FacilityKind: {
        "power_room": ("配电房", "配电室", "变配电室", "配电间"),
        "fire_equipment": ("消防器材", "消防设施", "灭火器", "微型消防站"),
        "hydrant": ("消火栓", "消防栓", "室外消火栓", "hydrant"),
        "ebike_charging": ("电动车充电桩", "电动自行车充电桩", "充电桩", "电瓶车充电点"),
        "gas": ("燃气调压站", "燃气调压箱", "调压站", "燃气", "加气站"),
        "elevator": ("电梯", "lift"),
        "parking": ("停车场", "停车位"),
        "underground_garage": ("地下车库", "地下停车库", "地下室"),
        "shelter": ("应急避难场所", "避难场所", "避难所", "应急避难点"),
        "warehouse": ("应急物资仓库", "物资仓库", "仓库", "物资储备点"),
        "clinic": ("社区卫生服务站", "社区卫生服务中心", "卫生服务站", "诊所", "卫生室"),
        "pump": ("排水泵", "排涝泵", "水泵", "泵站"),
        "aed": ("除颤仪", "自动体外除颤器"),
        "community_centre": ("社区中心", "社区活动中心", "党群服务中心", "活动室"),
        "school": ("学校", "幼儿园", "小学", "中学"),
        "elderly_care": ("养老院", "养老服务中心", "日间照料中心", "敬老院", "长者照护之家"),
        "other": ("其他", "其它"),
    },
    Facility.Status: {
        "in_service": ("在用", "正常", "使用中", "完好"),
        "out_of_service": ("停用", "故障", "损坏", "报废"),
        "under_repair": ("维修中", "检修", "维修"),
    },
    Structure: {
        "brick_concrete": ("砖混", "砖混结构"),
        "frame": ("框架", "框架结构", "钢筋混凝土框架"),
        "shear_wall": ("剪力墙", "剪力墙结构", "框架剪力墙"),
        "steel": ("钢结构", "钢"),
        "masonry": ("砌体", "砌体结构", "砖木"),
        "timber": ("木结构", "木"),
        "other": ("其他", "其它"),
    },
    Skill: {
        "first_aid": ("急救", "红十字救护员", "救护"),
        "medical": ("医疗", "医护", "医生", "护士"),
        "nursing": ("护理", "养老护理", "照护"),
        "psychology": ("心理", "心理疏导", "心理咨询", "心理支持"),
        "electrician": ("电工",),
        "plumbing": ("水电", "管道", "水管工", "水暖"),
        "driving": ("驾驶", "司机", "开车"),
        "translation": ("翻译", "手语", "外语"),
        "rescue": ("救援", "搜救", "应急救援"),
        "logistics": ("物流", "配送", "跑腿", "搬运"),
        "it": ("信息技术", "通信", "电脑", "网络"),
        "childcare": ("托育", "照看儿童", "看护儿童"),
    },
    Availability: {
        "anytime": ("随时", "任何时间", "全天"),
        "weekdays": ("工作日",),
        "evenings": ("晚上", "晚间", "下班后"),
        "weekends": ("周末", "双休日"),
        "emergency_only": ("仅紧急情况", "应急时", "紧急时"),
    },
}


@functools.cache
def lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Comparison key → code, from codes, labels in every site language, and aliases."""
    table: dict[str, str] = {}
    for code, aliases in ALIASES.get(choices, {}).items():
        for alias in aliases:
            table.setdefault(key(alias), code)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for member in choices:
                table[key(str(member.label))] = member.value
    for member in choices:
        table[key(member.value)] = member.value
    return table


def parse_choice(value, choices: type[models.TextChoices]) -> str | None:
    """One coded value; empty gives None, an unknown one a CellError naming it."""
    shown = text(value)
    if not shown:
        return None
    code = lookup(choices).get(key(shown))
    if code is None:
        raise CellError(_("Unknown value %(value)r (known: %(known)s).") % {
            "value": shown, "known": known_labels(choices)})
    return code


def parse_choices(value, choices: type[models.TextChoices]) -> list[str]:
    """Several coded values separated by ， , ; 、 or |; every unknown one is named in the error."""
    table = lookup(choices)
    codes, unknown = [], []
    for part in split_list(value):
        code = table.get(key(part))
        if code is None:
            unknown.append(part)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CellError(_("Unknown value(s): %(values)s (known: %(known)s).") % {
            "values": "、".join(unknown), "known": known_labels(choices)})
    return codes


def known_labels(choices: type[models.TextChoices]) -> str:
    return ", ".join(str(label) for label in choices.labels)


def label(choices: type[models.TextChoices], code: str) -> str:
    """The label of a code in the active language (the code itself if unknown)."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code
