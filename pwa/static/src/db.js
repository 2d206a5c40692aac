// The only module that knows the IndexedDB stores (and the only one importing idb).
//
// Stores (version 1):
//   tickets  keyPath id      rows {id, server, view, removed?, removed_reason?}:
//                            `server` is the ticket exactly as last pulled, `view` is that
//                            ticket with the pending outbox replayed (rebase.js); the
//                            screens read `view`, sync replaces `server`.
//   catalog  name -> value   'parts', 'fee_schedule', 'checklists', 'fault_codes', ...
//   stock    keyPath sku     the van's levels as last pulled {sku, qty, ...}
//   outbox   keyPath seq     {seq, id, name, ticket_id, at, args, status: 'pending'|'rejected',
//                            code?, message?, deferred?}; index by_id (the mutation's uuid)
//   blobs    keyPath sha256  {sha256, type, bytes, uploaded: 0|1, vector?} (1/0: booleans can't
//                            be indexed); bytes is an ArrayBuffer (Blobs in IndexedDB were
//                            unreliable in older Safari); vector is signature_pad's toData()
//   meta     key -> value    token, device_id, user, cursor, next_seq, last_sync_at,
//                            device_last_seq, rejected (settled rejections still to show),
//                            earnings (the last "My month" answer, commission.earningsEnvelope)
//
// Transactions await nothing but IndexedDB: a fetch or a timer inside one lets it commit
// early (idb README, "Transaction lifetime"). Network calls happen before, in sync.js.
import { openDB } from 'idb';

const DB_NAME = 'fieldsync';
const DB_VERSION = 1;
const REJECTED_KEPT = 100;

let dbPromise = null;
let blockingHandler = () => {};

// Called when another tab opens a newer version: we have closed our connection and the
// page should ask the technician to reload.
export function onBlocking(handler) {
  blockingHandler = handler;
}

export function getDb() {
  dbPromise ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion) {
      // A ladder, so that a phone that skipped releases climbs every step.
      if (oldVersion < 1) {
        db.createObjectStore('tickets', { keyPath: 'id' });
        db.createObjectStore('catalog');
        db.createObjectStore('stock', { keyPath: 'sku' });
        const outbox = db.createObjectStore('outbox', { keyPath: 'seq' });
        outbox.createIndex('by_id', 'id', { unique: true });
        const blobs = db.createObjectStore('blobs', { keyPath: 'sha256' });
        blobs.createIndex('by_uploaded', 'uploaded');
        db.createObjectStore('meta');
      }
    },
    blocking() {
      closeDb();
      blockingHandler();
    },
    terminated() {
      dbPromise = null;
    },
  });
  return dbPromise;
}

export async function closeDb() {
  const pending = dbPromise;
  dbPromise = null;
  if (pending) (await pending).close();
}

// --- tickets -------------------------------------------------------------------------

export async function getTickets() {
  return (await getDb()).getAll('tickets');
}

export async function getTicket(id) {
  return (await getDb()).get('tickets', id);
}

async function readCatalog(store) {
  const [names, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

function stockLevels(stock) {
  if (!stock) return [];
  return Array.isArray(stock) ? stock : stock.levels ?? [];
}

function splitSettled(entries, deviceLastSeq) {
  if (deviceLastSeq === undefined || deviceLastSeq === null) return { settled: [], remaining: entries };
  return {
    settled: entries.filter((e) => e.seq <= deviceLastSeq),
    remaining: entries.filter((e) => e.seq > deviceLastSeq),
  };
}

// Settled rejections leave the outbox but stay listed in meta until the UI dismisses them.
function keepRejected(previous, settled) {
  const rejected = settled.filter((e) => e.status === 'rejected');
  return [...(previous ?? []), ...rejected].slice(-REJECTED_KEPT);
}

// One pull page, in one transaction: catalog, stock, the outbox entries the server has
// settled, the ticket rows and the cursor commit together or not at all.
// `reconcile(localRows, pullResponse, remainingOutbox, catalog) -> rows` is pure
// (rebase.reconcilePull) and runs inside the transaction, so a mutation recorded while the
// pull was on the wire is never lost from the view.
export async function putServerState(pullResponse, reconcile) {
  const db = await getDb();
  const tx = db.transaction(['tickets', 'catalog', 'stock', 'outbox', 'meta'], 'readwrite');
  const tickets = tx.objectStore('tickets');
  const outbox = tx.objectStore('outbox');
  const meta = tx.objectStore('meta');

  // Read everything first, then compute, then write.
  const [rows, entries, storedCatalog, rejected] = await Promise.all([
    tickets.getAll(), outbox.getAll(), readCatalog(tx.objectStore('catalog')), meta.get('rejected'),
  ]);
  const catalog = { ...storedCatalog, ...pullResponse.catalog };
  const { settled, remaining } = splitSettled(entries, pullResponse.device_last_seq);
  const next = reconcile(rows, pullResponse, remaining, catalog);
  const kept = new Set(next.map((row) => String(row.id)));

  const writes = [
    ...Object.entries(pullResponse.catalog ?? {})
      .map(([name, value]) => tx.objectStore('catalog').put(value, name)),
    ...stockLevels(pullResponse.stock).map((level) => tx.objectStore('stock').put(level)),
    ...settled.map((e) => outbox.delete(e.seq)),
    ...rows.filter((row) => !kept.has(String(row.id))).map((row) => tickets.delete(row.id)),
    ...next.map((row) => tickets.put(row)),
    meta.put(pullResponse.cursor ?? null, 'cursor'),
  ];
  if (settled.some((e) => e.status === 'rejected')) {
    writes.push(meta.put(keepRejected(rejected, settled), 'rejected'));
  }
  if (pullResponse.device_last_seq !== undefined) {
    writes.push(meta.put(pullResponse.device_last_seq, 'device_last_seq'));
  }
  if (pullResponse.server_time) writes.push(meta.put(pullResponse.server_time, 'server_time'));
  await Promise.all([...writes, tx.done]);
  return next;
}

// --- outbox --------------------------------------------------------------------------

// Records a mutation: the ticket's new view and the outbox entry are written in ONE
// transaction, and seq is taken from meta.next_seq in that same transaction, so seqs are
// contiguous from 1 and an aborted append takes neither a seq nor a view change.
// `update` is the new view, or a function (currentView) -> new view run inside the
// transaction (so it builds on the latest view, not on one read before a sync wrote).
// mutation.ticket_id must be the ticket's id as pulled (an integer).
// `blobs` (a signature's or photo's image, hashed beforehand) are stored in the same
// transaction, so a mutation never exists without the image it names.
export async function appendMutation(update, mutation, { blobs = [] } = {}) {
  const db = await getDb();
  const stores = blobs.length ? ['tickets', 'outbox', 'meta', 'blobs'] : ['tickets', 'outbox', 'meta'];
  const tx = db.transaction(stores, 'readwrite');
  const tickets = tx.objectStore('tickets');
  const [row, nextSeq, ...stored] = await Promise.all([
    tickets.get(mutation.ticket_id), tx.objectStore('meta').get('next_seq'),
    ...blobs.map((blob) => tx.objectStore('blobs').get(blob.sha256)),
  ]);
  let view;
  try {
    if (!row) throw new Error(`ticket ${mutation.ticket_id} is not on this device`);
    view = typeof update === 'function' ? update(row.view) : update;
  } catch (error) {
    tx.abort();
    await tx.done.catch(() => {});
    throw error;
  }
  const seq = nextSeq ?? 1;
  const entry = { ...mutation, seq, status: 'pending' };
  await Promise.all([
    tx.objectStore('outbox').add(entry),
    tickets.put({ ...row, view }),
    tx.objectStore('meta').put(seq + 1, 'next_seq'),
    ...blobs.filter((_, i) => !stored[i]).map((blob) => tx.objectStore('blobs').put(blobRow(blob))),
    tx.done,
  ]);
  return entry;
}

// Every entry, pending and rejected, in seq order.
export async function listOutbox() {
  return (await getDb()).getAll('outbox');
}

// Entries still to push, in seq order (rejected ones are shown, never retried).
export async function listPending() {
  return (await listOutbox()).filter((e) => e.status === 'pending');
}

// The outbox entries at or below seq are settled (device_last_seq from a pull).
export async function settleUpTo(seq) {
  const db = await getDb();
  const tx = db.transaction(['outbox', 'meta'], 'readwrite');
  const [entries, rejected] = await Promise.all([
    tx.objectStore('outbox').getAll(), tx.objectStore('meta').get('rejected'),
  ]);
  const { settled } = splitSettled(entries, seq);
  const writes = settled.map((e) => tx.objectStore('outbox').delete(e.seq));
  if (settled.some((e) => e.status === 'rejected')) {
    writes.push(tx.objectStore('meta').put(keepRejected(rejected, settled), 'rejected'));
  }
  writes.push(tx.objectStore('meta').put(seq, 'device_last_seq'));
  await Promise.all([...writes, tx.done]);
}

// Push results, in one transaction: [{seq, result}] where result null removes the entry
// and an object is merged into it (outbox.settlementFor decides which).
export async function markResults(settlements) {
  const db = await getDb();
  const tx = db.transaction('outbox', 'readwrite');
  const entries = await Promise.all(settlements.map(({ seq }) => tx.store.get(seq)));
  const writes = settlements.map(({ seq, result }, i) => {
    if (result === null) return tx.store.delete(seq);
    return entries[i] ? tx.store.put({ ...entries[i], ...result }) : null;
  });
  await Promise.all([...writes, tx.done]);
}

export function markResult(seq, result) {
  return markResults([{ seq, result }]);
}

// --- blobs (signatures, photos) -----------------------------------------------------

function blobRow({ sha256, type, bytes, vector }) {
  return vector === undefined ? { sha256, type, bytes, uploaded: 0 } : { sha256, type, bytes, vector, uploaded: 0 };
}

// Content-addressed: storing the same bytes twice keeps the first row and its upload state.
export async function putBlob(blob) {
  const db = await getDb();
  const tx = db.transaction('blobs', 'readwrite');
  const existing = await tx.store.get(blob.sha256);
  if (!existing) await tx.store.put(blobRow(blob));
  await tx.done;
}

export async function getBlob(sha256) {
  return (await getDb()).get('blobs', sha256);
}

export async function listBlobsToUpload() {
  return (await getDb()).getAllFromIndex('blobs', 'by_uploaded', 0);
}

export async function countBlobsToUpload() {
  return (await getDb()).countFromIndex('blobs', 'by_uploaded', 0);
}

export async function markBlobUploaded(sha256) {
  const db = await getDb();
  const tx = db.transaction('blobs', 'readwrite');
  const blob = await tx.store.get(sha256);
  if (blob) await tx.store.put({ ...blob, uploaded: 1 });
  await tx.done;
}

// --- catalog, stock, meta ------------------------------------------------------------

export async function getCatalog() {
  const db = await getDb();
  return readCatalog(db.transaction('catalog').store);
}

export async function getStock() {
  return (await getDb()).getAll('stock');
}

export async function getMeta(key) {
  return (await getDb()).get('meta', key);
}

// setMeta(key, value), or setMeta({key: value, ...}) to write several in one transaction.
export async function setMeta(keyOrValues, value) {
  const values = typeof keyOrValues === 'string' ? { [keyOrValues]: value } : keyOrValues;
  const db = await getDb();
  const tx = db.transaction('meta', 'readwrite');
  await Promise.all([...Object.entries(values).map(([k, v]) => tx.store.put(v, k)), tx.done]);
}

// Read-modify-write of one meta value in one transaction; `change` is pure.
export async function updateMeta(key, change) {
  const db = await getDb();
  const tx = db.transaction('meta', 'readwrite');
  const value = change(await tx.store.get(key));
  await Promise.all([tx.store.put(value, key), tx.done]);
  return value;
}

// The technician's last "My month" answer (GET /api/commission/mine) with when it was
// fetched, shown offline. Kept in meta: sign-out clears it with everything else.
export function putEarnings(envelope) {
  return setMeta('earnings', envelope);
}

export async function getEarnings() {
  return (await getMeta('earnings')) ?? null;
}

// Sign-out: everything goes, next_seq included, since the next login is a new device
// whose seqs start again at 1.
export async function clearAll() {
  const db = await getDb();
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names, 'readwrite');
  await Promise.all([...names.map((name) => tx.objectStore(name).clear()), tx.done]);
}
