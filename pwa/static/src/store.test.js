import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as db from './db.js';
import { reconcilePull } from './rebase.js';
import * as store from './store.js';
import { summaryHash } from './summary.js';

const ticket = (overrides = {}) => ({
  id: 12, status: 'in_progress', appliance: { in_warranty: false }, parts: [], fees: [], signatures: [],
  fee_items: [{ item_code: 'inspect', unit_fen: 5000, warranty_covered: true }], total_fen: 0, ...overrides,
});
const png = (byte) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, byte]).buffer;
const vector = [{ penColor: '#111', points: [{ x: 1, y: 2, pressure: 0.5, time: 1 }] }];

beforeEach(async () => {
  await db.clearAll();
  await db.putServerState({ cursor: 'c1', has_more: false, tickets: [ticket()], removed_ticket_ids: [],
    catalog: { parts: [{ sku: 'CAP-35UF', price_fen: 4500 }] }, stock: { levels: [{ sku: 'CAP-35UF', qty: 2 }] } },
  reconcilePull);
});

describe('an action on the phone', () => {
  it('writes the view, the outbox entry and the signature image with its vector data together, and says so', async () => {
    const changes = vi.fn();
    const off = store.onChange(changes);
    const after = vi.fn();
    store.setAfterAction(after);
    const hash = await summaryHash((await store.ticketRow(12)).view);
    const blob = await store.imageBlob({ bytes: png(1), type: 'image/png', vector });

    const entry = await store.act('signature.capture', 12,
      { blob: blob.sha256, signer_name: '刘女士', summary_hash: hash, role: 'customer' }, { blobs: [blob] });

    expect(entry.seq).toBe(1);
    const row = await store.ticketRow(12);
    expect(row.view.signatures).toMatchObject([{ kind: 'completion', blob: blob.sha256, signer_name: '刘女士' }]);
    const stored = await db.getBlob(blob.sha256);
    expect(stored).toMatchObject({ sha256: blob.sha256, type: 'image/png', vector, uploaded: 0 });
    expect(new Uint8Array(stored.bytes)).toEqual(new Uint8Array(png(1)));
    expect(changes).toHaveBeenCalledWith({ ticketId: 12 });
    expect(after).toHaveBeenCalledWith(entry);
    expect(await store.syncCounts()).toMatchObject({ pending: 1, blobs: 1, deferred: 0 });
    off();
  });

  it('stores neither the image nor the entry when the action fails', async () => {
    const blob = await store.imageBlob({ bytes: png(2), type: 'image/png' });
    await expect(store.act('photo.attach', 99, { blob: blob.sha256 }, { blobs: [blob] })).rejects.toThrow();
    expect(await db.getBlob(blob.sha256)).toBeUndefined();
    expect(await db.listOutbox()).toEqual([]);
  });

  it('keeps the first row of an image stored twice (content-addressed)', async () => {
    const blob = await store.imageBlob({ bytes: png(3), type: 'image/png' });
    await store.act('photo.attach', 12, { blob: blob.sha256 }, { blobs: [blob] });
    await db.markBlobUploaded(blob.sha256);
    await store.act('photo.attach', 12, { blob: blob.sha256, caption: 'again' }, { blobs: [blob] });
    expect((await db.getBlob(blob.sha256)).uploaded).toBe(1);
    expect((await store.syncCounts()).blobs).toBe(0);
  });

  it("shows the van's stock with the parts still in the outbox taken out, below zero included", async () => {
    for (const lineId of ['L1', 'L2', 'L3']) {
      await store.act('part.use', 12, { line_id: lineId, sku: 'CAP-35UF', qty: 1, source: 'van', charge: 'paid' });
    }
    expect(await store.vanStock()).toEqual([{ sku: 'CAP-35UF', qty: -1 }]);
    expect((await store.ticketRow(12)).view.total_fen).toBe(13500);
  });
});

describe('the session', () => {
  it('a new sign-in keeps the outbox and pulls a fresh snapshot for the new device', async () => {
    await store.act('rating.record', 12, { score: 5 });
    await store.signIn({ token: 't2', device_id: 'd2', user: { username: 'tech1' } });
    expect(await store.session()).toMatchObject({ token: 't2', deviceId: 'd2' });
    expect(await db.getMeta('cursor')).toBeNull();
    expect((await db.listOutbox()).map((e) => e.name)).toEqual(['rating.record']);
  });

  it('remembers why the last sync failed until one works', async () => {
    await store.recordSyncResult({ ok: false, step: 'push', status: 500, error: { code: 'internal_error', message: 'boom' } });
    expect((await store.syncCounts()).lastError).toMatchObject({ step: 'push', code: 'internal_error', message: 'boom', offline: false });
    await store.recordSyncResult({ ok: true });
    expect((await store.syncCounts()).lastError).toBeNull();
  });

  it('knows when a sync last worked, for the job list and the sync screen alike', async () => {
    expect(await store.lastSyncAt()).toBeNull();
    await db.setMeta('last_sync_at', '2025-03-04T05:06:07.000Z');
    expect(await store.lastSyncAt()).toBe('2025-03-04T05:06:07.000Z');
    expect((await store.syncCounts()).lastSyncAt).toBe('2025-03-04T05:06:07.000Z');
  });
});
