"""Shared safety-inspection checklists (community NULL): the "physical examination" of a community.

Item text is data, in Chinese, as committees and property companies write their checklists. A
failed item becomes a hidden hazard of the item's severity, due in ``rectify_days`` days.
"""
from django.db import migrations

M, G = "major", "general"

# name → (risk_type, facility_kind, description, [(text, severity, rectify_days), …])
CHECKLISTS = {
    "消防安全检查": ("fire", "fire_equipment", "住宅楼栋日常消防安全巡查（对照《高层民用建筑消防安全管理规定》和居民楼消防巡查要求）。", [
        ("消防通道、楼梯间和安全出口畅通，无杂物堆放、无占用、无锁闭", M, 1),
        ("消防车通道无车辆占用，禁停标线和标识清晰", M, 1),
        ("楼道、门厅内无电动自行车停放，无“飞线”充电", M, 1),
        ("灭火器在有效期内，压力指针位于绿区，铅封完好", G, 7),
        ("室内消火栓箱内水带、水枪齐全，箱门开启无障碍", G, 7),
        ("应急照明和疏散指示标志完好有效", G, 7),
        ("常闭式防火门处于关闭状态，闭门器和顺序器完好", G, 3),
        ("楼道内电气线路无私拉乱接、无老化破损", G, 7),
    ]),
    "室外消火栓检查": ("fire", "hydrant", "小区室外消火栓季度检查（冬季另查防冻）。", [
        ("消火栓周边无车辆停放、无杂物遮挡和圈占", M, 1),
        ("开启阀门灵活，放水试验出水正常、压力不低于0.1兆帕", M, 7),
        ("出水口闷盖齐全，栓体无漏水", G, 7),
        ("栓体无破损、无明显锈蚀，油漆完好", G, 14),
        ("消火栓标识清晰，位置标注在小区消防平面图上", G, 14),
        ("冬季防冻保温措施到位", G, 7),
    ]),
    "配电房安全检查": ("electrical", "power_room", "小区配电房（开闭所）月度安全巡视。", [
        ("配电柜无异响、异味，接线端子无过热变色", M, 1),
        ("室内无积水、无渗漏，排风设施运行正常", G, 3),
        ("门窗完好，挡鼠板高度不低于40厘米，无小动物进入痕迹", G, 7),
        ("绝缘垫、绝缘手套、验电器等安全工器具齐全且在检验有效期内", G, 7),
        ("配备气体或干粉灭火器且在有效期内", G, 7),
        ("室内无杂物堆放，无易燃易爆物品", G, 3),
        ("应急照明完好，“高压危险”等警示标识齐全", G, 7),
        ("运行记录、巡视记录完整，钥匙专人保管", G, 14),
    ]),
    "燃气设施安全检查": ("gas", "gas", "燃气调压站（箱）、庭院管道及沿街商户燃气安全检查。", [
        ("调压站（箱）周围无燃气异味，检漏仪检测无泄漏", M, 1),
        ("沿街餐饮商户安装燃气泄漏报警和自动切断装置且运行正常", M, 7),
        ("调压设备外观完好，无锈蚀、无破损", G, 14),
        ("庭院管道及阀门无锈蚀、无私接，阀门启闭灵活", G, 7),
        ("调压站周边无违章建筑、无堆物占压", G, 7),
        ("护栏、围墙完好，无关人员无法进入", G, 14),
        ("安全警示标志和燃气抢修电话清晰", G, 14),
    ]),
    "电动自行车充电场所安全检查": ("ebike_fire", "ebike_charging", "非机动车集中停放充电场所周检。", [
        ("充电线路穿管保护，无私拉乱接、无“飞线”充电", M, 1),
        ("充电场所与住宅楼安全出口、疏散通道保持安全距离", M, 14),
        ("充电桩完好，具备充满自动断电和过载保护功能", G, 7),
        ("配备灭火器或消防沙箱且在有效期内", G, 3),
        ("充电棚顶棚及周边为不燃材料，无可燃物堆放", G, 7),
        ("视频监控和烟感报警设施运行正常", G, 7),
        ("无改装车辆、无拆装电池违规充电", G, 3),
        ("安全警示标识和应急电话张贴齐全", G, 14),
    ]),
    "地下车库汛前安全检查": ("garage_flood", "underground_garage", "每年汛期（梅雨季）前对地下车库防汛设施的检查。", [
        ("车库出入口挡水板完好、数量足够，能在10分钟内安装到位", M, 3),
        ("集水井排水泵启停正常，备用泵可自动切换", M, 3),
        ("排水泵双电源或备用发电机可正常启动", M, 7),
        ("沙袋、吸水膨胀袋等防汛物资储备充足", G, 3),
        ("坡道截水沟、集水井无淤堵，盖板完好", G, 3),
        ("水位报警器和视频监控运行正常", G, 7),
        ("应急照明、疏散指示完好，配电设施高于可能积水位", G, 7),
        ("防汛应急预案和值班表已更新，联络电话畅通", G, 7),
        ("车库内无违规停放电动自行车、无堆放易燃物", G, 3),
    ]),
    "电梯安全检查": ("elevator", "elevator", "住宅电梯月度安全检查（维保单位每15日维保之外）。", [
        ("轿厢内紧急报警装置（五方通话）可正常接通", M, 1),
        ("电梯使用标志在检验有效期内，张贴于轿厢显著位置", G, 7),
        ("维保单位每15日一次的维保记录完整", G, 7),
        ("轿厢照明、通风正常，平层准确，开关门无异常", G, 3),
        ("机房和底坑无杂物、无漏水，机房门锁完好", G, 7),
        ("乘梯安全须知和困人救援电话张贴清晰", G, 7),
        ("电动自行车阻车装置运行正常", G, 7),
    ]),
    "高层建筑消防安全检查": ("fire", "", "高层住宅楼（建筑高度超过27米）的消防和外立面安全检查。", [
        ("消防控制室24小时双人值班，值班人员持证上岗", M, 1),
        ("防烟楼梯间及前室防火门常闭，无锁闭、无损坏", M, 1),
        ("室内消火栓和自动喷水灭火系统压力正常", M, 3),
        ("避难层（间）未被占用，标识清晰", M, 3),
        ("屋顶消防水箱水位正常，出水阀门处于开启状态", G, 3),
        ("消防电梯迫降功能正常", G, 7),
        ("管道井、电缆井层间封堵完好", G, 7),
        ("外墙保温和装饰材料无空鼓脱落，无高空坠物隐患", G, 14),
        ("楼顶、阳台无违章搭建，无可燃物堆放", G, 7),
    ]),
    "应急避难场所完好性检查": ("other", "shelter", "应急避难场所（室内、室外）季度完好性检查。", [
        ("场所出入口和内部通道畅通，无占用", M, 1),
        ("应急避难场所标志和疏散指引标识清晰完好", G, 7),
        ("应急照明和备用电源可正常使用", G, 7),
        ("应急物资（帐篷、折叠床、毛毯、饮用水）按清单在位且在保质期内", G, 14),
        ("应急供水点和临时厕所点位已落实", G, 14),
        ("无障碍通道和老人、母婴休息区可用", G, 14),
        ("广播和通信设备可正常使用", G, 7),
        ("场所管理人员名单和联系电话已更新", G, 7),
    ]),
}


def create_checklists(apps, schema_editor):
    ChecklistTemplate = apps.get_model("risks", "ChecklistTemplate")
    ChecklistItem = apps.get_model("risks", "ChecklistItem")
    for name, (risk_type, facility_kind, description, items) in CHECKLISTS.items():
        template, created = ChecklistTemplate.objects.get_or_create(
            community=None, name=name,
            defaults={"risk_type": risk_type, "facility_kind": facility_kind,
                      "description": description})
        if created:
            ChecklistItem.objects.bulk_create(
                ChecklistItem(template=template, order=n, text=text, severity=severity,
                              rectify_days=days)
                for n, (text, severity, days) in enumerate(items, start=1))


def remove_unused_checklists(apps, schema_editor):
    ChecklistTemplate = apps.get_model("risks", "ChecklistTemplate")
    ChecklistTemplate.objects.filter(
        community=None, name__in=list(CHECKLISTS), plans=None, inspections=None).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("risks", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_checklists, remove_unused_checklists),
    ]
