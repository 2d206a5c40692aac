// One sync = upload blobs, push the outbox, pull until has_more is false.
// Blobs go first so that a signature.capture or photo.attach is not deferred for want of
// its image. Network calls happen between transactions, never inside one.
import * as api from './api.js';
import * as db from './db.js';
import { settlePush, toWire } from './outbox.js';
import { reconcilePull } from './rebase.js';
import { APP_VERSION } from './version.js';

// The tag of the Background Sync registration (app.js registers it, sw.js answers it).
export const BACKGROUND_SYNC_TAG = 'fieldsync-outbox';
export const PUSH_BATCH = 100;
export const PULL_LIMIT = 100;
const MAX_PULL_PAGES = 1000; // a server that always says has_more must not spin us forever

// Exponential backoff with jitter between half and all of the step, capped: 2 s, 4 s,
// 8 s ... 5 min. Pure: the caller passes `random` in tests.
export function backoffDelay(attempt, { baseMs = 2000, maxMs = 5 * 60_000, random = Math.random } = {}) {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + (random() * step) / 2);
}

// A failed api response -> why this sync stopped. `retry` says whether waiting may help.
function stopped(step, response) {
  if (response.network || response.aborted) return { ok: false, step, offline: true, retry: true };
  if (response.status === 401) return { ok: false, step, signedOut: true, retry: false };
  const retry = response.status >= 500 || response.status === 429;
  return { ok: false, step, status: response.status, error: response.error, retry };
}

async function uploadBlobs(token) {
  let uploaded = 0;
  for (const blob of await db.listBlobsToUpload()) {
    const response = await api.putBlob(blob.sha256, blob.bytes, blob.type, { token });
    if (response.ok) {
      await db.markBlobUploaded(blob.sha256);
      uploaded += 1;
    } else if (response.network || response.aborted || response.status === 401) {
      return { stop: stopped('blobs', response) };
    }
    // Otherwise (too large, wrong type) the server refuses this blob: go on with the
    // others; the mutation that needs it comes back deferred and stays in the outbox.
  }
  return { uploaded };
}

async function pushOutbox(token, deviceId) {
  const pending = await db.listPending(); // seq order
  let pushed = 0;
  for (let i = 0; i < pending.length; i += PUSH_BATCH) {
    const batch = pending.slice(i, i + PUSH_BATCH);
    const response = await api.push({
      device_id: deviceId,
      client_version: APP_VERSION,
      clock: new Date().toISOString(),
      mutations: batch.map(toWire),
    }, { token });
    if (!response.ok) return { stop: stopped('push', response) };
    await settlePush(batch, response.data?.results ?? []);
    pushed += batch.length;
  }
  return { pushed };
}

async function pullAll(token) {
  let cursor = (await db.getMeta('cursor')) ?? null;
  for (let page = 1; page <= MAX_PULL_PAGES; page += 1) {
    const response = await api.pull(cursor, PULL_LIMIT, { token });
    if (!response.ok) return { stop: stopped('pull', response) };
    await db.putServerState(response.data, reconcilePull);
    cursor = response.data.cursor;
    if (!response.data.has_more) return { pages: page };
  }
  return { pages: MAX_PULL_PAGES };
}

async function runSync() {
  const [token, deviceId] = await Promise.all([db.getMeta('token'), db.getMeta('device_id')]);
  if (!token) return { ok: false, signedOut: true, retry: false };

  const blobs = await uploadBlobs(token);
  if (blobs.stop) return blobs.stop;
  const push = await pushOutbox(token, deviceId);
  if (push.stop) return push.stop;
  const pull = await pullAll(token);
  if (pull.stop) return pull.stop;

  await db.setMeta('last_sync_at', new Date().toISOString());
  return { ok: true, uploaded: blobs.uploaded, pushed: push.pushed, pages: pull.pages };
}

// Single flight: two syncs never run at once. A call made while one runs is not lost:
// it makes the running sync go round once more (the technician may have recorded
// something after its push), and it gets the result of that last round.
// Across the page and the service worker (Background Sync), a Web Lock keeps them from
// syncing at the same moment where the browser has locks; without, a double run is
// still safe (the server answers a resent mutation "duplicate"), only wasteful.
let running = null;
let again = false;
const listeners = new Set();

// listener({type: 'start'}) and listener({type: 'end', result}) around every sync.
export function onSync(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(event) {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      console.error(error);
    }
  }
}

function exclusively(task) {
  const locks = globalThis.navigator?.locks;
  return locks ? locks.request('fieldsync-sync', task) : task();
}

export function syncOnce() {
  if (running) {
    again = true;
    return running;
  }
  emit({ type: 'start' });
  running = exclusively(async () => {
    let result;
    do {
      again = false;
      result = await runSync();
    } while (again && result.ok);
    return result;
  }).then((result) => {
    running = null;
    emit({ type: 'end', result });
    return result;
  }, (error) => {
    running = null;
    emit({ type: 'end', result: { ok: false, retry: true, error: String(error) } });
    throw error;
  });
  return running;
}

export function isSyncing() {
  return running !== null;
}

// Sync now, then every `intervalMs`; after a failure that waiting may cure, retry with
// backoff; when the browser says it is online again, retry at once.
export function startAutoSync({ intervalMs = 5 * 60_000, events = globalThis } = {}) {
  let attempt = 0;
  let timer = null;
  let stoppedForGood = false;

  const schedule = (ms) => {
    clearTimeout(timer);
    if (!stoppedForGood) timer = setTimeout(run, ms);
  };
  async function run() {
    let result;
    try {
      result = await syncOnce();
    } catch (error) {
      // A storage error, not the network: log it and try again later.
      console.error('sync failed', error);
      result = { ok: false, retry: true };
    }
    if (result.ok) {
      attempt = 0;
      schedule(intervalMs);
    } else if (result.retry) {
      schedule(backoffDelay(attempt));
      attempt += 1;
    } else if (!result.signedOut) {
      schedule(intervalMs);
    }
  }
  const online = () => {
    attempt = 0;
    schedule(0);
  };
  events.addEventListener?.('online', online);
  schedule(0);

  return {
    syncSoon: () => schedule(0),
    stop() {
      stoppedForGood = true;
      clearTimeout(timer);
      events.removeEventListener?.('online', online);
    },
  };
}
