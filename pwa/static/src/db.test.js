import { beforeEach, describe, expect, it } from 'vitest';
import * as db from './db.js';
import { reconcilePull } from './rebase.js';

const server = (overrides = {}) => ({
  id: 12, number: 'FS-0012', status: 'assigned', parts: [], fees: [], fee_items: [],
  appliance: { in_warranty: false }, total_fen: 0, ...overrides,
});

const mutation = (id, ticketId = 12) => ({ id, name: 'rating.record', ticket_id: ticketId, at: '2026-11-23T02:00:00.000Z', args: { score: 5 } });

async function givenTicketOnThePhone(ticket = server()) {
  await db.putServerState({ cursor: 'c1', has_more: false, tickets: [ticket], removed_ticket_ids: [] }, reconcilePull);
}

beforeEach(async () => {
  await db.clearAll();
});

describe('recording a mutation', () => {
  it('writes the ticket view and the outbox entry together and numbers entries 1, 2, 3 even when recorded at once', async () => {
    await givenTicketOnThePhone();
    const entries = await Promise.all(['a', 'b', 'c'].map((id) =>
      db.appendMutation((view) => ({ ...view, note: id }), mutation(id))));

    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await db.getMeta('next_seq')).toBe(4);
    expect((await db.listPending()).map((e) => [e.seq, e.id, e.status])).toEqual([[1, 'a', 'pending'], [2, 'b', 'pending'], [3, 'c', 'pending']]);
    const row = await db.getTicket(12);
    expect(row.view.note).toBe('c'); // each update built on the view the previous one wrote
    expect(row.server).toEqual(server());
  });

  it('takes neither a seq nor a view change when the outbox write fails (same mutation id twice)', async () => {
    await givenTicketOnThePhone();
    await db.appendMutation((view) => ({ ...view, note: 'first' }), mutation('same'));
    await expect(db.appendMutation((view) => ({ ...view, note: 'second' }), mutation('same'))).rejects.toThrow();

    expect(await db.getMeta('next_seq')).toBe(2);
    expect((await db.getTicket(12)).view.note).toBe('first');
    expect(await db.listOutbox()).toHaveLength(1);
  });

  it('refuses a mutation for a ticket that is not on the phone and writes nothing', async () => {
    await expect(db.appendMutation((view) => view, mutation('x', 404))).rejects.toThrow(/not on this device/);
    expect(await db.getMeta('next_seq')).toBeUndefined();
    expect(await db.listOutbox()).toEqual([]);
  });
});

describe('storing a pull', () => {
  it('stores tickets, catalog, stock and cursor in one go', async () => {
    await db.putServerState({
      cursor: 'c1', has_more: false, server_time: '2026-11-23T02:00:00Z', device_last_seq: 0,
      tickets: [server()], removed_ticket_ids: [],
      catalog: { parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }], fault_codes: [] },
      stock: { location: 'van:tech1', levels: [{ sku: 'AC-CAP-35UF', qty: 2 }] },
    }, reconcilePull);

    expect(await db.getTickets()).toEqual([{ id: 12, server: server(), view: server() }]);
    expect(await db.getCatalog()).toEqual({ parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }], fault_codes: [] });
    expect(await db.getStock()).toEqual([{ sku: 'AC-CAP-35UF', qty: 2 }]);
    expect(await db.getMeta('cursor')).toBe('c1');
  });

  it('settles the outbox up to device_last_seq and keeps settled rejections to show', async () => {
    await givenTicketOnThePhone();
    for (const id of ['a', 'b', 'c']) await db.appendMutation((view) => view, mutation(id));
    await db.markResult(1, { status: 'rejected', code: 'not_allowed', message: 'no' });

    await db.putServerState({ cursor: 'c2', has_more: false, tickets: [], removed_ticket_ids: [], device_last_seq: 2 }, reconcilePull);

    expect((await db.listOutbox()).map((e) => e.seq)).toEqual([3]);
    expect(await db.getMeta('rejected')).toMatchObject([{ id: 'a', status: 'rejected', code: 'not_allowed' }]);
    expect(await db.getMeta('device_last_seq')).toBe(2);
  });

  it('keeps the view of a mutation recorded while the pull was on the wire', async () => {
    await givenTicketOnThePhone();
    await db.appendMutation((view) => ({ ...view, parts: [{ line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid', unit_price_fen: 4500, amount_fen: 4500 }] }),
      { id: 'u1', name: 'part.use', ticket_id: 12, at: '2026-11-23T02:00:00.000Z', args: { line_id: 'L1', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' } });

    // the pull's reconcile sees the outbox as it is at commit time, not as it was at fetch time
    await db.putServerState({ cursor: 'c2', has_more: false, tickets: [server({ status: 'in_progress' })], removed_ticket_ids: [], device_last_seq: 0,
      catalog: { parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }] } }, reconcilePull);
    const row = await db.getTicket(12);
    expect(row.server.parts).toEqual([]);
    expect(row.view.parts).toHaveLength(1);
    expect(row.view.status).toBe('in_progress');
  });
});

describe('blobs', () => {
  it('keeps one row per hash, lists what is still to upload and remembers the upload', async () => {
    const bytes = new Uint8Array([137, 80, 78, 71]).buffer;
    await db.putBlob({ sha256: 'aa', type: 'image/png', bytes });
    await db.putBlob({ sha256: 'bb', type: 'image/png', bytes });
    expect((await db.listBlobsToUpload()).map((b) => b.sha256)).toEqual(['aa', 'bb']);

    await db.markBlobUploaded('aa');
    await db.putBlob({ sha256: 'aa', type: 'image/png', bytes }); // the same image again
    expect((await db.listBlobsToUpload()).map((b) => b.sha256)).toEqual(['bb']);
    expect(new Uint8Array((await db.getBlob('aa')).bytes)).toEqual(new Uint8Array([137, 80, 78, 71]));
  });
});

describe('meta and sign-out', () => {
  it('writes several meta values at once and clears everything, next_seq included, on sign-out', async () => {
    await db.setMeta({ token: 't', device_id: 'd1', user: { username: 'tech1' } });
    await givenTicketOnThePhone();
    await db.appendMutation((view) => view, mutation('a'));
    expect(await db.getMeta('device_id')).toBe('d1');

    await db.clearAll();
    expect(await db.getMeta('token')).toBeUndefined();
    expect(await db.getMeta('next_seq')).toBeUndefined();
    expect(await db.getTickets()).toEqual([]);
  });
});
