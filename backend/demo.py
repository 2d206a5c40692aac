"""Demo data for `make run`: a small service centre in Shanghai on an ordinary morning."""

from __future__ import annotations

from datetime import date, timedelta

from backend.audit import Actor
from backend.catalog.models import ChecklistTemplate, FaultCode, FeeItem, Part
from backend.db import db, utcnow
from backend.inventory.service import SINGLETON_LOCATIONS, ensure_location, move_stock, van_of
from backend.people.models import User
from backend.people.service import create_user
from backend.sync.service import apply_push
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
    """Load what is missing: the base shop, then the money side (each part only once)."""
    changed = False
    if not db.session.execute(db.select(User).where(User.username == "admin")).first():
        _seed_shop()
        changed = True
    return seed_money() or changed


def _seed_shop() -> None:
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


# --- the money side: commission rules, approvals, warranty card, completed tickets --------

GRADES = [
    # grade, coefficient (permille), base wage, per-ticket cap, monthly cap (fen)
    ("junior", 900, 250_000, 6_000, 300_000),
    ("intermediate", 1000, 300_000, 8_000, 400_000),
    ("senior", 1200, 350_000, 10_000, 500_000),
]
RULES = [
    # name, applies_to, item_code, fee_kind, mode, rate_bp, amount_fen, min_score
    ("工时提成 12%", "fee", None, "labour", "percent", 1200, None, None),
    ("检测费提成 每单 ¥5", "fee", None, "inspection", "fixed", None, 500, None),
    ("上门费提成 50%", "fee", None, "travel", "percent", 5000, None, None),
    ("材料毛利分成 10%", "material", None, None, "percent", 1000, None, None),
    ("返修扣款 每单 ¥50", "repeat_repair", None, None, "fixed", None, 5000, None),
    ("有效投诉扣款 ¥100", "complaint", None, None, "fixed", None, 10000, None),
    ("五星好评奖励 ¥10", "rating_bonus", None, None, "fixed", None, 1000, 5),
]
# Who signs requisitions in the demo (the seed manual's thresholds are the defaults).
APPROVERS = [("dispatcher", "service_head"), ("admin", "quality_manager"), ("admin", "service_vp"),
             ("admin", "supply_vp")]
DEMO_SIGNATURE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100" width="300" height="100">'
    b'<path d="M20 70 C 35 20, 50 20, 55 60 S 70 90, 85 50 C 95 25, 105 30, 110 55 C 115 75, 125 80, 135 55 '
    b'L 150 35 C 160 25, 170 40, 165 60 C 160 80, 185 75, 200 50 C 210 35, 225 30, 240 55" fill="none" '
    b'stroke="#102a5c" stroke-width="3" stroke-linecap="round"/></svg>')


def seed_money() -> bool:
    from backend.commission.models import CommissionGrade, CommissionRule
    from backend.fees.models import WarrantyCardTerm
    from backend.inventory.service import assign_position, location_by_code, set_threshold
    from backend.people.service import find_user

    if db.session.get(CommissionGrade, "senior") is not None:
        return False
    now = utcnow()
    admin = find_user("admin")
    actor = Actor(user_id=admin.id, username="admin", role="admin", terminal="seed-demo")
    for grade, coefficient, base, per_ticket, monthly in GRADES:
        db.session.add(CommissionGrade(grade=grade, coefficient_pm=coefficient, base_wage_fen=base,
                                       per_ticket_cap_fen=per_ticket, monthly_cap_fen=monthly))
    for name, applies_to, item_code, fee_kind, mode, rate, amount, min_score in RULES:
        db.session.add(CommissionRule(name=name, applies_to=applies_to, item_code=item_code, fee_kind=fee_kind,
                                      mode=mode, rate_bp=rate, amount_fen=amount, min_score=min_score))
    # 格力's warranty card promises inspection at ¥30, below the schedule's ¥40: customers pay ¥30.
    db.session.add(WarrantyCardTerm(brand="格力", category="air_conditioner", item_code="inspect", unit_fen=3000,
                                    note="格力保修卡：上门检测费 30 元"))
    # A board swap that needs the outdoor unit opened is difficulty 2.
    if db.session.execute(db.select(FeeItem).where(FeeItem.item_code == "labour.board",
                                                   FeeItem.difficulty == 2)).first() is None:
        db.session.add(FeeItem(item_code="labour.board", name="更换主板工时（需拆外机）",
                               name_en="Control board labour (outdoor unit opened)", kind="labour",
                               category="air_conditioner", difficulty=2, amount_fen=18000, warranty_covered=True))
    for username, position in APPROVERS:
        assign_position(actor, find_user(username), position, now)
    warehouse = location_by_code("warehouse")
    for sku, threshold in (("CAP-35UF", 45), ("REF-R32-1KG", 10), ("PCB-AC-IN", 5)):
        set_threshold(actor, warehouse, sku, threshold, now)
    db.session.flush()
    _seed_completed_tickets(actor, now)
    return True


def _seed_completed_tickets(office: Actor, now) -> None:
    """Two tickets done through the sync path, as phones would send them, so that the
    service report, the receipt and the commission statement have something to show."""
    import hashlib

    from backend.fees.service import summary_hash, summary_of
    from backend.people.service import find_user, register_device, revoke_device
    from backend.sync.blobs import store_blob

    stories = [
        # technician, customer, appliance, fault, parts, fees, payment method, rating, refused
        ("tech1", ("褚先生", "13900000011", "上海市浦东新区张杨路 500 号 801 室", "浦东"),
         ("格力", "air_conditioner", "KFR-35GW", "GR2023D011", 900, 12), ("E5", "室外机不启动，嗡嗡响"),
         [("CAP-35UF", 1, "van", "paid")], [("inspect", 1), ("labour.capacitor", 1)], "wechat", 5, False),
        ("tech3", ("卫女士", "13900000012", "上海市闵行区七莘路 99 弄 3 号 502 室", "闵行"),
         ("美的", "air_conditioner", "KFR-26GW", "MD2025K012", 120, 36), ("E1", "制冷效果差"),
         [("CAP-2UF", 1, "van", "warranty")], [("inspect", 1), ("labour.capacitor", 1)], None, 4, True),
    ]
    for username, customer, appliance, fault, parts, fees, method, score, refused in stories:
        tech = find_user(username)
        brand, category, model, serial, age_days, months = appliance
        ticket = create_ticket(office, {
            "customer": dict(zip(("name", "phone", "address", "region"), customer, strict=True), tier="regular"),
            "appliance": {"brand": brand, "category": category, "model": model, "serial": serial,
                          "purchase_date": date.today() - timedelta(days=age_days), "warranty_months": months},
            "fault": {"category": fault[0], "description": fault[1]}, "urgency": "normal", "source": "demo",
        }, now - timedelta(hours=5))
        assign_ticket(office, ticket, username, now - timedelta(hours=4), now - timedelta(hours=2), now)
        db.session.flush()
        device, _token = register_device(tech, "seed-demo", now)
        actor = Actor(user_id=tech.id, username=username, role="technician", device_id=device.id)
        blob, _created = store_blob(actor, hashlib.sha256(DEMO_SIGNATURE).hexdigest(), DEMO_SIGNATURE, 1 << 20, now)
        visit_id = ticket.visits[0].id
        at = now - timedelta(hours=3)
        steps = [("visit.arrive", {"visit_id": visit_id}),
                 ("diagnosis.record", {"visit_id": visit_id, "fault_code": fault[0], "cause_code": "C-CAP",
                                       "handling_code": "H-REPLACE", "notes": "电容鼓包，已更换"})]
        steps += [("part.use", {"line_id": f"demo-{serial}-P{i}", "sku": sku, "qty": qty, "source": source,
                                "charge": charge}) for i, (sku, qty, source, charge) in enumerate(parts)]
        steps += [("old_part.collect", {"line_id": f"demo-{serial}-O0", "sku": parts[0][0], "qty": 1})]
        steps += [("fee.set", {"line_id": f"demo-{serial}-F{i}", "item_code": code, "qty": qty})
                  for i, (code, qty) in enumerate(fees)]
        _push(actor, ticket.id, steps, at)
        db.session.refresh(ticket)
        signed = summary_hash(summary_of(ticket.id, [
            {"line_id": p.line_id, "sku": p.sku, "qty": p.qty, "charge": p.charge, "amount_fen": p.amount_fen}
            for p in ticket.part_lines], [{"line_id": f.line_id, "item_code": f.item_code, "qty": f.qty,
                                           "amount_fen": f.amount_fen} for f in ticket.fee_lines]))
        closing = [("work.complete", {"visit_id": visit_id, "resolution": "fixed", "notes": "试机正常"})]
        if refused:
            closing.append(("signature.capture", {"blob": None, "summary_hash": signed, "refused": True,
                                                  "refusal_reason": "客户外出，家中老人不便签字"}))
        else:
            closing.append(("signature.capture", {"blob": blob.sha256, "signer_name": customer[0],
                                                  "summary_hash": signed}))
        if method and ticket.total_fen:
            closing.append(("payment.record", {"payment_id": f"demo-{serial}-pay", "method": method,
                                               "amount_fen": ticket.total_fen}))
        closing.append(("rating.record", {"score": score, "comment": "师傅很专业" if score == 5 else None}))
        _push(actor, ticket.id, closing, at + timedelta(minutes=50), first_seq=len(steps) + 1)
        revoke_device(actor, device.id, now)


def _push(actor: Actor, ticket_id: int, steps: list, at, first_seq: int = 1) -> None:
    import uuid

    mutations = [{"id": str(uuid.uuid4()), "seq": first_seq + i, "name": name, "ticket_id": ticket_id,
                  "at": (at + timedelta(minutes=5 * i)).isoformat(), "args": args}
                 for i, (name, args) in enumerate(steps)]
    now = utcnow()
    results = apply_push(actor, {"device_id": actor.device_id, "client_version": "seed-demo", "clock": now,
                                 "mutations": mutations}, now, timedelta(minutes=10))
    failed = [r for r in results if r["status"] != "applied"]
    if failed:
        raise RuntimeError(f"demo push failed: {failed}")
