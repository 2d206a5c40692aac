"""Demo data for `make run`: a small service centre in Shanghai on an ordinary morning."""

from __future__ import annotations

from datetime import date, timedelta

from backend.audit import Actor
from backend.catalog.models import ChecklistTemplate, FaultCode, FeeItem, Part
from backend.db import db, utcnow
from backend.inventory.service import SINGLETON_LOCATIONS, ensure_location, move_stock, van_of
from backend.people.models import User
from backend.people.service import create_user
from backend.tickets.service import assign_ticket, create_ticket

PARTS = [
    ("CAP-35UF", "启动电容 35μF", "Start capacitor 35μF", "air_conditioner", 4500, 1800),
    ("CAP-2UF", "风机电容 2μF", "Fan capacitor 2μF", "air_conditioner", 2500, 900),
    ("REF-R32-1KG", "R32 冷媒 1kg", "R32 refrigerant 1 kg", "air_conditioner", 18000, 9000),
    ("PCB-AC-IN", "室内机主板", "Indoor unit control board", "air_conditioner", 38000, 21000),
    ("MOTOR-FAN", "室外风机电机", "Outdoor fan motor", "air_conditioner", 26000, 14000),
    ("WASH-PUMP", "洗衣机排水泵", "Washer drain pump", "washer", 12000, 6000),
    ("WASH-BELT", "洗衣机皮带", "Washer drive belt", "washer", 3500, 1200),
    ("FRIDGE-THERM", "冰箱温控器", "Fridge thermostat", "fridge", 9000, 4000),
    ("FRIDGE-GASKET", "冰箱门封条", "Fridge door gasket", "fridge", 8000, 3000),
    ("WH-ANODE", "热水器镁棒", "Water heater anode rod", "water_heater", 6000, 2000),
    ("WH-HEATER", "热水器加热管", "Water heater element", "water_heater", 15000, 7000),
]

FEES = [
    # item_code, name, name_en, kind, category, brand, region, amount_fen, warranty_covered
    ("inspect", "上门检测费", "Home inspection", "inspection", "air_conditioner", None, None, 5000, True),
    ("labour.capacitor", "更换电容工时", "Capacitor replacement labour", "labour", "air_conditioner", None, None, 8000, True),
    ("labour.refrigerant", "加冷媒工时", "Refrigerant recharge labour", "labour", "air_conditioner", None, None, 15000, True),
    ("labour.board", "更换主板工时", "Control board replacement labour", "labour", "air_conditioner", None, None, 12000, True),
    ("travel.far", "远程上门费", "Long-distance travel", "travel", "air_conditioner", None, "浦东", 3000, False),
    ("inspect", "上门检测费", "Home inspection", "inspection", "washer", None, None, 4000, True),
    ("labour.pump", "更换排水泵工时", "Drain pump replacement labour", "labour", "washer", None, None, 9000, True),
    ("inspect", "上门检测费", "Home inspection", "inspection", "fridge", None, None, 5000, True),
    ("labour.thermostat", "更换温控器工时", "Thermostat replacement labour", "labour", "fridge", None, None, 10000, True),
    ("inspect", "上门检测费", "Home inspection", "inspection", "water_heater", None, None, 4000, True),
    ("labour.anode", "更换镁棒工时", "Anode rod replacement labour", "labour", "water_heater", None, None, 6000, True),
    ("inspect", "上门检测费（格力）", "Home inspection (Gree)", "inspection", "air_conditioner", "格力", None, 4000, True),
]

FAULTS = [
    ("E1", "fault", "air_conditioner", "室内机不制冷", "Indoor unit does not cool"),
    ("E5", "fault", "air_conditioner", "室外机不启动", "Outdoor unit does not start"),
    ("C-CAP", "cause", "air_conditioner", "电容失效", "Capacitor failed"),
    ("C-LEAK", "cause", "air_conditioner", "冷媒泄漏", "Refrigerant leak"),
    ("H-REPLACE", "handling", None, "更换零件", "Replace part"),
    ("H-RECHARGE", "handling", "air_conditioner", "补充冷媒", "Recharge refrigerant"),
    ("W-DRAIN", "fault", "washer", "不排水", "Does not drain"),
    ("F-WARM", "fault", "fridge", "冷藏室温度高", "Fridge compartment too warm"),
    ("H-NOHEAT", "fault", "water_heater", "不加热", "Does not heat"),
]

CHECKLISTS = [
    ("arrival", "arrival", None, [
        ("shoe_covers", "已穿鞋套", "Shoe covers on", "bool"),
        ("id_shown", "已出示工牌", "ID card shown", "bool"),
        ("fault_confirmed", "故障现象已确认", "Fault confirmed with the customer", "bool"),
        ("power_checked", "电源电压正常", "Supply voltage normal", "bool"),
    ]),
    ("completion", "completion", None, [
        ("test_run", "试机正常", "Test run OK", "bool"),
        ("area_cleaned", "现场已清理", "Work area cleaned", "bool"),
        ("explained", "已向用户说明", "Explained to the customer", "bool"),
    ]),
]

TECHNICIANS = [
    ("tech1", "张师傅", ["air_conditioner", "fridge"], ["浦东", "徐汇"], "senior"),
    ("tech2", "李师傅", ["washer", "water_heater"], ["徐汇", "静安"], "junior"),
    ("tech3", "王师傅", ["air_conditioner"], ["闵行", "浦东"], "intermediate"),
    ("tech4", "赵师傅", ["fridge", "washer"], ["静安", "闵行"], "intermediate"),
    ("tech5", "陈师傅", ["air_conditioner", "water_heater"], ["徐汇", "闵行"], "senior"),
]

CUSTOMERS = [
    ("刘女士", "13800000001", "上海市浦东新区世纪大道 100 号 1201 室", "浦东", "vip",
     ("格力", "air_conditioner", "KFR-35GW", "GR2025A001", 200, 36), ("E1", "空调不制冷，室外机嗡嗡响")),
    ("周先生", "13800000002", "上海市徐汇区漕溪北路 88 号 502 室", "徐汇", "regular",
     ("美的", "air_conditioner", "KFR-26GW", "MD2021B777", 1400, 12), ("E5", "室外机不转")),
    ("吴女士", "13800000003", "上海市静安区南京西路 300 号 803 室", "静安", "regular",
     ("海尔", "washer", "EG100", "HE2024W003", 300, 24), ("W-DRAIN", "洗衣机不排水")),
    ("郑先生", "13800000004", "上海市闵行区莘庄镇 12 号", "闵行", "regular",
     ("海尔", "fridge", "BCD-470", "HE2019F004", 2000, 12), ("F-WARM", "冷藏室不凉")),
    ("孙女士", "13800000005", "上海市徐汇区天钥桥路 5 号", "徐汇", "vip",
     ("A.O.史密斯", "water_heater", "E60VN", "AO2023H005", 500, 36), ("H-NOHEAT", "热水器不加热")),
]


def seed_demo() -> bool:
    if db.session.execute(db.select(User).where(User.username == "admin")).first():
        return False
    now = utcnow()
    admin = create_user("admin", "demo", "admin", "管理员")
    for name, role, display in (("dispatcher", "dispatcher", "调度员"), ("warehouse", "warehouse", "仓管"),
                                ("finance", "finance", "财务")):
        create_user(name, "demo", role, display)
    actor = Actor(user_id=admin.id, username="admin", role="admin", terminal="seed-demo")
    technicians = []
    for username, display, skills, regions, grade in TECHNICIANS:
        technicians.append(create_user(username, "demo", "technician", display, technician={
            "skills": skills, "regions": regions, "grade": grade, "daily_capacity": 6}))
    for sku, name, name_en, category, price, cost in PARTS:
        db.session.add(Part(sku=sku, name=name, name_en=name_en, category=category, price_fen=price,
                            cost_fen=cost, warranty_months=3))
    for code, name, name_en, kind, category, brand, region, amount, covered in FEES:
        db.session.add(FeeItem(item_code=code, name=name, name_en=name_en, kind=kind, category=category,
                               brand=brand, region=region, amount_fen=amount, warranty_covered=covered))
    for code, kind, category, description, description_en in FAULTS:
        db.session.add(FaultCode(code=code, kind=kind, category=category, description=description,
                                 description_en=description_en))
    for code, phase, category, items in CHECKLISTS:
        db.session.add(ChecklistTemplate(code=code, phase=phase, category=category, items=[
            {"item_code": c, "label": label, "label_en": label_en, "kind": kind}
            for c, label, label_en, kind in items]))
    db.session.flush()
    for code in SINGLETON_LOCATIONS:
        ensure_location(code, code)
    warehouse = ensure_location("warehouse", "warehouse")
    for sku, *_ in PARTS:
        move_stock(actor, sku=sku, qty=50, from_location=None, to_location=warehouse,
                   reason="purchase", ref="PO-DEMO-1", at=now)
    for tech in technicians:
        van = van_of(tech.id, tech.username)
        for sku in ("CAP-35UF", "CAP-2UF", "WASH-BELT", "WH-ANODE"):
            move_stock(actor, sku=sku, qty=2, from_location=warehouse, to_location=van,
                       reason="transfer", ref=f"REQ-DEMO-{tech.username}", at=now)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for index, (name, phone, address, region, tier, appliance, fault) in enumerate(CUSTOMERS):
        brand, category, model, serial, age_days, months = appliance
        ticket = create_ticket(actor, {
            "customer": {"name": name, "phone": phone, "address": address, "region": region, "tier": tier},
            "appliance": {"brand": brand, "category": category, "model": model, "serial": serial,
                          "purchase_date": date.today() - timedelta(days=age_days),
                          "warranty_months": months},
            "fault": {"category": fault[0], "description": fault[1]},
            "urgency": "urgent" if tier == "vip" else "normal", "source": "phone",
        }, now)
        tech = technicians[index % 2] if index < 4 else technicians[4]
        assign_ticket(actor, ticket, tech.username, start + timedelta(hours=2 * index),
                      start + timedelta(hours=2 * index + 2), now)
    return True
