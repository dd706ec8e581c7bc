"""Ready-made alert texts (预警模板) staff start from: the common warnings of a Chinese city
community, in Chinese and English, with plain "what to do" advice. A preset fills the authoring
form (``/alerts/alerts/add/?template=<key>``); staff then choose the area and adjust the words.

The texts are content, written in both languages here rather than translated strings: each
alert carries both versions to residents, whatever the language of the staff member's screen.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    key: str
    event_type: str
    level: int
    urgency: str
    certainty: str
    headline: str
    description: str
    instruction: str
    headline_en: str
    description_en: str
    instruction_en: str

    def initial(self) -> dict:
        return {name: getattr(self, name) for name in (
            "event_type", "level", "urgency", "certainty", "headline", "description",
            "instruction", "headline_en", "description_en", "instruction_en")}


PRESETS = [
    Preset("rainstorm", "rainstorm", 3, "Expected", "Likely",
           "暴雨预警", "预计未来几小时有强降雨，低洼处和地下空间可能积水。",
           "不要进入地下车库和地下通道；把车辆移到高处；关好门窗，远离积水和电线杆。",
           "Rainstorm warning", "Heavy rain is expected in the next hours; low ground and "
           "underground spaces may flood.",
           "Stay out of underground garages and passages; move cars to higher ground; keep "
           "away from standing water and power poles."),
    Preset("waterlogging", "flood", 2, "Immediate", "Observed",
           "地下车库进水", "地下车库已开始进水，水位正在上涨。",
           "立即离开地下车库，不要去挪车；听从社区工作人员指挥。",
           "Underground garage flooding", "Water is entering the underground garage and "
           "rising.", "Leave the garage now and do not go back for your car; follow the "
           "community staff."),
    Preset("typhoon", "typhoon", 2, "Expected", "Likely",
           "台风预警", "台风将影响本社区，将有大风和暴雨。",
           "收好阳台上的花盆和杂物；不要外出；备好饮用水、手电和药品。",
           "Typhoon warning", "A typhoon will bring strong wind and heavy rain to the "
           "community.", "Bring in pots and loose things from balconies; stay indoors; keep "
           "water, a torch and your medicines ready."),
    Preset("heat", "heat", 3, "Expected", "Likely",
           "高温预警", "未来几天最高气温将超过 35°C。",
           "白天少出门，多喝水；独居老人请与家人或网格员保持联系。",
           "Heat warning", "Temperatures will exceed 35 °C in the coming days.",
           "Avoid going out at midday and drink often; older people living alone, keep in "
           "touch with family or your grid worker."),
    Preset("cold", "cold", 3, "Expected", "Likely",
           "寒潮预警", "气温将大幅下降，并有大风。",
           "注意保暖，检查取暖设备是否安全；不要在室内使用炭火取暖。",
           "Cold wave warning", "Temperatures will drop sharply, with strong wind.",
           "Keep warm and check your heater is safe; never burn charcoal indoors."),
    Preset("fire", "fire", 2, "Immediate", "Observed",
           "火灾预警", "楼内发生火情。",
           "用湿毛巾捂住口鼻，沿楼梯向下撤离，不要乘电梯；无法撤离时关门待援并拨打 119。",
           "Fire warning", "There is a fire in the building.",
           "Cover nose and mouth with a wet cloth and go down the stairs, not the lift; if you "
           "cannot leave, close the door, wait for help and call 119."),
    Preset("gas", "gas", 2, "Immediate", "Observed",
           "燃气泄漏", "附近检测到燃气泄漏。",
           "不要开关电器、不要点火；打开门窗，离开房间，到室外后拨打燃气抢修电话。",
           "Gas leak", "A gas leak has been detected nearby.",
           "Do not switch anything on or off and make no flame; open windows, leave, and call "
           "the gas emergency line from outside."),
    Preset("power_cut", "power_cut", 3, "Expected", "Observed",
           "停电通知", "社区将停电。",
           "使用制氧机、透析等医疗设备的居民请立即联系网格员；备好手电，不要使用明火照明。",
           "Power cut", "The community's power will be cut.",
           "Residents on oxygen, dialysis or other powered medical devices: contact your grid "
           "worker now; keep a torch ready and do not use candles."),
    Preset("water_cut", "water_cut", 4, "Expected", "Observed",
           "停水通知", "社区将停水。", "提前储存饮用水和生活用水。",
           "Water cut", "The community's water supply will be cut.",
           "Store drinking and washing water in advance."),
    Preset("earthquake", "earthquake", 1, "Immediate", "Observed",
           "地震", "本地发生有感地震。",
           "震时就近躲避在坚固家具旁，震后沿楼梯撤到空旷处，远离建筑物和电线。",
           "Earthquake", "An earthquake has been felt here.",
           "During shaking take cover beside sturdy furniture; afterwards go down the stairs "
           "to open ground, away from buildings and power lines."),
    Preset("epidemic", "epidemic", 3, "Expected", "Likely",
           "疫情防控提示", "本社区出现传染病病例。",
           "减少聚集，戴好口罩，勤洗手；出现发热等症状请联系社区卫生服务中心。",
           "Epidemic notice", "Cases of an infectious disease have appeared in the community.",
           "Avoid gatherings, wear a mask and wash hands often; call the community health "
           "centre if you have a fever."),
]
BY_KEY = {p.key: p for p in PRESETS}


def get(key: str) -> Preset | None:
    return BY_KEY.get(key or "")
