// What the screens read and how they act: local state first, always. An action writes the
// ticket's new view and its outbox entry in one IndexedDB transaction (outbox.record ->
// db.appendMutation); the screens repaint from IndexedDB at once; sync follows when it can.
import * as db from './db.js';
import { record } from './outbox.js';
import { rebaseStock } from './rebase.js';
import { sha256Hex } from './summary.js';

const listeners = new Set();
let afterAction = () => {};

// listener({ticketId?}) after every local change (an action, or a sync that pulled).
export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function changed(detail = {}) {
  for (const listener of listeners) listener(detail);
}

// The app wires this to "sync soon when online" and Background Sync.
export function setAfterAction(callback) {
  afterAction = callback;
}

export function newId() {
  return crypto.randomUUID();
}

export async function session() {
  const [token, user, deviceId] = await Promise.all([
    db.getMeta('token'), db.getMeta('user'), db.getMeta('device_id')]);
  return token ? { token, user, deviceId } : null;
}

export function catalog() {
  return db.getCatalog();
}

export function ticketRows() {
  return db.getTickets();
}

export function ticketRow(id) {
  return db.getTicket(Number(id));
}

// The van as the technician should see it: the last pulled levels minus the part lines
// still waiting in the outbox.
export async function vanStock() {
  const [levels, outbox, rows] = await Promise.all([db.getStock(), db.listOutbox(), db.getTickets()]);
  return rebaseStock(levels, outbox, rows.map((row) => row.server));
}

// An image to store with the mutation that names it (content-addressed by SHA-256).
export async function imageBlob({ bytes, type, vector }) {
  return { sha256: await sha256Hex(bytes), type, bytes, vector };
}

export function getBlob(sha256) {
  return db.getBlob(sha256);
}

// Records one field fact. `at` is the moment of the act (e.g. the tap on "Arrived", even
// if finding the location took a few seconds).
export async function act(name, ticketId, args, { blobs = [], at = new Date() } = {}) {
  const entry = await record(name, Number(ticketId), args, { catalog: await db.getCatalog(), blobs, now: at });
  changed({ ticketId: Number(ticketId) });
  afterAction(entry);
  return entry;
}

// When a sync last worked (an ISO string), or null: all the job list needs.
export async function lastSyncAt() {
  return (await db.getMeta('last_sync_at')) ?? null;
}

// Counts for the header and the sync screen.
export async function syncCounts() {
  const [outbox, blobs, settledRejections, lastSync, lastError] = await Promise.all([
    db.listOutbox(), db.countBlobsToUpload(), db.getMeta('rejected'), lastSyncAt(),
    db.getMeta('last_sync_error')]);
  const pending = outbox.filter((e) => e.status === 'pending');
  return {
    outbox,
    pending: pending.length,
    deferred: pending.filter((e) => e.deferred).length,
    blobs,
    // Refused by the server: those a pull settled (the technician dismisses them once
    // read) and those still in the outbox until the next pull settles them.
    rejected: [...(settledRejections ?? []).map((e) => ({ ...e, settled: true })),
      ...outbox.filter((e) => e.status === 'rejected')],
    lastSyncAt: lastSync,
    lastError: lastError ?? null,
  };
}

// "My month": the last answer kept on the phone, and keeping a new one.
export function cachedEarnings() {
  return db.getEarnings();
}

export function keepEarnings(envelope) {
  return db.putEarnings(envelope);
}

export function recordSyncResult(result) {
  if (result.ok) return db.setMeta('last_sync_error', null);
  const error = {
    at: new Date().toISOString(),
    offline: Boolean(result.offline),
    signed_out: Boolean(result.signedOut),
    step: result.step ?? null,
    code: result.error?.code ?? (result.status ? `http_${result.status}` : null),
    message: result.error?.message ?? null,
  };
  return db.setMeta('last_sync_error', error);
}

// A new sign-in (possibly after the session ended): the outbox and its seqs stay, the pull
// starts again from a full snapshot for the new device.
export async function signIn({ token, device_id: deviceId, user }) {
  await db.setMeta({ token, device_id: deviceId, user, cursor: null, device_last_seq: null });
}

export function signOutLocally() {
  return db.clearAll();
}

export async function dropToken() {
  await db.setMeta('token', null);
}
