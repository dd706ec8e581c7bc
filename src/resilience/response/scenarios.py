"""Plan templates: what a community plan for each scenario contains before it is tailored.

Text is data here (Chinese, as community workers write plans, and English); a community's copy
is edited in the app. Tasks: (from level, phase, role, Chinese, English, minutes).
"""
from __future__ import annotations

from resilience.response.vocab import CommandRole as R
from resilience.response.vocab import Phase as P
from resilience.response.vocab import Scenario as S

# The common skeleton of every plan: command, warning, roll-call, report, recovery.
COMMON_TASKS = [
    (4, P.ALERT, R.COMMANDER, "启动预案并通知指挥部成员", "Activate the plan and call the command team", 15),
    (4, P.ALERT, R.COMMUNICATION, "向受影响居民发布预警信息", "Warn the residents of the area", 15),
    (4, P.ALERT, R.GRID_LEAD, "逐户联系本网格重点人群", "Check on the vulnerable residents of the grid", 30),
    (3, P.RESPONSE, R.LOGISTICS, "清点并调拨应急物资", "Count and dispatch emergency supplies", 60),
    (3, P.RESPONSE, R.DEPUTY, "向街道报送首份情况报告", "Send the first situation report to the street office", 60),
    (2, P.RESPONSE, R.MEDICAL, "设立临时医疗点", "Set up a first-aid point", 45),
    (2, P.RESPONSE, R.LOGISTICS, "开放应急避难场所", "Open the shelter", 60),
    (1, P.RESPONSE, R.COMMANDER, "请求区级救援力量支援", "Request district rescue forces", 20),
    (4, P.RECOVERY, R.DEPUTY, "统计损失并组织复盘", "Count the losses and hold the review", 1440),
    (4, P.RECOVERY, R.COMMUNICATION, "发布解除通知", "Announce the all-clear", 60),
]

LEVEL_CRITERIA = {
    1: ("出现人员死亡或重大财产损失，事态超出社区处置能力", "Deaths or major losses; beyond the community's means"),
    2: ("出现人员受伤或需疏散整栋楼", "People injured or a whole building to evacuate"),
    3: ("险情扩大，影响多户居民", "The danger grows and affects several households"),
    4: ("出现险情苗头或收到蓝色预警", "First signs of danger or a blue alert"),
}

TEMPLATES: dict[str, dict] = {
    S.HIGH_RISE_FIRE: {
        "name": ("高层建筑火灾应急预案", "High-rise fire plan"),
        "tasks": [
            (4, P.ALERT, R.GRID_LEAD, "组织楼内居民沿疏散楼梯撤离，禁止乘电梯", "Evacuate by the stairs, never the lifts", 10),
            (4, P.RESPONSE, R.LOGISTICS, "引导消防车通道，清理占道车辆", "Clear the fire engine access", 10),
            (3, P.RESPONSE, R.MEDICAL, "救护受烟熏人员", "Treat smoke inhalation", 20),
        ],
        "resources": [("equipment", "灭火器", 40), ("equipment", "防烟面罩", 100), ("shelter", "社区避难场所", 1)],
    },
    S.FLOOD: {
        "name": ("内涝及地下车库进水应急预案", "Waterlogging and underground garage flood plan"),
        "tasks": [
            (4, P.ALERT, R.LOGISTICS, "地下车库入口设置挡水板和沙袋", "Put flood barriers and sandbags at the garage entrance", 30),
            (4, P.ALERT, R.COMMUNICATION, "通知车主移车至地面", "Tell car owners to move their cars out", 20),
            (3, P.RESPONSE, R.LOGISTICS, "启动排水泵", "Start the pumps", 30),
            (2, P.RESPONSE, R.GRID_LEAD, "转移低洼楼层居民", "Move residents of low floors", 60),
        ],
        "resources": [("supply", "沙袋", 500), ("equipment", "挡水板", 10), ("equipment", "排水泵", 4)],
    },
    S.GAS_LEAK: {
        "name": ("燃气泄漏应急预案", "Gas leak plan"),
        "tasks": [
            (4, P.ALERT, R.COMMANDER, "通知燃气公司抢修，关闭总阀", "Call the gas company; close the main valve", 10),
            (4, P.RESPONSE, R.GRID_LEAD, "疏散泄漏点周边住户，严禁明火和开关电器", "Evacuate around the leak; no flames or switches", 15),
        ],
        "resources": [("equipment", "可燃气体检测仪", 2), ("equipment", "警戒带", 10)],
    },
    S.POWER_CUT: {
        "name": ("大面积停电应急预案", "Power cut plan"),
        "tasks": [
            (4, P.ALERT, R.LOGISTICS, "联系供电公司了解恢复时间", "Ask the utility when power returns", 20),
            (4, P.RESPONSE, R.MEDICAL, "优先保障居家制氧、透析等用电设备人员", "Look after residents on oxygen, dialysis or home devices first", 30),
            (3, P.RESPONSE, R.LOGISTICS, "调配应急发电机和照明", "Bring generators and lights", 60),
            (3, P.RESPONSE, R.GRID_LEAD, "排查电梯困人", "Check for people trapped in lifts", 20),
        ],
        "resources": [("equipment", "应急发电机", 2), ("equipment", "应急照明灯", 50)],
    },
    S.EARTHQUAKE: {
        "name": ("地震应急预案", "Earthquake plan"),
        "tasks": [
            (4, P.ALERT, R.GRID_LEAD, "组织居民到空旷处避险", "Lead residents to open ground", 10),
            (3, P.RESPONSE, R.LOGISTICS, "排查房屋、燃气和电力受损情况", "Inspect buildings, gas and power for damage", 120),
            (2, P.RESPONSE, R.COMMANDER, "组织搜救被困人员", "Search for trapped people", 30),
        ],
        "resources": [("shelter", "应急避难场所", 2), ("supply", "帐篷", 50), ("supply", "饮用水（箱）", 200)],
    },
    S.EPIDEMIC_LOCKDOWN: {
        "name": ("疫情封控应急预案", "Epidemic lockdown plan"),
        "tasks": [
            (4, P.ALERT, R.GRID_LEAD, "摸排重点人群用药、就医需求", "Survey medicine and care needs of vulnerable residents", 240),
            (3, P.RESPONSE, R.LOGISTICS, "组织生活物资团购与配送", "Organise food purchases and delivery", 720),
            (3, P.RESPONSE, R.MEDICAL, "建立就医绿色通道（透析、孕产、急症）", "Open a medical green channel (dialysis, pregnancy, emergencies)", 120),
            (2, P.RESPONSE, R.COMMUNICATION, "开通心理援助热线", "Open a psychological support line", 240),
        ],
        "resources": [("supply", "口罩", 10000), ("supply", "消毒液（升）", 200), ("supply", "常用药品包", 300)],
    },
    S.HEAT_WAVE: {
        "name": ("高温热浪应急预案", "Heat wave plan"),
        "tasks": [
            (4, P.ALERT, R.GRID_LEAD, "电话或上门探访独居老人", "Call or visit elderly people living alone", 240),
            (3, P.RESPONSE, R.LOGISTICS, "开放纳凉点并提供饮用水", "Open cooling centres with drinking water", 120),
            (2, P.RESPONSE, R.MEDICAL, "巡查中暑高危人群", "Round on residents at risk of heat stroke", 120),
        ],
        "resources": [("supply", "饮用水（箱）", 100), ("supply", "防暑药品", 200), ("shelter", "纳凉点", 2)],
    },
}
