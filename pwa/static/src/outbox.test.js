import { beforeEach, describe, expect, it } from 'vitest';
import * as db from './db.js';
import { dismissRejected, listRejected, newMutation, planPushSettlement, record, settlePush, settlementFor, toWire } from './outbox.js';
import { reconcilePull } from './rebase.js';

const catalog = { parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }] };
const ticket = {
  id: 12, status: 'in_progress', appliance: { in_warranty: false }, visits: [], parts: [], fees: [],
  fee_items: [{ item_code: 'AC-INSPECT', unit_fen: 5000, warranty_covered: true }], signatures: [], payments: [], total_fen: 0,
};

beforeEach(async () => {
  await db.clearAll();
  await db.putServerState({ cursor: 'c1', has_more: false, tickets: [ticket], removed_ticket_ids: [], catalog }, reconcilePull);
});

describe('a new mutation', () => {
  it('gets a uuid v4 and the time of the act, and nothing else is made up', () => {
    const mutation = newMutation('part.use', 12, { line_id: 'L1' }, new Date('2026-11-23T02:00:00Z'));
    expect(mutation).toEqual({ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: 'part.use', ticket_id: 12, at: '2026-11-23T02:00:00.000Z', args: { line_id: 'L1' } });
    expect(newMutation('rating.record', 12, {}).id).not.toBe(mutation.id);
  });

  it('is recorded with the view the technician sees at once', async () => {
    const entry = await record('part.use', 12, { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 2, source: 'van', charge: 'paid' }, { catalog });
    expect(entry).toMatchObject({ seq: 1, status: 'pending', name: 'part.use' });
    expect(toWire(entry)).toEqual({ id: entry.id, seq: 1, name: 'part.use', ticket_id: 12, at: entry.at, args: entry.args });
    const row = await db.getTicket(12);
    expect(row.view.total_fen).toBe(9000);
    expect(row.server.total_fen).toBe(0);
  });
});

describe('settling push results', () => {
  it('maps each status to what happens to the entry', () => {
    expect(settlementFor({ id: 'a', status: 'applied', flags: ['negative_van_stock'] })).toBeNull();
    expect(settlementFor({ id: 'a', status: 'duplicate' })).toBeNull();
    expect(settlementFor({ id: 'a', status: 'duplicate', code: 'ticket_not_yours', message: 'm' }))
      .toEqual({ status: 'rejected', code: 'ticket_not_yours', message: 'm' });
    expect(settlementFor({ id: 'a', status: 'rejected', code: 'validation_error', message: 'qty' }))
      .toEqual({ status: 'rejected', code: 'validation_error', message: 'qty' });
    expect(settlementFor({ id: 'a', status: 'deferred', code: 'blob_missing' }))
      .toEqual({ status: 'pending', deferred: { code: 'blob_missing', message: null } });
  });

  it('ignores results for mutations that were not in the batch', () => {
    expect(planPushSettlement([{ id: 'a', seq: 1 }], [{ id: 'zz', status: 'applied' }])).toEqual([]);
  });

  it('given four recorded facts, when the server applies one, has seen one, rejects one and defers one, only the rejected and the deferred stay', async () => {
    const args = (n) => ({ line_id: `L${n}`, sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' });
    const sent = [];
    for (const n of [1, 2, 3, 4]) sent.push(await record('part.use', 12, args(n), { catalog }));

    await settlePush(sent, [
      { id: sent[0].id, status: 'applied' },
      { id: sent[1].id, status: 'duplicate' },
      { id: sent[2].id, status: 'rejected', code: 'unknown_sku', message: '没有这个配件' },
      { id: sent[3].id, status: 'deferred', code: 'blob_missing', message: 'later' },
    ]);

    expect((await db.listOutbox()).map((e) => [e.seq, e.status])).toEqual([[3, 'rejected'], [4, 'pending']]);
    expect((await db.listPending()).map((e) => e.seq)).toEqual([4]); // the rejected one is not retried
    expect(await listRejected()).toMatchObject([{ seq: 3, code: 'unknown_sku', message: '没有这个配件' }]);

    // The pull then settles everything up to seq 3: the rejection leaves the outbox but stays visible.
    await db.putServerState({ cursor: 'c2', has_more: false, tickets: [], removed_ticket_ids: [], device_last_seq: 3 }, reconcilePull);
    expect((await db.listOutbox()).map((e) => e.seq)).toEqual([4]);
    expect(await listRejected()).toMatchObject([{ seq: 3, code: 'unknown_sku' }]);

    await dismissRejected(sent[2].id);
    expect(await listRejected()).toEqual([]);
  });

  it('after a lost push response, a pull alone settles what the server applied', async () => {
    await record('rating.record', 12, { score: 5 });
    await record('rating.record', 12, { score: 4 });
    await db.settleUpTo(1);
    expect((await db.listPending()).map((e) => e.seq)).toEqual([2]);
  });
});
