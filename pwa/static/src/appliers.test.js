import { describe, expect, it } from 'vitest';
import { applyMutation, appliers, MUTATION_NAMES } from './appliers.js';

const AT = '2026-11-23T02:00:00.000Z';

const catalog = {
  parts: [
    { sku: 'AC-CAP-35UF', name: '压缩机电容 35μF', price_fen: 4500 },
    { sku: 'AC-FAN-MOTOR', name: '室外风机电机', price_fen: 28000 },
  ],
};

function makeTicket(overrides = {}) {
  return {
    id: 12, number: 'FS-20261123-0012', status: 'assigned', urgency: 'normal',
    fault: { category: 'not_cooling', description: '空调不制冷' },
    customer: { id: 3, name: '李女士', phone: '13800000000', address: '浦东新区', region: 'pudong', tier: 'regular' },
    appliance: { id: 5, brand: 'Gree', category: 'air_conditioner', model: 'KFR-35GW', serial: 'G123',
      purchase_date: '2024-06-01', warranty_months: 12, warranty_until: '2025-06-01', in_warranty: false },
    scheduled_start: '2026-11-23T01:00:00Z', scheduled_end: '2026-11-23T03:00:00Z', technician: 'tech1',
    visits: [], checklist: [], diagnoses: [], parts: [], old_parts: [], fees: [],
    fee_items: [
      { item_code: 'AC-INSPECT', name: '检测费', name_en: 'Inspection', kind: 'inspection', unit_fen: 5000, warranty_covered: true },
      { item_code: 'AC-TRAVEL-FAR', name: '远程上门费', name_en: 'Long-distance travel', kind: 'travel', unit_fen: 3000, warranty_covered: false },
    ],
    signatures: [], payments: [], rating: null, photos: [], total_fen: 0, flags: [],
    ...overrides,
  };
}

const m = (name, args, at = AT) => ({ id: `m-${name}`, name, ticket_id: 12, at, args });
const apply = (ticket, name, args) => applyMutation(ticket, m(name, args), catalog);

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('part lines', () => {
  it('charges a paid part from the van at the catalog price times the quantity', () => {
    const ticket = apply(makeTicket(), 'part.use',
      { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 2, source: 'van', charge: 'paid' });
    expect(ticket.parts).toEqual([{ line_id: 'L1', sku: 'AC-CAP-35UF', qty: 2, source: 'van',
      charge: 'paid', unit_price_fen: 4500, amount_fen: 9000 }]);
    expect(ticket.total_fen).toBe(9000);
  });

  it('charges nothing for a warranty part or a part the customer supplied, but keeps the unit price', () => {
    let ticket = apply(makeTicket(), 'part.use',
      { line_id: 'L1', sku: 'AC-FAN-MOTOR', qty: 1, source: 'van', charge: 'warranty' });
    ticket = apply(ticket, 'part.use',
      { line_id: 'L2', sku: 'AC-CAP-35UF', qty: 1, source: 'customer', charge: 'paid' });
    expect(ticket.parts.map((p) => [p.unit_price_fen, p.amount_fen])).toEqual([[28000, 0], [4500, 0]]);
    expect(ticket.total_fen).toBe(0);
  });

  it('replaces the line when the same line_id is used again instead of adding a second one', () => {
    const args = { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' };
    let ticket = apply(makeTicket(), 'part.use', args);
    ticket = apply(ticket, 'part.use', { ...args, qty: 3 });
    expect(ticket.parts).toHaveLength(1);
    expect(ticket.parts[0].qty).toBe(3);
    expect(ticket.total_fen).toBe(13500);
  });

  it('removes a part line and its amount from the total', () => {
    let ticket = apply(makeTicket(), 'part.use',
      { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' });
    ticket = apply(ticket, 'part.remove', { line_id: 'L1' });
    expect(ticket.parts).toEqual([]);
    expect(ticket.total_fen).toBe(0);
  });

  it('removes a fee line added by mistake and its amount from the total', () => {
    let ticket = apply(makeTicket(), 'fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 });
    ticket = apply(ticket, 'fee.remove', { line_id: 'F1' });
    expect(ticket.fees).toEqual([]);
    expect(ticket.total_fen).toBe(0);
  });

  it('records an old part collected for return', () => {
    const ticket = apply(makeTicket(), 'old_part.collect', { line_id: 'O1', sku: 'AC-CAP-35UF', qty: 1 });
    expect(ticket.old_parts).toEqual([{ line_id: 'O1', sku: 'AC-CAP-35UF', qty: 1 }]);
  });
});

describe('fee lines', () => {
  it('prices a fee from the price list the server resolved for this ticket', () => {
    const ticket = apply(makeTicket(), 'fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 });
    expect(ticket.fees).toEqual([{ line_id: 'F1', item_code: 'AC-INSPECT', qty: 1, unit_fen: 5000,
      amount_fen: 5000, charge: 'paid', overridden: false }]);
    expect(ticket.total_fen).toBe(5000);
  });

  it('charges nothing for a covered item when the appliance is in warranty, but charges an uncovered one', () => {
    const inWarranty = makeTicket({ appliance: { ...makeTicket().appliance, in_warranty: true } });
    let ticket = applyMutation(inWarranty, m('fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 }), catalog);
    ticket = applyMutation(ticket, m('fee.set', { line_id: 'F2', item_code: 'AC-TRAVEL-FAR', qty: 2 }), catalog);
    expect(ticket.fees.map((f) => [f.amount_fen, f.charge])).toEqual([[0, 'warranty'], [6000, 'paid']]);
    expect(ticket.total_fen).toBe(6000);
  });

  it('takes an overridden amount as given and marks the line overridden', () => {
    const ticket = apply(makeTicket(), 'fee.set',
      { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1, amount_fen: 2000 });
    expect(ticket.fees[0]).toMatchObject({ unit_fen: 5000, amount_fen: 2000, overridden: true });
  });

  it('replaces an existing fee line with the same line_id', () => {
    let ticket = apply(makeTicket(), 'fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 });
    ticket = apply(ticket, 'fee.set', { line_id: 'F1', item_code: 'AC-TRAVEL-FAR', qty: 1 });
    expect(ticket.fees).toHaveLength(1);
    expect(ticket.fees[0].item_code).toBe('AC-TRAVEL-FAR');
    expect(ticket.total_fen).toBe(3000);
  });
});

describe('the visit', () => {
  it('departs, arrives (in progress) and completes as fixed (completed)', () => {
    let ticket = apply(makeTicket(), 'visit.depart', { visit_id: 'V1' });
    ticket = applyMutation(ticket, m('visit.arrive', { visit_id: 'V1', lat: 31.2, lng: 121.5 }, '2026-11-23T02:30:00.000Z'), catalog);
    expect(ticket.status).toBe('in_progress');
    ticket = applyMutation(ticket, m('work.complete', { visit_id: 'V1', resolution: 'fixed', notes: '更换电容' }, '2026-11-23T03:00:00.000Z'), catalog);
    expect(ticket.status).toBe('completed');
    expect(ticket.visits).toEqual([{ id: 'V1', departed_at: AT, arrived_at: '2026-11-23T02:30:00.000Z',
      completed_at: '2026-11-23T03:00:00.000Z', resolution: 'fixed', notes: '更换电容', lat: 31.2, lng: 121.5 }]);
  });

  it('waits for another visit when the work ends for want of parts', () => {
    const ticket = apply(makeTicket({ status: 'in_progress' }), 'work.complete', { visit_id: 'V1', resolution: 'pending_parts' });
    expect(ticket.status).toBe('pending');
  });

  it('keeps one checklist answer per visit and item, and one diagnosis per visit', () => {
    let ticket = apply(makeTicket(), 'checklist.answer', { visit_id: 'V1', item_code: 'power_ok', value: true });
    ticket = apply(ticket, 'checklist.answer', { visit_id: 'V1', item_code: 'power_ok', value: false, note: '插座松动' });
    ticket = apply(ticket, 'diagnosis.record', { visit_id: 'V1', fault_code: 'E1' });
    ticket = apply(ticket, 'diagnosis.record', { visit_id: 'V1', fault_code: 'E6', cause_code: 'C-CAP' });
    expect(ticket.checklist).toEqual([{ visit_id: 'V1', item_code: 'power_ok', value: false, note: '插座松动', at: AT }]);
    expect(ticket.diagnoses).toEqual([{ visit_id: 'V1', fault_code: 'E6', cause_code: 'C-CAP',
      handling_code: null, notes: null, at: AT }]);
  });
});

describe('signatures, payments, rating and photos', () => {
  it('adds a quote signature on quote.accept and a completion signature on signature.capture', () => {
    let ticket = apply(makeTicket(), 'quote.accept', { signature_blob: 'aa', signer_name: '李女士', summary_hash: 'h1' });
    ticket = apply(ticket, 'signature.capture', { blob: 'bb', signer_name: '李女士', summary_hash: 'h2', role: 'customer' });
    expect(ticket.signatures).toEqual([
      { kind: 'quote', blob: 'aa', signer_name: '李女士', summary_hash: 'h1', refused: false, refusal_reason: null, at: AT },
      { kind: 'completion', blob: 'bb', signer_name: '李女士', summary_hash: 'h2', refused: false, refusal_reason: null, at: AT },
    ]);
  });

  it('records a refusal to sign without an image', () => {
    const ticket = apply(makeTicket(), 'signature.capture',
      { blob: null, signer_name: null, summary_hash: 'h2', role: 'customer', refused: true, refusal_reason: '客户不在家' });
    expect(ticket.signatures[0]).toMatchObject({ kind: 'completion', blob: null, refused: true, refusal_reason: '客户不在家' });
  });

  it('keeps one payment per payment_id, one rating and one photo per blob', () => {
    let ticket = apply(makeTicket(), 'payment.record', { payment_id: 'P1', method: 'wechat', amount_fen: 9000 });
    ticket = apply(ticket, 'payment.record', { payment_id: 'P1', method: 'wechat', amount_fen: 9000 });
    ticket = apply(ticket, 'rating.record', { score: 5 });
    ticket = apply(ticket, 'photo.attach', { blob: 'cc', caption: '铭牌' });
    ticket = apply(ticket, 'photo.attach', { blob: 'cc', caption: '铭牌' });
    expect(ticket.payments).toEqual([{ payment_id: 'P1', method: 'wechat', amount_fen: 9000, at: AT }]);
    expect(ticket.rating).toEqual({ score: 5, comment: null });
    expect(ticket.photos).toEqual([{ blob: 'cc', caption: '铭牌', at: AT }]);
  });
});

describe('every applier', () => {
  const examples = {
    'visit.depart': { visit_id: 'V1' },
    'visit.arrive': { visit_id: 'V1' },
    'checklist.answer': { visit_id: 'V1', item_code: 'power_ok', value: true },
    'diagnosis.record': { visit_id: 'V1', fault_code: 'E1' },
    'part.use': { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' },
    'part.remove': { line_id: 'L1' },
    'old_part.collect': { line_id: 'O1', sku: 'AC-CAP-35UF', qty: 1 },
    'fee.set': { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 },
    'fee.remove': { line_id: 'F1' },
    'quote.accept': { signature_blob: 'aa', signer_name: 'x', summary_hash: 'h' },
    'work.complete': { visit_id: 'V1', resolution: 'fixed' },
    'signature.capture': { blob: 'bb', signer_name: 'x', summary_hash: 'h', role: 'customer' },
    'payment.record': { payment_id: 'P1', method: 'cash', amount_fen: 100 },
    'rating.record': { score: 4 },
    'photo.attach': { blob: 'cc' },
  };

  it('exists for each mutation name of DESIGN.md, and only for those', () => {
    expect(MUTATION_NAMES.sort()).toEqual(Object.keys(examples).sort());
  });

  it.each(Object.keys(examples))('%s leaves its input untouched and gives the same result when replayed', (name) => {
    const before = deepFreeze(makeTicket({ parts: [{ line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van',
      charge: 'paid', unit_price_fen: 4500, amount_fen: 4500 }], total_fen: 4500 }));
    const once = appliers[name](before, m(name, examples[name]), catalog);
    const twice = appliers[name](once, m(name, examples[name]), catalog);
    expect(once).not.toBe(before);
    expect(twice).toEqual(once);
  });

  it('leaves the ticket as it is for a mutation name it does not know', () => {
    const ticket = makeTicket();
    expect(applyMutation(ticket, m('teleport', {}), catalog)).toBe(ticket);
  });
});
