import { describe, expect, it } from 'vitest';
import { livePending, rebase, rebaseStock, reconcilePull } from './rebase.js';

const catalog = { parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }, { sku: 'AC-FAN-MOTOR', price_fen: 28000 }] };

function makeTicket(overrides = {}) {
  return {
    id: 12, number: 'FS-0012', status: 'in_progress', technician: 'tech1',
    appliance: { in_warranty: false },
    visits: [], checklist: [], diagnoses: [], parts: [], old_parts: [], fees: [],
    fee_items: [{ item_code: 'AC-INSPECT', unit_fen: 5000, warranty_covered: true }],
    signatures: [], payments: [], rating: null, photos: [], total_fen: 0, flags: [],
    ...overrides,
  };
}

let nextSeq = 1;
function pending(name, args, { ticketId = 12, seq = nextSeq++, status = 'pending' } = {}) {
  return { seq, id: `mut-${seq}`, name, ticket_id: ticketId, at: '2026-11-23T02:00:00.000Z', args, status };
}

const useCapacitor = (lineId = 'L1', extra = {}) => pending('part.use',
  { line_id: lineId, sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' }, extra);

const capacitorLine = { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid', unit_price_fen: 4500, amount_fen: 4500 };

const pullOf = (overrides) => ({ cursor: 'c2', has_more: false, tickets: [], removed_ticket_ids: [], device_last_seq: 0, ...overrides });

describe('rebasing a ticket on the pulled state', () => {
  it('given a van with two capacitors, when the technician uses one offline and the pull comes back without it yet, the view still shows one line and the van one capacitor', () => {
    const server = makeTicket();
    const outbox = [useCapacitor('L1', { seq: 1 })];
    const [row] = reconcilePull([{ id: 12, server, view: server }], pullOf({ tickets: [server] }), outbox, catalog);

    expect(row.server.parts).toEqual([]);
    expect(row.view.parts).toEqual([capacitorLine]);
    expect(row.view.total_fen).toBe(4500);
    expect(rebaseStock([{ sku: 'AC-CAP-35UF', qty: 2 }], outbox, [server])).toEqual([{ sku: 'AC-CAP-35UF', qty: 1 }]);
  });

  it('does not double a part line the server already included while its entry is still pending', () => {
    // seq 1 (a signature waiting for its blob) is deferred, so device_last_seq stays at 0
    // although the server applied seq 2, the capacitor: the pull already has the line.
    const server = makeTicket({ parts: [capacitorLine], total_fen: 4500 });
    const outbox = [pending('rating.record', { score: 5 }, { seq: 1 }), useCapacitor('L1', { seq: 2 })];
    const [row] = reconcilePull([], pullOf({ tickets: [server], device_last_seq: 0 }), outbox, catalog);

    expect(row.view.parts).toEqual([capacitorLine]);
    expect(row.view.total_fen).toBe(4500);
    // and the van, already counted down by the server, is not counted down again
    expect(rebaseStock([{ sku: 'AC-CAP-35UF', qty: 1 }], outbox, [server])).toEqual([{ sku: 'AC-CAP-35UF', qty: 1 }]);
  });

  it('drops entries at or below device_last_seq before replaying: the pulled state is the truth for them', () => {
    // The office removed the line after the device's part.use was applied (seq 3 settled).
    const server = makeTicket();
    const outbox = [useCapacitor('L1', { seq: 3 })];
    const [row] = reconcilePull([], pullOf({ tickets: [server], device_last_seq: 3 }), outbox, catalog);
    expect(row.view.parts).toEqual([]);
  });

  it('replays in seq order whatever order the outbox was read in', () => {
    const first = pending('fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 }, { seq: 10 });
    const second = pending('fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1, amount_fen: 1000 }, { seq: 11 });
    const view = rebase(makeTicket(), [second, first], catalog);
    expect(view.fees).toHaveLength(1);
    expect(view.fees[0]).toMatchObject({ amount_fen: 1000, overridden: true });
  });

  it('ignores mutations for another ticket and rejected mutations', () => {
    const other = useCapacitor('L9', { ticketId: 99 });
    const rejected = useCapacitor('L8', { status: 'rejected' });
    expect(rebase(makeTicket(), [other, rejected], catalog).parts).toEqual([]);
  });

  it('is idempotent: rebasing the rebased view on the same outbox changes nothing', () => {
    const outbox = [
      useCapacitor('L1'),
      pending('fee.set', { line_id: 'F1', item_code: 'AC-INSPECT', qty: 1 }),
      pending('payment.record', { payment_id: 'P1', method: 'cash', amount_fen: 9500 }),
      pending('signature.capture', { blob: 'aa', signer_name: '李女士', summary_hash: 'h', role: 'customer' }),
    ];
    const once = rebase(makeTicket(), outbox, catalog);
    expect(rebase(once, outbox, catalog)).toEqual(once);
  });

  it('matches a ticket whose id arrived as a string', () => {
    expect(rebase(makeTicket(), [useCapacitor('L1', { ticketId: '12' })], catalog).parts).toHaveLength(1);
  });

  it('counts a pending removal of a van line back into the van', () => {
    const server = makeTicket({ parts: [capacitorLine], total_fen: 4500 });
    const outbox = [pending('part.remove', { line_id: 'L1' })];
    expect(rebaseStock([{ sku: 'AC-CAP-35UF', qty: 1 }], outbox, [server])).toEqual([{ sku: 'AC-CAP-35UF', qty: 2 }]);
  });
});

describe('tickets taken away from the technician', () => {
  it('drops a removed ticket that has no unsynced work', () => {
    const local = [{ id: 12, server: makeTicket(), view: makeTicket() }, { id: 13, server: makeTicket({ id: 13 }), view: makeTicket({ id: 13 }) }];
    const rows = reconcilePull(local, pullOf({ removed_ticket_ids: [13] }), [], catalog);
    expect(rows.map((r) => r.id)).toEqual([12]);
  });

  it('keeps a removed ticket with unsynced work, marked removed with the reason, until that work is settled', () => {
    const local = [{ id: 12, server: makeTicket(), view: makeTicket() }];
    const outbox = [useCapacitor('L1', { seq: 5 })];
    const [kept] = reconcilePull(local, pullOf({ removed_ticket_ids: [{ id: 12, reason: 'cancelled' }], device_last_seq: 4 }), outbox, catalog);
    expect(kept).toMatchObject({ id: 12, removed: true, removed_reason: 'cancelled' });
    expect(kept.view.parts).toEqual([capacitorLine]);

    // The next pull settles seq 5; the removal is not repeated, the ticket goes.
    expect(reconcilePull([kept], pullOf({ device_last_seq: 5 }), outbox, catalog)).toEqual([]);
  });

  it('brings a ticket back when it is assigned to the technician again', () => {
    const local = [{ id: 12, server: makeTicket(), view: makeTicket(), removed: true, removed_reason: 'reassigned' }];
    const [row] = reconcilePull(local, pullOf({ tickets: [makeTicket({ status: 'assigned' })] }), [], catalog);
    expect(row.removed).toBeUndefined();
    expect(row.view.status).toBe('assigned');
  });
});

describe('livePending', () => {
  it('keeps pending entries above device_last_seq, in seq order', () => {
    const entries = [useCapacitor('a', { seq: 4 }), useCapacitor('b', { seq: 2 }), useCapacitor('c', { seq: 3, status: 'rejected' })];
    expect(livePending(entries, 2).map((e) => e.seq)).toEqual([4]);
    expect(livePending(entries).map((e) => e.seq)).toEqual([2, 4]);
  });
});
