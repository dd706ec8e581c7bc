"""The platform's shared safety lessons (Chinese), loaded by ``resilience manage load_lessons``
and by the demo. Each has a stable ``code``: loading again updates the text, never duplicates."""
from __future__ import annotations

from django.db import transaction

from resilience.participation.models import Lesson
from resilience.participation.vocab_learning import LessonTopic

LESSONS = (
    {
        "code": "self-rescue-basics",
        "topic": LessonTopic.SELF_RESCUE,
        "title": "火灾与灾害中的自救逃生",
        "summary": "遇到火灾、浓烟或建筑险情时，如何判断、如何撤离、撤不出去怎么办。",
        "minutes": 6,
        "body": (
            "<h3>先判断，再行动</h3>"
            "<p>听到警报或闻到烟味，先用手背试一试门把手：<strong>门把手烫手，不要开门</strong>，"
            "说明外面火势已近。</p>"
            "<h3>能撤就撤</h3>"
            "<ul><li>走楼梯，<strong>不要乘电梯</strong>。</li>"
            "<li>用湿毛巾捂住口鼻，弯腰低姿沿墙走，烟气往上走，贴近地面空气较好。</li>"
            "<li>随手关门，阻挡烟火蔓延；不要回头取财物。</li></ul>"
            "<h3>撤不出去时</h3>"
            "<ul><li>退回房间，关紧门，用湿毛巾、床单堵住门缝。</li>"
            "<li>到窗口或阳台呼救，白天挥动颜色鲜艳的衣物，夜间用手电筒示意。</li>"
            "<li>拨打 119，说清小区、楼号、楼层和被困人数。</li>"
            "<li>不要跳楼，不要乱用绳索从高层下滑。</li></ul>"),
        "quiz": [
            {"question": "发生火灾时，下楼逃生应该：",
             "choices": ["乘电梯，速度快", "走楼梯", "在家等待，哪里都不去"], "answer": 1},
            {"question": "门把手很烫时，应该：",
             "choices": ["立刻开门冲出去", "不开门，堵住门缝并呼救", "打开窗户跳下去"], "answer": 1},
            {"question": "穿过烟雾时，正确的姿势是：",
             "choices": ["挺直身体快跑", "低姿弯腰，用湿毛巾捂住口鼻", "屏住呼吸原地不动"],
             "answer": 1},
        ],
    },
    {
        "code": "fire-extinguisher-use",
        "topic": LessonTopic.FIRE_EXTINGUISHER,
        "title": "干粉灭火器的使用：提、拔、握、压",
        "summary": "楼道里最常见的干粉灭火器，四步就能用，初起火灾最有效。",
        "minutes": 4,
        "body": (
            "<p>干粉灭火器适合扑灭<strong>初起</strong>的固体、油类、气体和带电设备火灾。"
            "火势已大、烟很浓时，不要硬扑，立即撤离并拨打 119。</p>"
            "<h3>四个字：提、拔、握、压</h3>"
            "<ol><li><strong>提</strong>：提起灭火器，上下颠倒摇晃几次，使干粉松动。</li>"
            "<li><strong>拔</strong>：拔掉保险销。</li>"
            "<li><strong>握</strong>：一手握住喷管，对准<strong>火焰根部</strong>。</li>"
            "<li><strong>压</strong>：另一手用力压下压把，左右扫射，由近及远。</li></ol>"
            "<p>站在<strong>上风方向</strong>，距离火源约 2～3 米。平时看一看压力表指针，"
            "指在绿色区域才有效。</p>"),
        "quiz": [
            {"question": "灭火器的正确使用顺序是：",
             "choices": ["拔、提、压、握", "提、拔、握、压", "压、握、提、拔"], "answer": 1},
            {"question": "喷射时应对准：",
             "choices": ["火焰上方", "火焰根部", "烟雾最浓的地方"], "answer": 1},
            {"question": "压力表指针在哪个区域表示灭火器可用？",
             "choices": ["红色区域", "绿色区域", "黄色区域"], "answer": 1},
        ],
    },
    {
        "code": "flood-safety",
        "topic": LessonTopic.FLOOD_SAFETY,
        "title": "暴雨内涝安全须知",
        "summary": "暴雨预警时如何准备，积水来了如何避险，地下空间尤其危险。",
        "minutes": 5,
        "body": (
            "<h3>预警发布后</h3>"
            "<ul><li>把车从地下车库挪到地势高的地方，<strong>积水时不要进入地下车库</strong>。</li>"
            "<li>家住一楼或地下室的，把贵重物品、药品放到高处，准备沙袋或挡水板。</li>"
            "<li>备好手电筒、充电宝、饮用水和常用药。</li></ul>"
            "<h3>积水来了</h3>"
            "<ul><li>不要在积水中行走或驾车：水下可能有打开的井盖和漏电。</li>"
            "<li>远离电线杆、变压器、路灯和广告牌。</li>"
            "<li>室内进水时先<strong>切断电源和燃气</strong>，再往高处转移。</li>"
            "<li>听从网格员和居委会的转移安排，到指定避难场所。</li></ul>"),
        "quiz": [
            {"question": "暴雨积水时，地下车库：",
             "choices": ["赶紧进去把车开出来", "不要进入", "进去检查一下"], "answer": 1},
            {"question": "家中进水，首先应该：",
             "choices": ["切断电源和燃气", "用吸尘器吸水", "打开所有电器查看"], "answer": 0},
        ],
    },
    {
        "code": "first-aid-cpr",
        "topic": LessonTopic.FIRST_AID,
        "title": "急救基础：心肺复苏（CPR）",
        "summary": "有人突然倒地、没有反应、没有正常呼吸：呼救，按压，用 AED。",
        "minutes": 8,
        "body": (
            "<h3>一看二叫三按压</h3>"
            "<ol><li><strong>确认环境安全</strong>，拍打双肩、大声呼唤，判断有无反应。</li>"
            "<li>无反应、无正常呼吸：立即拨打 <strong>120</strong>，并请旁人去取 AED。</li>"
            "<li><strong>胸外按压</strong>：两手掌根重叠，放在胸部正中两乳头连线中点，"
            "手臂伸直垂直下压，深度 5～6 厘米，频率每分钟 100～120 次，每次按压后让胸廓完全回弹。</li>"
            "<li>受过训练的，每按压 30 次，开放气道、人工呼吸 2 次；没把握的，持续按压即可。</li>"
            "<li>AED 到了立即打开，按语音提示操作，直到专业人员接手。</li></ol>"
            "<p>按压中断越少越好。小区 AED 的位置可在居民首页“应急设施”中查到。</p>"),
        "quiz": [
            {"question": "成人胸外按压的频率是每分钟：",
             "choices": ["60～80 次", "100～120 次", "150～180 次"], "answer": 1},
            {"question": "成人胸外按压的深度约为：",
             "choices": ["1～2 厘米", "5～6 厘米", "10 厘米以上"], "answer": 1},
            {"question": "发现有人倒地无反应，第一步之后应立即：",
             "choices": ["拨打 120 并取 AED", "给他喝水", "等他自己醒来"], "answer": 0},
        ],
    },
    {
        "code": "ebike-charging",
        "topic": LessonTopic.EBIKE_CHARGING,
        "title": "电动自行车安全充电",
        "summary": "电动自行车起火多在充电时，一旦着火蔓延极快：不进楼、不过夜、用原装充电器。",
        "minutes": 4,
        "body": (
            "<h3>“三不”</h3>"
            "<ul><li><strong>不进楼入户</strong>：不把电动车推进楼道、电梯和家里。</li>"
            "<li><strong>不飞线充电</strong>：不从窗户拉电线、不私接插座。</li>"
            "<li><strong>不过夜充电</strong>：充满及时断电，一般不超过 8 小时。</li></ul>"
            "<h3>平时注意</h3>"
            "<ul><li>到小区集中充电棚充电，使用原装或合格充电器。</li>"
            "<li>不私自改装、更换大容量电池；电池鼓包、发烫、有异味立即停用。</li>"
            "<li>发现楼道里有电动车充电，告诉物业或网格员，也可以用“随手拍”上报。</li></ul>"),
        "quiz": [
            {"question": "电动自行车应在哪里充电？",
             "choices": ["家里客厅", "楼道里", "小区集中充电点"], "answer": 2},
            {"question": "电池发烫、鼓包时应该：",
             "choices": ["继续使用", "立即停用并更换", "放进冰箱降温"], "answer": 1},
        ],
    },
)


def load_lessons() -> dict[str, int]:
    """Create or update the shared lessons; returns how many were created and updated."""
    created = updated = 0
    with transaction.atomic():
        for data in LESSONS:
            values = {k: v for k, v in data.items() if k != "code"}
            lesson = Lesson.objects.filter(code=data["code"]).first()
            if lesson is None:
                lesson = Lesson(code=data["code"], community=None)
                created += 1
            else:
                updated += 1
            for name, value in values.items():
                setattr(lesson, name, value)
            lesson.full_clean()
            lesson.save()
    return {"created": created, "updated": updated}
