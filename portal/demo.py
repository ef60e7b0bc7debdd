"""Demo data: HQ, one branch per industry, a user for every role, a few dozen customer files,
and a month of tickets in every state in every branch.

Every demo user's password is ``DEMO_PASSWORD``; the README lists the logins.

The tickets are worked through the real service functions (``portal.core.tickets`` and
``portal.core.visits``) by the branch's own clerk, engineer and manager, so they obey every
rule a person would meet. Only the moments are the story's: see :class:`_StoryClock`.
"""

from __future__ import annotations

import base64
import math
import random
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm.attributes import flag_modified

from .core import sla_sweep, tickets, visits
from .core.models import (
    Charge, Contact, Customer, Product, Quote, RepairReceipt, Ticket, TicketAssignment, TicketEvent, TicketPause,
    User, Visit,
)
from .core.models.types import utcnow
from .core.plugin_state import branch_hooks, forget_cache
from .core.provisioning import create_branch, create_user, sync_roles
from .core.warranty import warranty_end
from .extensions import db

DEMO_PASSWORD = "demo-2026"

BRANCHES = [
    # code, name, province, plugin, extra roles of the plugin
    ("SH", "上海南京路店", "上海", "retail_store", ["store_clerk", "store_manager"]),
    ("ZZ", "郑州设备服务站", "河南", "equipment_field",
     ["dispatcher", "field_engineer", "aftersales_manager", "general_manager"]),
    ("GZ", "广州汽车4S店", "广东", "auto_workshop",
     ["service_advisor", "workshop_manager", "parts_keeper", "technician", "aftersales_director"]),
    ("CD", "成都置业售后部", "四川", "real_estate", ["sales_agent", "aftersales_officer", "property_liaison"]),
]

CITIES = {"SH": "上海", "ZZ": "郑州", "GZ": "广州", "CD": "成都"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建华"]
# Customer i owns product i % 3, so every product has owners for the tickets about it.
PRODUCTS = {
    "retail_store": [("羊毛西服", "WS-2026"), ("真皮夹克", "LJ-88"), ("羽绒服", "DJ-300")],
    "equipment_field": [("数控机床", "CNC-500"), ("空压机", "AC-75"), ("激光切割机", "LC-3015")],
    "auto_workshop": [("轿车", "凯美瑞 2.0G"), ("SUV", "汉兰达 2.5"), ("轿车", "雷凌 1.5")],
    "real_estate": [("住宅", "锦城花园 3栋"), ("住宅", "锦城花园 5栋"), ("商铺", "锦城广场 1层")],
}


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _customers(branch, plugin: str, creator, rng: random.Random, count: int = 10) -> list[Customer]:
    today = date.today()
    zone = ZoneInfo(branch.timezone)
    made = []
    for i in range(count):
        company = i % 4 == 3
        name = f"{branch.province}{_person(rng)}实业有限公司" if company else _person(rng)
        bought = today - timedelta(days=rng.randint(1, 700))
        # The file was opened when the customer bought, not when the demo was loaded.
        opened = datetime.combine(bought, time(10, 30), zone).astimezone(timezone.utc)
        customer = Customer(
            branch_id=branch.id, kind="company" if company else "person", name=name,
            phone=f"13{rng.randint(100000000, 999999999)}", province=branch.province,
            city=CITIES[branch.code], address=f"{CITIES[branch.code]}市人民路{rng.randint(1, 999)}号",
            created_by_id=creator.id, created_at=opened, updated_at=opened,
        )
        if company:
            customer.contacts.append(Contact(name=_person(rng), title="设备主管", phone=f"139{rng.randint(10000000, 99999999)}"))
        product_name, model = PRODUCTS[plugin][i % len(PRODUCTS[plugin])]
        customer.products.append(Product(
            branch_id=branch.id, name=product_name, model=model,
            serial_number=f"{branch.code}{bought:%y%m}{rng.randint(10000, 99999)}",
            purchase_date=bought, invoice_number=f"FP{rng.randint(10000000, 99999999)}",
            warranty_card_number=f"BK{rng.randint(100000, 999999)}", delivered_on=bought,
            warranty_end=warranty_end(bought),
        ))
        db.session.add(customer)
        made.append(customer)
    return made


# --- tickets: what customers ask for, per industry -----------------------------------------------

@dataclass(frozen=True)
class Case:
    kind: str
    channel: str
    priority: str
    product: int | None  # index into PRODUCTS[plugin]; None: no product concerned
    title: str
    description: str
    handling: str
    nature: str
    cause: str
    solution: str
    part: str = ""
    exclusions: tuple[str, ...] = ()


# One case per slot of PLAN below, in the same order: a case's handling fits what its slot
# does (the slots with a visit on site get on-site cases where the industry has them).
CASES = {
    "retail_store": [
        Case("consultation", "web", "low", 0, "羊毛西服干洗保养咨询", "顾客在官网留言，询问羊毛西服能否免费干洗、多久可以取。",
             "phone_guidance", "other", "", "告知购买当年可免费干洗一次，约三个工作日取件。"),
        Case("repair", "letter", "normal", 2, "羽绒服拉链坏", "顾客来信反映羽绒服主拉链拉头脱落，无法拉合，要求维修。",
             "taken_for_repair", "product_quality", "拉头质量问题", "更换同款拉头。"),
        Case("return_exchange", "visit", "normal", 2, "羽绒服跑绒要求换货", "购买后袖口处持续跑绒，顾客到店要求换一件同款同色。",
             "sent_to_hq", "product_quality", "面料防绒处理不良", "退回工厂检验，为顾客换新。"),
        Case("complaint", "hotline", "high", None, "投诉店员服务态度差", "顾客来电投诉周末在店试衣时店员态度冷淡、一直催促购买。",
             "phone_guidance", "staff_attitude", "", "店长电话致歉，对当班店员进行服务培训。"),
        Case("repair", "phone", "normal", 0, "VIP顾客西服改尺寸，约上门量体", "顾客体重变化，西服腰身偏紧，约定时间上门量体后带回修改。",
             "on_site", "other", "腰身尺寸偏小", "上门量体，放宽腰身两厘米。"),
        Case("repair", "visit", "normal", 0, "羊毛西服开线", "西服后背中缝开线约五厘米，顾客称正常穿着，未洗涤。",
             "taken_for_repair", "product_quality", "缝线张力不足", "重新缝合后背中缝并加固。"),
        Case("repair", "visit", "high", 1, "真皮夹克袖口脱皮", "夹克两侧袖口皮面起皮脱落，顾客要求修复。",
             "taken_for_repair", "product_quality", "皮面涂层附着不良", "袖口补色并重新上光。"),
        Case("repair", "email", "normal", 1, "真皮夹克衬里撕裂", "衬里腋下撕裂约十厘米，需寄回工厂更换衬里。",
             "sent_to_hq", "product_quality", "衬里缝份过窄", "工厂更换整件衬里。"),
        Case("repair", "visit", "normal", 2, "羽绒服被烟头烫破", "羽绒服前襟被烟头烫出一个小洞，顾客希望修补。",
             "taken_for_repair", "other", "人为烫伤", "绣花贴布修补。", exclusions=("misuse",)),
        Case("return_exchange", "phone", "normal", 0, "西服尺码不合适要求换货", "顾客收到礼品西服后发现尺码偏大，要求换小一码。",
             "phone_guidance", "other", "", "为顾客换小一码。"),
        Case("repair", "visit", "normal", 1, "真皮夹克拉链卡顿", "夹克主拉链拉动时卡顿，顾客担心损坏。",
             "taken_for_repair", "product_quality", "拉链齿变形", "校正拉链齿并上蜡。"),
        Case("repair", "visit", "normal", 0, "羊毛西服袖口磨损修补", "西服袖口磨损起毛，顾客希望修补。",
             "taken_for_repair", "other", "长期穿着磨损", "袖口织补。"),
        Case("complaint", "hotline", "normal", 2, "羽绒服洗后变形投诉", "顾客按洗标水洗后羽绒服充绒结块变形，投诉质量问题。",
             "phone_guidance", "product_quality", "", "经检验为洗涤方式不当，为顾客免费拍松整形并说明洗涤方法。"),
        Case("repair", "phone", "normal", 1, "真皮夹克拉链头断裂", "拉链头断裂，无法使用。",
             "taken_for_repair", "product_quality", "拉链头铸件缺陷", "更换整条拉链。"),
        Case("repair", "visit", "low", 2, "羽绒服袖口污渍清洗", "袖口油渍，顾客希望专业清洗。",
             "taken_for_repair", "other", "油渍", "专业清洗。", exclusions=("misuse",)),
    ],
    "equipment_field": [
        Case("consultation", "phone", "normal", 0, "数控机床报警代码咨询", "客户来电询问操作面板出现报警代码 ALM-401 的含义。",
             "phone_guidance", "other", "", "电话告知为伺服未就绪，指导客户复位。"),
        Case("repair", "email", "high", 1, "空压机压力不足", "排气压力只能达到 0.5MPa（额定 0.8MPa），产线气动工具无力。",
             "on_site", "product_quality", "进气阀膜片老化", "更换进气阀膜片。", part="进气阀膜片"),
        Case("repair", "hotline", "urgent", 0, "数控机床主轴异响", "主轴高速运转时有明显尖锐异响，客户已停机。",
             "on_site", "product_quality", "主轴轴承磨损", "更换主轴前轴承并重新预紧。", part="主轴轴承"),
        Case("installation", "letter", "normal", 2, "激光切割机搬迁后重新安装调试", "客户厂房搬迁，来函要求重新安装调试激光切割机。",
             "on_site", "other", "设备搬迁", "重新调平、对光并试切合格。"),
        Case("repair", "phone", "urgent", 1, "空压机运行中频繁停机", "空压机运行十几分钟即停机，客户约定明天上午上门。",
             "on_site", "product_quality", "温控开关失灵", "更换温控开关。", part="温控开关"),
        Case("repair", "hotline", "high", 2, "激光切割机切割面挂渣严重", "切割碳钢板时切割面挂渣严重，影响交货。",
             "on_site", "product_quality", "喷嘴磨损、焦点偏移", "更换喷嘴并重新标定焦点。", part="切割喷嘴"),
        Case("repair", "phone", "urgent", 0, "数控机床X轴定位不准", "加工件尺寸偏差 0.05mm，X轴重复定位不准。",
             "on_site", "product_quality", "丝杠螺母间隙过大", "调整丝杠间隙并补偿参数。"),
        Case("repair", "email", "high", 2, "激光器功率衰减需返厂检测", "激光器输出功率下降约三成，需返厂检测。",
             "sent_to_hq", "product_quality", "激光器老化", "返厂更换激光模块。"),
        Case("repair", "phone", "high", 1, "空压机油气分离器堵塞", "压差报警，油气分离器需要更换。",
             "parts_sent", "product_quality", "油气分离器到期", "寄送油气分离器，电话指导客户更换。", part="油气分离器"),
        Case("repair", "hotline", "normal", 0, "数控机床冷却液泄漏", "冷却液从防护罩底部渗漏。",
             "phone_guidance", "product_quality", "", "电话指导客户更换密封条。"),
        Case("repair", "phone", "high", 1, "空压机高温报警停机", "排气温度超过 110℃ 报警停机。",
             "on_site", "product_quality", "散热器堵塞、温控阀卡滞", "清洗散热器，更换温控阀。", part="温控阀"),
        Case("repair", "hotline", "normal", 0, "数控机床刀库换刀卡刀", "换刀时刀臂卡住，刀库无法回零。",
             "on_site", "product_quality", "刀臂定位销磨损", "更换定位销并调整刀库原点。", part="刀臂定位销"),
        Case("complaint", "letter", "normal", None, "投诉工程师未按约定时间到场", "客户来函投诉上次维修工程师迟到半天，影响生产。",
             "phone_guidance", "staff_attitude", "", "站长电话致歉，调整派工流程。"),
        Case("repair", "phone", "high", 2, "激光切割机水冷机报警", "水冷机流量报警，激光器无法出光。",
             "on_site", "product_quality", "水泵叶轮磨损", "更换水泵并清洗水路。", part="水冷机水泵"),
        Case("repair", "phone", "normal", 1, "空压机大修报价", "空压机运行满两万小时，客户询问大修费用。",
             "on_site", "other", "到期保养", "主机大修。"),
    ],
    "auto_workshop": [
        Case("consultation", "phone", "low", 0, "首保时间和项目咨询", "车主来电询问首次保养的时间和项目。",
             "phone_guidance", "other", "", "告知首保为五千公里或六个月，免工时费。"),
        Case("repair", "web", "normal", 2, "空调制冷效果差", "车主网上预约：空调出风不凉。",
             "taken_for_repair", "product_quality", "冷媒不足", "检漏并加注冷媒。"),
        Case("repair", "hotline", "high", 0, "发动机故障灯亮", "行驶中仪表盘发动机故障灯常亮，车辆可以行驶。",
             "taken_for_repair", "product_quality", "氧传感器故障", "更换前氧传感器并清除故障码。"),
        Case("complaint", "letter", "normal", 1, "投诉保养后车辆漏机油", "车主来信：上次保养后车位地面有机油痕迹。",
             "taken_for_repair", "product_quality", "放油螺栓垫片未更换", "更换放油螺栓垫片，免费补充机油。"),
        Case("repair", "phone", "normal", 2, "车主预约上门取车检查", "车主行动不便，约定时间上门取车做底盘检查。",
             "on_site", "other", "底盘例行检查", "上门取车检查，底盘无异常。"),
        Case("repair", "visit", "high", 0, "刹车异响", "低速刹车时前轮有明显金属摩擦声。",
             "taken_for_repair", "product_quality", "刹车片磨损到限", "更换前刹车片并打磨刹车盘。"),
        Case("repair", "hotline", "urgent", 1, "车辆无法启动请求上门救援", "车主来电：车辆停在小区内无法启动，仪表灯暗。",
             "on_site", "product_quality", "蓄电池亏电", "现场搭电启动，检测充电系统。"),
        Case("repair", "email", "high", 0, "变速箱换挡顿挫需厂家技术支持", "低速换挡顿挫明显，已刷新程序无效，需厂家技术支持。",
             "sent_to_hq", "product_quality", "阀体磨损", "按厂家方案更换阀体。"),
        Case("repair", "visit", "normal", 2, "前保险杠刮擦钣金喷漆", "倒车时刮擦前保险杠，车主要求钣金喷漆。",
             "taken_for_repair", "other", "外力刮擦", "钣金整形并喷漆。", exclusions=("misuse",)),
        Case("repair", "phone", "normal", 1, "中控屏黑屏", "中控屏偶发黑屏，重启后恢复。",
             "phone_guidance", "product_quality", "", "电话指导车主升级车机系统。"),
        Case("repair", "visit", "normal", 0, "车窗升降器异响", "左前车窗升降时有咔咔声。",
             "taken_for_repair", "product_quality", "升降器导轨缺油", "清洁导轨并润滑。"),
        Case("repair", "visit", "normal", 2, "蓄电池老化更换", "冬季早上启动困难，检测蓄电池老化。",
             "taken_for_repair", "other", "蓄电池老化", "更换蓄电池。"),
        Case("complaint", "hotline", "normal", None, "投诉维修等待时间过长", "车主投诉上次保养等待近四小时，没有人告知进度。",
             "phone_guidance", "staff_attitude", "", "售后经理致歉，赠送一次免费洗车。"),
        Case("repair", "visit", "high", 1, "发动机怠速抖动", "冷车启动后怠速抖动明显。",
             "taken_for_repair", "product_quality", "点火线圈故障", "更换点火线圈。"),
        Case("repair", "phone", "normal", 0, "更换全车轮胎报价", "车主询问更换四条轮胎的费用。",
             "taken_for_repair", "other", "轮胎老化", "更换四条轮胎。"),
    ],
    "real_estate": [
        Case("consultation", "phone", "low", 0, "产权证办理进度咨询", "业主来电询问产权证办理进度。",
             "phone_guidance", "other", "", "告知已递交不动产登记中心，预计下月领取。"),
        Case("repair", "web", "normal", 1, "卫生间漏水", "业主网上报修：卫生间地面漏水，楼下邻居天花板有水渍。",
             "on_site", "product_quality", "防水层破损", "重做卫生间防水并闭水试验。"),
        Case("repair", "hotline", "high", 0, "墙面开裂", "客厅墙面出现多条斜向裂缝，业主担心结构安全。",
             "on_site", "product_quality", "抹灰层收缩裂缝", "挂网重新抹灰并刷漆。"),
        Case("complaint", "letter", "normal", 2, "商铺交付面积与合同不符", "业主来函：实测面积比合同约定少 2.3 平方米，要求说明。",
             "phone_guidance", "contract_dispute", "", "按合同面积差异条款补偿差价。"),
        Case("repair", "phone", "high", 1, "入户门锁损坏无法反锁", "入户门锁芯损坏，无法反锁，业主约定明天上午上门。",
             "on_site", "product_quality", "锁芯故障", "更换锁芯。", part="C级锁芯"),
        Case("repair", "hotline", "normal", 0, "厨房下水管堵塞返味", "厨房下水缓慢并有异味。",
             "on_site", "product_quality", "存水弯安装不当", "重新安装存水弯并疏通。"),
        Case("repair", "hotline", "urgent", 1, "天花板渗水", "主卧天花板渗水，怀疑楼上管道漏水。",
             "on_site", "product_quality", "楼上给水管接头渗漏", "更换接头并修补天花板。"),
        Case("repair", "letter", "high", 0, "外墙保温层空鼓脱落", "业主来函：外墙保温层空鼓，有脱落风险，需开发商工程部出方案。",
             "sent_to_hq", "product_quality", "保温板粘结不牢", "工程部出方案后整体修复。"),
        Case("repair", "phone", "normal", 2, "商铺卷帘门电机故障", "卷帘门电机不转，商铺无法正常开门营业。",
             "on_site", "product_quality", "电机烧毁", "更换卷帘门电机。", part="卷帘门电机"),
        Case("repair", "phone", "normal", 0, "木地板起拱", "客厅木地板局部起拱。",
             "phone_guidance", "product_quality", "", "指导业主开窗通风，约定干燥后复查。"),
        Case("repair", "hotline", "normal", 1, "阳台推拉门变形关不严", "阳台推拉门变形，关闭后漏风。",
             "on_site", "product_quality", "滑轮损坏", "更换滑轮并调整门扇。", part="推拉门滑轮"),
        Case("repair", "phone", "normal", 2, "商铺空调外机支架锈蚀更换", "空调外机支架锈蚀严重，存在坠落风险。",
             "on_site", "other", "支架锈蚀", "更换不锈钢支架。", part="不锈钢支架"),
        Case("complaint", "visit", "normal", None, "投诉物业维修人员服务态度差", "业主到访投诉物业维修人员上门时态度生硬。",
             "phone_guidance", "staff_attitude", "", "物业公司书面致歉并更换维修人员。"),
        Case("repair", "hotline", "high", 0, "卫生间地漏反水", "卫生间地漏反水，有异味。",
             "on_site", "product_quality", "地漏防臭芯缺失", "更换防臭地漏。", part="防臭地漏"),
        Case("repair", "phone", "low", 1, "业主改造后水管渗漏", "业主自行改造厨房后水管接口渗漏，要求维修。",
             "on_site", "other", "业主改造", "更换接口。", exclusions=("modification",)),
    ],
}

# What happens to each of a branch's tickets: (target state, age, steps). Age is
# ("h", hours ago) or ("d", days ago at a local office hour); each step is (hours after
# opening, action, text). "paid" slots get an out-of-warranty product (or an exclusion).
WAIT = "客户出差，约定回来后再联系。"
PLAN = [
    ("received", ("h", 2), []),
    ("received", ("d", 6), []),
    ("triaged", ("h", 20), [(1, "triage", ""), (1.2, "call", "已电话回复客户，说明处理流程和时限。")]),
    ("triaged", ("d", 13), [(3, "triage", "")]),
    ("assigned", ("d", 2), [(1, "triage", ""), (2, "assign", "")]),
    ("assigned", ("d", 6), [(2, "triage", ""), (3, "assign", ""), (50, "reassign", "原负责人休假，由同事代班。")]),
    ("in_progress", ("d", 2), [(0.5, "triage", ""), (1, "assign", ""), (1.5, "start", ""), (3, "depart", ""),
                               (4.5, "arrive", ""), (5, "note", "现场初步检查完毕，正在处理。")]),
    ("in_progress", ("d", 16), [(2, "triage", ""), (4, "assign", ""), (24, "start", ""),
                                (48, "call", "客户来电催问进度，已解释原因并致歉。"),
                                (120, "note", "已向总部技术支持提交资料，尚未回复，已再次催办。"),
                                (200, "call", "回访客户，告知仍在等待总部/厂家答复。")]),
    ("in_progress", ("d", 5), [(1, "triage", ""), (2, "assign", ""), (20, "quote", ""), (30, "accept", ""),
                               (32, "start", "")]),
    ("waiting_customer", ("d", 9), [(1, "triage", ""), (2, "assign", ""), (4, "start", ""), (30, "wait", WAIT)]),
    ("resolved", ("d", 9), [(1, "triage", ""), (2, "assign", ""), (3, "start", ""), (25, "resolve", ""),
                            (26, "call", "回访客户，客户对处理结果满意。")]),
    ("closed", ("d", 26), [(1, "triage", ""), (2, "assign", ""), (6, "quote", ""), (20, "accept", ""),
                           (22, "start", ""), (70, "resolve", ""), (72, "close", "")]),
    ("closed", ("d", 18), [(1, "triage", ""), (2, "assign", ""), (4, "start", ""),
                           (30, "reassign", "原负责人出差，转交同事继续跟进。"), (40, "wait", "等待客户提供购买凭证。"),
                           (60, "resume", "客户已提供购买凭证。"), (100, "resolve", ""), (140, "close", "")]),
    ("closed", ("d", 29), [(1, "triage", ""), (2, "assign", ""), (4, "start", ""), (48, "resolve", ""),
                           (72, "close", ""), (200, "call", "客户来电反映同样问题再次出现。"),
                           (201, "reopen", "同一故障再次出现，重新处理。"), (260, "resolve", ""), (280, "close", "")]),
    ("cancelled", ("d", 7), [(2, "triage", ""), (4, "quote", ""), (28, "decline", ""),
                             (30, "cancel", "客户不接受维修报价，放弃维修。")]),
]
PAID_SLOTS = {8, 11, 14}  # indexes into PLAN
PROMISED_SLOT = 4  # the customer was promised a time on site: its arrival clock is at risk

# parts, labour and travel of a quote, in whole yuan (low, high) per industry
PRICES = {
    "retail_store": ((30, 180), (60, 200), (0, 0)),
    "equipment_field": ((800, 6000), (300, 1500), (100, 400)),
    "auto_workshop": ((200, 2500), (150, 800), (0, 0)),
    "real_estate": ((100, 1200), (100, 600), (0, 100)),
}
BILLABLE = ("parts_sent", "on_site", "taken_for_repair", "sent_to_hq")  # as workflow.BILLABLE_HANDLING


class _StoryClock:
    """Lets a month of history be written in one go without touching the service code.

    The service functions stamp what they record with the wall clock. While a clock is
    running on a session, every timestamp they set during the load (anything at or after
    ``real_start``) is moved to the story's moment ``now`` just before it is flushed —
    timeline entries included, which are insert-only and so must be right before their
    first flush. Due times are derived, not stamped, and are left alone.
    """

    STAMPS = ("at", "since", "until", "started_at", "ended_at", "paused_since", "first_answered_at",
              "arrived_at", "resolved_at", "closed_at", "decided_at", "departed_at", "finished_at",
              "report_completed_at", "returned_at", "created_at", "updated_at")
    MODELS = (Ticket, TicketEvent, TicketAssignment, TicketPause, Quote, Charge, Visit, RepairReceipt)

    def __init__(self, real_start: datetime):
        self.real_start = real_start
        self.now = real_start

    def _before_flush(self, session, flush_context, instances):
        for obj in list(session.new) + list(session.dirty):
            if not isinstance(obj, self.MODELS):
                continue
            new = obj in session.new
            if not new and not session.is_modified(obj, include_collections=False):
                continue
            for name in self.STAMPS:
                if not hasattr(obj, name):
                    continue
                value = getattr(obj, name)
                if (value is None and new and name in ("created_at", "updated_at")) or \
                        (value is not None and value >= self.real_start):
                    setattr(obj, name, self.now)
            if not new and hasattr(obj, "updated_at"):
                # flagged, as an unchanged value would leave the column to its onupdate
                obj.updated_at = self.now
                flag_modified(obj, "updated_at")

    @contextmanager
    def running(self) -> Iterator[_StoryClock]:
        session = db.session()
        event.listen(session, "before_flush", self._before_flush)
        try:
            yield self
        finally:
            event.remove(session, "before_flush", self._before_flush)


def _signature(rng: random.Random) -> str:
    """A hand-drawn-looking signature as a PNG data URL, like the signature pad sends."""
    width, height = 240, 80
    rows = [bytearray(b"\xff" * width) for _ in range(height)]
    phase, loops = rng.uniform(0, 6.28), rng.uniform(6, 10)
    previous = None
    for x in range(12, width - 12):
        y = int(height / 2 + 22 * math.sin(x / loops + phase) * math.sin(x / 37.0))
        low, high = (y, y) if previous is None else (min(y, previous), max(y, previous))
        for yy in range(low - 1, high + 2):
            rows[max(0, min(height - 1, yy))][x] = 0
        previous = y

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass
class _Staff:
    clerk: User
    engineer: User
    manager: User


class _Story:
    """Works one ticket from opening to its slot's state, step by step, as the staff would."""

    def __init__(self, clock: _StoryClock, staff: _Staff, plugin: str, rng: random.Random):
        self.clock, self.staff, self.plugin, self.rng = clock, staff, plugin, rng

    def tell(self, case: Case, customer: Customer, opened: datetime, steps, exclusions, promised) -> Ticket:
        staff = self.staff
        self.clock.now = opened
        self.case, self.exclusions = case, exclusions
        self.worker = staff.manager if case.kind == "complaint" else staff.engineer
        self.visit = self.receipt = self.quote = None
        self.charged = False
        product = customer.products[0] if case.product is not None else None
        ticket = tickets.open_ticket(tickets.NewTicket(
            customer_id=customer.id, title=case.title, kind=case.kind, channel=case.channel,
            priority=case.priority, description=case.description, product_id=product.id if product else None,
            promised_arrival_at=promised,
        ), staff.clerk)
        db.session.flush()
        ticket.created_at = opened
        tickets.refresh_sla(ticket)
        self.ticket = ticket
        for offset, action, text in steps:
            self.clock.now = opened + timedelta(hours=offset)
            getattr(self, f"_{action}")(text)
            db.session.flush()
        # The clocks as they stand today: the service functions judged them against the
        # wall clock while the story was written, the story's moments are what count.
        ticket.sla_breached = False
        tickets.refresh_sla(ticket)
        db.session.flush()
        return ticket

    def _step(self, name: str, user: User, **fields) -> None:
        tickets.transition(self.ticket, tickets.StepRequest(name=name, **fields), user)

    # --- the workflow

    def _triage(self, text):
        self._step("triage", self.staff.clerk, nature=self.case.nature, exclusions=self.exclusions,
                   reason=text or "已判定性质与保修责任。")

    def _assign(self, text):
        self._step("assign", self.staff.clerk, assignee_id=self.worker.id, reason=text)

    def _reassign(self, text):
        substitute = next(u for u in visits.engineer_choices(self.ticket.branch_id) if u.id != self.worker.id)
        tickets.reassign(self.ticket, substitute.id, self.staff.clerk, text)
        self.worker = substitute

    def _start(self, text):
        ticket, case = self.ticket, self.case
        if ticket.warranty_free is False and case.handling in BILLABLE and self.quote is None:
            self._quote("")
            self._accept("")
        self._step("start", self.worker, handling=case.handling, reason=text)
        if case.handling == "on_site":
            when = self.clock.now + timedelta(hours=1)
            self.visit = visits.schedule_visit(ticket, when, [self.worker.id], "", self.staff.clerk)
        elif case.handling == "taken_for_repair":
            product = ticket.product
            item = f"{product.name} {product.model} {product.serial_number}" if product else case.title
            self.receipt = visits.take_in(ticket, item, "", case.description[:120], self.staff.clerk)

    def _wait(self, text):
        self._step("wait", self.worker, reason=text)

    def _resume(self, text):
        self._step("resume", self.worker, reason=text)

    def _resolve(self, text):
        self._step("resolve", self.worker, solution=self.case.solution)
        if self.receipt is not None and self.receipt.state == "in_store":
            visits.move_receipt(self.receipt, "ready", self.staff.clerk)

    def _close(self, text):
        ticket = self.ticket
        if self.quote is not None and self.quote.state == "accepted" and not self.charged:
            tickets.record_charge(ticket, self.quote.total, f"FP{self.rng.randint(10000000, 99999999)}", True,
                                  self.staff.clerk)
            self.charged = True
        if self.receipt is not None and self.receipt.state in visits.RETURNABLE_FROM:
            visits.return_item(self.receipt, ticket.customer.name[:80], self.staff.clerk)
        self._step("close", self.staff.clerk, reason=text)

    def _reopen(self, text):
        self._step("reopen", self.staff.manager, reason=text)

    def _cancel(self, text):
        self._step("cancel", self.staff.manager, reason=text)

    # --- the timeline, money and the visit

    def _call(self, text):
        tickets.add_entry(self.ticket, "call", text, self.staff.clerk)

    def _note(self, text):
        tickets.add_entry(self.ticket, "note", text, self.worker)

    def _quote(self, text):
        (lo_p, hi_p), (lo_l, hi_l), (lo_t, hi_t) = PRICES[self.plugin]
        parts = self.rng.randint(lo_p, hi_p) if self.case.part or self.case.handling != "phone_guidance" else 0
        self.quote = tickets.propose_quote(
            self.ticket, parts, self.rng.randint(lo_l, hi_l),
            self.rng.randint(lo_t, hi_t) if self.case.handling == "on_site" else 0,
            f"{self.case.title}：{self.case.solution}", self.staff.clerk)

    def _accept(self, text):
        tickets.decide_quote(self.ticket, self.quote.id, True, "客户在报价单上签字确认", self.staff.clerk)

    def _decline(self, text):
        tickets.decide_quote(self.ticket, self.quote.id, False, "客户电话告知费用过高，不接受报价", self.staff.clerk)

    def _depart(self, text):
        visits.visit_step(self.visit, "depart", self.visit.engineers[0])

    def _arrive(self, text):
        visits.visit_step(self.visit, "arrive", self.visit.engineers[0])

    def _report(self, text):
        visit, case, ticket = self.visit, self.case, self.ticket
        paid = ticket.warranty_free is False
        parts = [{"name": case.part, "quantity": 1, "charged": paid,
                  "unit_price": str(self.quote.parts) if paid and self.quote else ("120" if paid else "")}] \
            if case.part else []
        signer = ticket.customer.contacts[0].name if ticket.customer.contacts else ticket.customer.name
        visits.save_report(visit, {
            "fault_cause": case.cause, "solution": case.solution, "hours": str(self.rng.choice((1.5, 2, 2.5, 3, 4))),
            "customer_opinion": self.rng.choice(("满意，工程师处理及时。", "满意。", "基本满意，希望以后提前电话告知到达时间。")),
            "signed_by": signer[:80],
        }, parts, _signature(self.rng), True, visit.engineers[0])
        visits.visit_step(visit, "finish", visit.engineers[0])


def _with_visit(case: Case, steps):
    """On-site work gets its visit: the engineer on the way and on site some hours after
    the work started, the signed report before the ticket is resolved. A slot that
    times the trip itself keeps its timing."""
    if case.handling != "on_site":
        return [s for s in steps if s[1] not in ("depart", "arrive")]
    starts = [s[0] for s in steps if s[1] == "start"]
    resolves = [s[0] for s in steps if s[1] == "resolve"]
    if not starts or any(s[1] == "depart" for s in steps):
        return steps
    begin = starts[0]
    extra = [(begin + 1.5, "depart", ""), (begin + 3, "arrive", "")]
    if resolves:
        extra.append((min(begin + 5, resolves[0] - 0.5), "report", ""))
    return sorted(steps + extra, key=lambda s: s[0])


def _opened(kind_age, zone: ZoneInfo, now: datetime, rng: random.Random) -> datetime:
    unit, amount = kind_age
    if unit == "h":
        return now - timedelta(hours=amount, minutes=rng.randint(0, 40))
    local_day = now.astimezone(zone).date() - timedelta(days=amount)
    local = datetime.combine(local_day, time(rng.randint(9, 16), rng.randint(0, 59)), zone)
    return local.astimezone(timezone.utc)


def _customer_for(customers: list[Customer], plugin: str, case: Case, on: date, paid: bool,
                  rng: random.Random):
    """A customer owning the product the case is about; for a paid slot one whose warranty
    ended before the ticket, for the others preferably one still in warranty. The second
    value says whether the wish could be met."""
    owners = customers if case.product is None else \
        [c for i, c in enumerate(customers) if i % len(PRODUCTS[plugin]) == case.product]
    fitting = [c for c in owners if (tickets.product_warranty_end(c.products[0]) < on) == paid]
    return rng.choice(fitting or owners), bool(fitting)


def _tickets(branch, plugin: str, customers: list[Customer], staff: _Staff, clock: _StoryClock,
             rng: random.Random) -> list[Ticket]:
    zone = ZoneInfo(branch.timezone)
    story = _Story(clock, staff, plugin, rng)
    made = []
    for index, ((state, age, steps), case) in enumerate(zip(PLAN, CASES[plugin], strict=True)):
        steps = _with_visit(case, steps)
        opened = _opened(age, zone, clock.real_start, rng)
        last = max((s[0] for s in steps), default=0)
        while opened + timedelta(hours=last) >= clock.real_start - timedelta(minutes=5):
            opened -= timedelta(days=1)
        paid = index in PAID_SLOTS
        customer, fits = _customer_for(customers, plugin, case, opened.astimezone(zone).date(), paid, rng)
        exclusions = case.exclusions or (("misuse",) if paid and not fits else ())
        promised = clock.real_start + timedelta(hours=3) if index == PROMISED_SLOT else None
        ticket = story.tell(case, customer, opened, steps, exclusions, promised)
        if ticket.state != state:  # a plugin's rule changed the story: say so instead of loading less
            raise RuntimeError(f"demo ticket {ticket.number} ended {ticket.state}, meant {state}")
        made.append(ticket)
    return made


def load_demo() -> str:
    rng = random.Random(2026)
    sync_roles()
    create_branch("HQ", "总部售后服务中心", "上海", is_hq=True, region="华东")
    create_user("admin", DEMO_PASSWORD, "HQ", ["hq_admin"], "总部管理员")
    users = 1
    branches = []
    for code, name, province, plugin, plugin_roles in BRANCHES:
        branch = create_branch(code, name, province, [plugin])
        prefix = code.lower()
        manager = create_user(f"{prefix}_manager", DEMO_PASSWORD, code, ["branch_manager"], f"{name}店长")
        clerk = create_user(f"{prefix}_clerk", DEMO_PASSWORD, code, ["clerk"], _person(rng))
        engineer = create_user(f"{prefix}_engineer", DEMO_PASSWORD, code, ["engineer"], _person(rng))
        for role in plugin_roles:
            create_user(f"{prefix}_{role}", DEMO_PASSWORD, code, [role], _person(rng))
        users += 3 + len(plugin_roles)
        customers = _customers(branch, plugin, manager, rng)
        branches.append((branch, plugin, customers, _Staff(clerk, engineer, manager)))
    db.session.flush()

    clock = _StoryClock(utcnow())
    count = 0
    # Outside a request nothing caches which plugins run where, and the service functions
    # ask on every step; a request of nobody's makes the demo load several times faster.
    with current_app.test_request_context(), clock.running():
        try:
            for branch, plugin, customers, staff in branches:
                count += len(_tickets(branch, plugin, customers, staff, clock, rng))
        finally:
            forget_cache()
    # The plugins' records are of today (the story clock has stopped), on the story's tickets.
    with current_app.test_request_context():
        try:
            extras = _plugin_demo([branch for branch, *_rest in branches])
        finally:
            forget_cache()
    # Escalations of the clocks missed in the story, as the cron sweep records them. The
    # sweep commits as it goes (it is built for a million tickets), so this is the end.
    escalations = sla_sweep.sweep().counts["escalations"]
    breached = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.sla_breached.is_(True)))
    count = db.session.scalar(select(func.count(Ticket.id)))  # the plugins' demos open some too
    return (f"demo loaded: 5 branches, {users} users, 40 customer files, {count} tickets "
            f"({breached} with a missed service level, {escalations} escalations)"
            + "".join(f"; {extra}" for extra in extras) + f"; password for all: {DEMO_PASSWORD}")


def _plugin_demo(branches) -> list[str]:
    """Each branch's plugins add their own records (vehicles, contracts, trips ...)."""
    extras = []
    for branch in branches:
        hooks, settings = branch_hooks(branch.id)
        extras += [str(text) for text in hooks.portal_load_demo(branch=branch, settings=settings) if text]
        db.session.flush()
    return extras
