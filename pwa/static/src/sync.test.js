import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as api from './api.js';
import * as db from './db.js';
import { record } from './outbox.js';
import { reconcilePull } from './rebase.js';
import { backoffDelay, syncOnce } from './sync.js';
import { APP_VERSION } from './version.js';

vi.mock('./api.js', () => ({ putBlob: vi.fn(), push: vi.fn(), pull: vi.fn() }));

const catalog = { parts: [{ sku: 'AC-CAP-35UF', price_fen: 4500 }] };
const ticket = (overrides = {}) => ({
  id: 12, status: 'in_progress', appliance: { in_warranty: false }, parts: [], fees: [], fee_items: [],
  signatures: [], total_fen: 0, ...overrides,
});
const capacitor = (lineId) => ({ line_id: lineId, sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid' });

// The server of these stories applies everything it is sent and remembers it.
function fakeServer() {
  const calls = [];
  const applied = [];
  api.putBlob.mockImplementation(async (sha256) => { calls.push(`putBlob ${sha256}`); return { ok: true, status: 201, data: {} }; });
  api.push.mockImplementation(async (body) => {
    calls.push(`push ${body.mutations.map((m) => m.seq).join(',')}`);
    applied.push(...body.mutations);
    return { ok: true, status: 200, data: { results: body.mutations.map((m) => ({ id: m.id, status: 'applied' })), cursor: 'x' } };
  });
  api.pull.mockImplementation(async (cursor) => {
    calls.push(`pull ${cursor}`);
    const parts = applied.filter((m) => m.name === 'part.use')
      .map((m) => ({ ...m.args, unit_price_fen: 4500, amount_fen: 4500 }));
    const lastSeq = applied.at(-1)?.seq ?? 0;
    if (cursor === 'c1') {
      return { ok: true, status: 200, data: { cursor: 'c2', has_more: true, tickets: [], removed_ticket_ids: [], device_last_seq: lastSeq } };
    }
    return { ok: true, status: 200, data: { cursor: 'c3', has_more: false, tickets: [ticket({ parts, total_fen: 4500 * parts.length })], removed_ticket_ids: [], device_last_seq: lastSeq } };
  });
  return { calls, applied };
}

beforeEach(async () => {
  vi.resetAllMocks();
  await db.clearAll();
  await db.setMeta({ token: 'tok', device_id: 'dev-1' });
  await db.putServerState({ cursor: 'c1', has_more: false, tickets: [ticket()], removed_ticket_ids: [], catalog }, reconcilePull);
});

describe('one sync', () => {
  it('given two capacitors used offline and a signature image, uploads the image, pushes both, then pulls every page', async () => {
    const { calls, applied } = fakeServer();
    await db.putBlob({ sha256: 'ab12', type: 'image/svg+xml', bytes: new Blob(['<svg/>'], { type: 'image/svg+xml' }) });
    await record('part.use', 12, capacitor('L1'), { catalog });
    await record('part.use', 12, capacitor('L2'), { catalog });

    const result = await syncOnce();

    expect(result).toEqual({ ok: true, uploaded: 1, pushed: 2, pages: 2 });
    expect(calls).toEqual(['putBlob ab12', 'push 1,2', 'pull c1', 'pull c2']);
    const body = api.push.mock.calls[0][0];
    expect(body).toMatchObject({ device_id: 'dev-1', client_version: APP_VERSION, clock: expect.any(String) });
    expect(Object.keys(applied[0]).sort()).toEqual(['args', 'at', 'id', 'name', 'seq', 'ticket_id']);
    expect(api.push.mock.calls[0][1]).toEqual({ token: 'tok' });

    expect(await db.listOutbox()).toEqual([]);
    expect(await db.listBlobsToUpload()).toEqual([]);
    const row = await db.getTicket(12);
    expect(row.view.parts.map((p) => p.line_id)).toEqual(['L1', 'L2']);
    expect(row.view).toEqual(row.server);
    expect(await db.getMeta('cursor')).toBe('c3');
    expect(await db.getMeta('last_sync_at')).toEqual(expect.any(String));
  });

  it('pushes in seq order in batches of 100', async () => {
    fakeServer();
    for (let n = 1; n <= 150; n += 1) await record('rating.record', 12, { score: 5 });
    await syncOnce();
    const batches = api.push.mock.calls.map(([body]) => body.mutations.map((m) => m.seq));
    expect(batches.map((b) => b.length)).toEqual([100, 50]);
    expect(batches.flat()).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });

  it('stops offline at the push and keeps the outbox and the view as they were', async () => {
    fakeServer();
    api.push.mockResolvedValue({ ok: false, network: true });
    await record('part.use', 12, capacitor('L1'), { catalog });

    expect(await syncOnce()).toMatchObject({ ok: false, step: 'push', offline: true, retry: true });
    expect(api.pull).not.toHaveBeenCalled();
    expect(await db.listPending()).toHaveLength(1);
    expect((await db.getTicket(12)).view.parts).toHaveLength(1);
  });

  it('stops signed out when the token was revoked', async () => {
    fakeServer();
    api.pull.mockResolvedValue({ ok: false, status: 401, error: { code: 'unauthorized', message: '' } });
    expect(await syncOnce()).toMatchObject({ ok: false, step: 'pull', signedOut: true, retry: false });
  });

  it('does nothing without a token', async () => {
    await db.setMeta('token', null);
    expect(await syncOnce()).toEqual({ ok: false, signedOut: true, retry: false });
    expect(api.pull).not.toHaveBeenCalled();
  });
});

describe('single flight', () => {
  it('never runs two syncs at once, and a sync asked for meanwhile runs once more afterwards', async () => {
    fakeServer();
    let running = 0;
    let most = 0;
    const slowPull = api.pull.getMockImplementation();
    api.pull.mockImplementation(async (cursor) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return slowPull(cursor);
    });

    const first = syncOnce();
    const second = syncOnce();
    const third = syncOnce();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await first;

    expect(most).toBe(1);
    // the round that was running (two pages), then one more round for the callers
    expect(api.pull.mock.calls.map(([cursor]) => cursor)).toEqual(['c1', 'c2', 'c3']);
  });
});

describe('backoff', () => {
  it('doubles from 2 s up to 5 minutes, with jitter between half and all of the step', () => {
    const top = { random: () => 1 };
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, top))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffDelay(20, top)).toBe(300_000);
    expect(backoffDelay(3, { random: () => 0 })).toBe(8000);
    expect(backoffDelay(-1, top)).toBe(2000);
  });
});
