"""The sync stories: what a technician did offline reaches the store exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from backend.commission.models import TicketCompletion
from backend.db import db
from backend.inventory.models import StockMove
from backend.inventory.service import level_of, location_by_code, van_of
from backend.sync.models import MutationLog
from backend.tickets.models import AuditLog, Flag, Payment
from tests.conftest import PNG_1X1

pytestmark = pytest.mark.storage


def van_level(user, sku):
    return level_of(van_of(user.id, user.username), sku)


def ticket_detail(office, ticket_id):
    response = office.get(f"/api/tickets/{ticket_id}")
    assert response.status_code == 200
    return response.get_json()


def test_a_part_used_offline_and_synced_twice_is_recorded_once(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    use = device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                          source="van", charge="paid")

    first = device.push(use)
    again = device.push(use)

    assert first["results"][0]["status"] == "applied"
    assert again["results"][0]["status"] == "duplicate"
    assert van_level(tech, "CAP-35UF") == 1
    detail = ticket_detail(office("dispatcher"), ticket.id)
    assert [(p["line_id"], p["qty"]) for p in detail["parts"]] == [("L1", 1)]
    assert detail["total_fen"] == 4500


def test_a_lost_push_response_is_settled_by_the_next_pull(shop, phone):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    device.pull()
    batch = [device.mutation("visit.arrive", ticket.id, visit_id=ticket.visits[0].id),
             device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                             source="van", charge="paid")]
    device.push(*batch)  # the phone never saw this answer

    pulled = device.pull()

    assert pulled["device_last_seq"] == 2
    [mine] = pulled["tickets"]
    assert [p["line_id"] for p in mine["parts"]] == ["L1"]
    assert mine["status"] == "in_progress"


def test_out_of_order_batches_settle_only_the_contiguous_prefix(shop, phone):
    tech = shop.technician("tech1")
    shop.part("CAP-35UF")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    m1, m2, m3 = (device.mutation("rating.record", ticket.id, score=s) for s in (3, 4, 5))

    device.push(m3)
    assert device.pull()["device_last_seq"] == 0
    device.push(m1)
    assert device.pull()["device_last_seq"] == 1
    device.push(m2, m1)
    assert device.pull()["device_last_seq"] == 3


def test_resending_a_whole_batch_returns_the_first_results(shop, phone):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    batch = [device.mutation("part.use", ticket.id, line_id="L9", sku="NOPE", qty=1,
                             source="van", charge="paid"),
             device.mutation("rating.record", ticket.id, score=5)]

    first = device.push(*batch)["results"]
    second = device.push(*batch)["results"]

    assert [r["status"] for r in first] == ["rejected", "applied"]
    assert [r["status"] for r in second] == ["duplicate", "duplicate"]
    assert second[0]["code"] == first[0]["code"] == "unknown_sku"
    assert db.session.scalar(db.select(db.func.count()).select_from(MutationLog)) == 2


def test_a_seq_reused_by_another_mutation_is_refused_and_the_first_stays(shop, phone, office):
    """A phone that lost its outbox numbering sends a new fact under a seq already used:
    the first fact keeps the seq, the newcomer is refused, the rest of the push applies."""
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    first = device.mutation("payment.record", ticket.id, payment_id="P1", method="cash", amount_fen=4500)
    device.push(first)
    reused = {**device.mutation("payment.record", ticket.id, payment_id="P2", method="cash",
                                amount_fen=100), "seq": first["seq"]}
    device.seq -= 1  # the phone numbered it with the old seq
    later = device.mutation("rating.record", ticket.id, score=5)

    results = device.push(reused, later)["results"]

    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "seq_conflict"), ("applied", None)]
    assert [p["payment_id"] for p in ticket_detail(office(), ticket.id)["payments"]] == ["P1"]
    assert device.pull()["device_last_seq"] == later["seq"]


def test_one_bad_mutation_never_loses_the_others(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")

    results = device.push(
        device.mutation("part.use", ticket.id, line_id="A", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("part.use", ticket.id, line_id="B", sku="CAP-35UF", qty=100000,
                        source="van", charge="paid"),
        device.mutation("no.such.thing", ticket.id),
        device.mutation("payment.record", ticket.id, payment_id="P1", method="cash", amount_fen=4500),
    )["results"]

    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert results[1]["code"] == "validation_error"
    assert results[2]["code"] == "unknown_mutation"
    detail = ticket_detail(office(), ticket.id)
    assert [p["line_id"] for p in detail["parts"]] == ["A"]
    assert [p["payment_id"] for p in detail["payments"]] == ["P1"]
    assert device.pull()["device_last_seq"] == 4


def test_any_json_answer_a_phone_sends_is_stored_as_sent(shop, phone):
    """Checklist answers are free JSON: a meter reading beyond 64 bits and Chinese text
    come back exactly as the phone sent them."""
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    visit_id = ticket.visits[0].id
    device = phone("tech1")
    reading = {"电表读数": 10**30, "note": "压缩机 ok", "ratio": 0.5}

    results = device.push(device.mutation("checklist.answer", ticket.id, visit_id=visit_id,
                                          item_code="meter", value=reading))["results"]

    assert results[0]["status"] == "applied"
    assert device.pull()["tickets"][0]["checklist"][0]["value"] == reading
    stored = db.session.execute(db.select(MutationLog.args)).scalar_one()
    assert stored["value"] == reading


@pytest.fixture
def database_refuses_audit_of(app):
    """A rule the database itself enforces (a trigger on the audit log): the handler accepts
    the mutation, the database refuses its last row when the push is stored."""
    refused = "P1"
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.entity_id = '{refused}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$")
            conn.exec_driver_sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_audit()")
        else:
            # A pooled connection may still hold the schema from before another connection
            # dropped this trigger last time; SQLite checks CREATE against that copy, so read
            # the schema first to bring it up to date.
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            conn.exec_driver_sql(f"CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                                 f"WHEN NEW.entity_id = '{refused}' "
                                 "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    yield refused
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER refuse_audit ON audit_log")
            conn.exec_driver_sql("DROP FUNCTION refuse_audit()")
        else:
            conn.exec_driver_sql("DROP TRIGGER refuse_audit")


def test_a_mutation_whose_rows_the_database_refuses_is_rejected_whole_and_alone(
        shop, phone, office, database_refuses_audit_of):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    batch = [
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("payment.record", ticket.id, payment_id=database_refuses_audit_of, method="cash",
                        amount_fen=100),
        device.mutation("payment.record", ticket.id, payment_id="P2", method="cash", amount_fen=4500),
        device.mutation("rating.record", ticket.id, score=5),
    ]

    results = device.push(*batch)["results"]
    again = device.push(*batch)["results"]

    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None), ("rejected", "storage_conflict"), ("applied", None), ("applied", None)]
    assert [(r["status"], r.get("code")) for r in again] == [
        ("duplicate", None), ("duplicate", "storage_conflict"), ("duplicate", None), ("duplicate", None)]
    detail = ticket_detail(office(), ticket.id)
    assert [p["line_id"] for p in detail["parts"]] == ["L1"]
    # The payment row was written before its audit row was refused: the savepoint took it back.
    assert [p["payment_id"] for p in detail["payments"]] == ["P2"]
    assert detail["rating"]["score"] == 5
    assert van_level(tech, "CAP-35UF") == 1
    assert device.pull()["device_last_seq"] == 4


def test_a_completion_before_a_refused_mutation_still_counts_for_commission(
        shop, phone, database_refuses_audit_of):
    """The push falls back to one savepoint per mutation; the job completed earlier in it is
    still recorded as completed by the technician (the ground of claims and commission)."""
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")

    results = device.push(
        device.mutation("work.complete", ticket.id, visit_id=ticket.visits[0].id, resolution="fixed"),
        device.mutation("payment.record", ticket.id, payment_id=database_refuses_audit_of, method="cash",
                        amount_fen=100),
    )["results"]

    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None), ("rejected", "storage_conflict")]
    completion = db.session.get(TicketCompletion, ticket.id)
    assert completion is not None and completion.technician_id == tech.id


@pytest.mark.postgres_only
def test_a_row_another_push_is_still_writing_waits_and_the_later_fact_wins(app, shop, phone, office):
    """A second phone of the same technician rates the ticket while the first phone's push
    holds its own rating uncommitted: the second push waits, the database refuses its
    insert once the first commits, and the push applied again one mutation at a time finds
    the stored rating and replaces it (the later act wins)."""
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    earlier = shop.now - timedelta(minutes=5)
    device = phone("tech1")
    with app.app_context():
        first_phone = db.engine.connect()
        first_phone.begin()
        first_phone.exec_driver_sql(
            "INSERT INTO ratings (ticket_id, score, comment, corrected_at) VALUES (%s, 3, NULL, %s)",
            (ticket.id, earlier))
    committer = threading.Timer(1.0, first_phone.commit)
    committer.start()
    try:
        [result] = device.push(device.mutation("rating.record", ticket.id, score=5))["results"]
    finally:
        committer.join()
        first_phone.close()

    assert (result["status"], result.get("code")) == ("applied", None)
    assert ticket_detail(office(), ticket.id)["rating"]["score"] == 5


def test_van_stock_may_go_negative_and_is_flagged(shop, phone):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 1})
    ticket = shop.ticket(tech)
    device = phone("tech1")

    result = device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF",
                                         qty=3, source="van", charge="paid"))["results"][0]

    assert result["status"] == "applied"
    assert result["flags"] == ["negative_van_stock"]
    assert van_level(tech, "CAP-35UF") == -2


def test_removing_a_part_puts_it_back_in_the_van(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                                source="van", charge="paid"))

    device.push(device.mutation("part.remove", ticket.id, line_id="L1"))

    assert van_level(tech, "CAP-35UF") == 2
    assert level_of(location_by_code("customer"), "CAP-35UF") == 0
    assert ticket_detail(office(), ticket.id)["parts"] == []
    reasons = db.session.scalars(db.select(StockMove.reason).order_by(StockMove.id)).all()
    assert reasons[-2:] == ["consume", "unconsume"]


def test_work_done_on_a_cancelled_ticket_is_kept_and_flagged(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    visit_id = ticket.visits[0].id
    device = phone("tech1")
    device.pull()
    desk = office()
    assert desk.post(f"/api/tickets/{ticket.id}/cancel", json={"reason": "客户取消"}).status_code == 200

    results = device.push(
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("work.complete", ticket.id, visit_id=visit_id, resolution="fixed"),
    )["results"]

    assert [r["status"] for r in results] == ["applied", "applied"]
    assert "completed_after_cancel" in results[1]["flags"]
    detail = ticket_detail(desk, ticket.id)
    assert detail["status"] == "cancelled"
    assert [p["line_id"] for p in detail["parts"]] == ["L1"]
    assert [f["kind"] for f in detail["flags"]] == ["completed_after_cancel"]
    assert van_level(tech, "CAP-35UF") == 1


def test_reassigned_mid_visit_moves_stock_from_the_senders_van(shop, phone, office):
    first, second = shop.technician("tech1"), shop.technician("tech2")
    shop.van(first, {"CAP-35UF": 2})
    shop.van(second, {"CAP-35UF": 2})
    ticket = shop.ticket(first)
    device = phone("tech1")
    device.pull()
    office().post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})

    result = device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF",
                                         qty=1, source="van", charge="paid"))["results"][0]

    assert result["status"] == "applied"
    assert result["flags"] == ["reassigned_during_visit"]
    assert van_level(first, "CAP-35UF") == 1
    assert van_level(second, "CAP-35UF") == 2
    assert device.pull()["removed_ticket_ids"] == [ticket.id]


def test_a_technician_cannot_write_to_a_ticket_never_theirs(shop, phone):
    shop.technician("tech1")
    other = shop.technician("tech2")
    ticket = shop.ticket(other)
    device = phone("tech1")

    result = device.push(device.mutation("rating.record", ticket.id, score=1))["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "rating.record")) == 0


def test_two_devices_of_one_technician_each_have_their_own_seq(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 3})
    ticket = shop.ticket(tech)
    pad, handset = phone("tech1", "pad"), phone("tech1", "handset")

    pad.push(pad.mutation("part.use", ticket.id, line_id="P-1", sku="CAP-35UF", qty=1,
                          source="van", charge="paid"))
    handset.push(handset.mutation("part.use", ticket.id, line_id="H-1", sku="CAP-35UF", qty=1,
                                  source="van", charge="paid"))

    assert van_level(tech, "CAP-35UF") == 1
    assert pad.pull()["device_last_seq"] == 1
    assert handset.pull()["device_last_seq"] == 1
    assert len(ticket_detail(office(), ticket.id)["parts"]) == 2


def test_the_later_diagnosis_wins_whatever_order_it_arrives_in(shop, phone, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    visit_id = ticket.visits[0].id
    pad, handset = phone("tech1", "pad"), phone("tech1", "handset")
    later = handset.mutation("diagnosis.record", ticket.id, visit_id=visit_id, fault_code="E5")
    earlier = pad.mutation("diagnosis.record", ticket.id, visit_id=visit_id, fault_code="E1")
    earlier["at"] = (pad.now() - timedelta(minutes=5)).isoformat()

    handset.push(later)
    pad.push(earlier)

    detail = ticket_detail(office(), ticket.id)
    assert [d["fault_code"] for d in detail["diagnoses"]] == ["E5"]
    actions = [t["action"] for t in detail["timeline"]]
    assert "diagnosis.record.superseded" in actions


def test_a_skewed_device_clock_is_corrected_and_flagged(shop, phone, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    device.clock_offset = timedelta(hours=-2)

    result = device.push(device.mutation("visit.arrive", ticket.id,
                                         visit_id=ticket.visits[0].id))["results"][0]

    assert result["flags"] == ["clock_skew"]
    log = db.session.scalars(db.select(MutationLog)).one()
    assert abs((log.corrected_at - log.device_at) - timedelta(hours=2)) < timedelta(seconds=5)
    visit = ticket_detail(office(), ticket.id)["visits"][0]
    assert visit["arrived_at"] is not None


def test_a_signature_waits_for_its_blob_then_checks_the_summary(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    shop.fee("labour.capacitor", 8000)
    ticket = shop.ticket(tech)
    device = phone("tech1")
    import hashlib

    sha = hashlib.sha256(PNG_1X1).hexdigest()
    device.push(
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("fee.set", ticket.id, line_id="F1", item_code="labour.capacitor", qty=1),
    )
    from backend.fees.service import summary_hash, summary_of

    right = summary_hash(summary_of(ticket.id, [
        {"line_id": "L1", "sku": "CAP-35UF", "qty": 1, "charge": "paid", "amount_fen": 4500}], [
        {"line_id": "F1", "item_code": "labour.capacitor", "qty": 1, "amount_fen": 8000}]))
    sign = device.mutation("signature.capture", ticket.id, blob=sha, signer_name="刘女士",
                           summary_hash=right, role="customer")

    waiting = device.push(sign)["results"][0]
    assert waiting["status"] == "deferred"
    assert device.pull()["device_last_seq"] == 2
    device.put_blob(PNG_1X1)
    done = device.push(sign)["results"][0]

    assert done["status"] == "applied" and "flags" not in done
    assert device.pull()["device_last_seq"] == 3
    detail = ticket_detail(office(), ticket.id)
    assert detail["total_fen"] == 12500
    assert detail["signatures"][0]["blob"] == sha


def test_a_signature_over_other_totals_is_flagged(shop, phone):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    sha = device.put_blob(PNG_1X1)

    result = device.push(
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("signature.capture", ticket.id, blob=sha, signer_name="刘女士",
                        summary_hash="0" * 64),
    )["results"][1]

    assert result["flags"] == ["signature_summary_mismatch"]


def test_refusing_to_sign_is_recorded_without_an_image(shop, phone, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    from backend.fees.service import summary_hash, summary_of

    result = device.push(device.mutation(
        "signature.capture", ticket.id, blob=None, summary_hash=summary_hash(summary_of(ticket.id, [], [])),
        refused=True, refusal_reason="客户不在家，家属不愿签字"))["results"][0]

    assert result["status"] == "applied"
    [signature] = ticket_detail(office(), ticket.id)["signatures"]
    assert signature["refused"] is True and signature["blob"] is None


def test_warranty_lines_cost_the_customer_nothing(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    shop.fee("labour.capacitor", 8000)
    ticket = shop.ticket(tech, in_warranty=True)
    device = phone("tech1")

    device.push(
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="warranty"),
        device.mutation("fee.set", ticket.id, line_id="F1", item_code="labour.capacitor", qty=1),
    )

    detail = ticket_detail(office(), ticket.id)
    assert [f["charge"] for f in detail["fees"]] == ["warranty"]
    assert detail["total_fen"] == 0


def test_a_typed_price_is_kept_and_flagged(shop, phone, office):
    tech = shop.technician("tech1")
    shop.fee("labour.capacitor", 8000)
    ticket = shop.ticket(tech)
    device = phone("tech1")

    result = device.push(device.mutation("fee.set", ticket.id, line_id="F1",
                                         item_code="labour.capacitor", qty=1,
                                         amount_fen=6000))["results"][0]

    assert result["flags"] == ["price_override"]
    assert ticket_detail(office(), ticket.id)["total_fen"] == 6000


def test_every_v1_mutation_applies_and_is_audited(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    shop.fee("labour.capacitor", 8000)
    ticket = shop.ticket(tech)
    visit_id = ticket.visits[0].id
    device = phone("tech1")
    sha = device.put_blob(PNG_1X1)
    from backend.fees.service import summary_hash, summary_of

    signed = summary_hash(summary_of(ticket.id, [
        {"line_id": "L1", "sku": "CAP-35UF", "qty": 1, "charge": "paid", "amount_fen": 4500}], [
        {"line_id": "F1", "item_code": "labour.capacitor", "qty": 1, "amount_fen": 8000}]))
    mutations = [
        device.mutation("visit.depart", ticket.id, visit_id=visit_id),
        device.mutation("visit.arrive", ticket.id, visit_id=visit_id, lat=31.23, lng=121.47),
        device.mutation("checklist.answer", ticket.id, visit_id=visit_id, item_code="shoe_covers",
                        value=True),
        device.mutation("diagnosis.record", ticket.id, visit_id=visit_id, fault_code="E1",
                        cause_code="C-CAP", handling_code="H-REPLACE"),
        device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1, source="van",
                        charge="paid"),
        device.mutation("old_part.collect", ticket.id, line_id="O1", sku="CAP-35UF", qty=1),
        device.mutation("fee.set", ticket.id, line_id="F1", item_code="labour.capacitor", qty=1),
        device.mutation("quote.accept", ticket.id, signature_blob=sha, signer_name="刘女士",
                        summary_hash=signed),
        device.mutation("work.complete", ticket.id, visit_id=visit_id, resolution="fixed"),
        device.mutation("signature.capture", ticket.id, blob=sha, signer_name="刘女士",
                        summary_hash=signed),
        device.mutation("payment.record", ticket.id, payment_id="P1", method="wechat",
                        amount_fen=12500),
        device.mutation("rating.record", ticket.id, score=5, comment="很专业"),
        device.mutation("photo.attach", ticket.id, blob=sha, caption="旧电容"),
    ]

    results = device.push(*mutations)["results"]

    assert [r["status"] for r in results] == ["applied"] * 13
    assert all("flags" not in r for r in results)
    detail = ticket_detail(office(), ticket.id)
    assert detail["status"] == "completed"
    assert detail["rating"] == {"score": 5, "comment": "很专业"}
    assert [s["kind"] for s in detail["signatures"]] == ["quote", "completion"]
    assert detail["old_parts"][0]["line_id"] == "O1"
    assert detail["checklist"][0]["value"] is True
    audited = {t["action"] for t in detail["timeline"]}
    assert {m["name"] for m in mutations} - {"visit.depart", "visit.arrive", "signature.capture",
                                             "quote.accept"} <= audited
    assert db.session.get(Payment, "P1").amount_fen == 12500


def test_a_device_may_start_a_second_visit_itself(shop, phone, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    second = str(uuid.uuid4())

    device.push(device.mutation("work.complete", ticket.id, visit_id=ticket.visits[0].id,
                                resolution="pending_parts"),
                device.mutation("visit.arrive", ticket.id, visit_id=second))

    detail = ticket_detail(office(), ticket.id)
    assert len(detail["visits"]) == 2
    assert detail["status"] == "in_progress"


def test_flags_can_be_resolved_with_a_note(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 0} if False else {"CAP-2UF": 1})
    shop.part("CAP-35UF")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                                source="van", charge="paid"))
    desk = office()
    [flag] = desk.get("/api/flags").get_json()["flags"]

    resolved = desk.post(f"/api/flags/{flag['id']}/resolve", json={"note": "已从仓库补货"})

    assert resolved.status_code == 200
    assert desk.get("/api/flags").get_json()["flags"] == []
    assert db.session.get(Flag, flag["id"]).resolution_note == "已从仓库补货"


def test_a_batch_resent_after_a_server_restart_is_still_a_duplicate(app, shop, phone):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    device = phone("tech1")
    batch = [device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                             source="van", charge="paid")]
    device.push(*batch)

    from backend import create_app

    restarted = create_app({"TESTING": True, "SECRET_KEY": "test",
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    response = restarted.test_client().post("/api/sync/push", headers=device.headers, json={
        "device_id": device.device_id, "clock": device.now().isoformat(), "mutations": batch})
    with restarted.app_context():
        db.engine.dispose()

    assert response.get_json()["results"][0]["status"] == "duplicate"
    assert van_level(tech, "CAP-35UF") == 1


def test_the_same_photo_attached_twice_is_one_photo(shop, phone, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    sha = device.put_blob(PNG_1X1)

    device.push(device.mutation("photo.attach", ticket.id, blob=sha, caption="旧电容"),
                device.mutation("photo.attach", ticket.id, blob=sha, caption="烧毁的旧电容"))

    assert [p["caption"] for p in ticket_detail(office(), ticket.id)["photos"]] == ["烧毁的旧电容"]


def test_a_fee_line_added_by_mistake_can_be_removed(shop, phone, office):
    tech = shop.technician("tech1")
    shop.fee("labour.capacitor", 8000)
    ticket = shop.ticket(tech)
    device = phone("tech1")
    device.push(device.mutation("fee.set", ticket.id, line_id="F1", item_code="labour.capacitor", qty=1))

    removed = device.push(device.mutation("fee.remove", ticket.id, line_id="F1"),
                          device.mutation("fee.remove", ticket.id, line_id="F-unknown"))["results"]

    assert [r["status"] for r in removed] == ["applied", "rejected"]
    assert removed[1]["code"] == "unknown_line"
    detail = ticket_detail(office(), ticket.id)
    assert detail["fees"] == [] and detail["total_fen"] == 0
    assert "fee.remove" in [t["action"] for t in detail["timeline"]]
