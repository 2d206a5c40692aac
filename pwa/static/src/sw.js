// The service worker, served at /app/sw.js with scope /app/. The build bundles it and
// workbox-build injects the precache list (self.__WB_MANIFEST: the HTML shell, the built
// JS and CSS, the message catalogs, icons and manifest, each with its revision).
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { installPushHandlers } from './sw_push.js';
import { BACKGROUND_SYNC_TAG, syncOnce } from './sync.js';
import { BUILD } from './version.js';

// Old revisions are dropped once this worker activates. On the very first install the
// worker takes the open page at once (so it works offline without a reload); an update
// still waits for the technician's consent (SKIP_WAITING below).
cleanupOutdatedCaches();
clientsClaim();
precacheAndRoute(self.__WB_MANIFEST);

// Every address in the app (/app/, /app/job/12, /app/sync ...) is the same shell, which
// routes on the client: answer navigations with the precached /app/, so deep links open
// offline too. Files under /app/static/ and the worker itself are not navigations.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/'), {
  allowlist: [/^\/app\//],
  denylist: [/^\/app\/static\//, /^\/app\/sw\.js$/, /^\/app\/manifest\.webmanifest$/],
}));

// The API is network-only: authenticated data never goes into Cache Storage. (POST, PUT
// and other origins are not routed at all, so they reach the network untouched.)
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/api/'), new NetworkOnly());

self.addEventListener('message', (event) => {
  // A new worker waits until the technician accepts the update (app.js sends this).
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data?.type === 'GET_VERSION') event.ports[0]?.postMessage({ build: BUILD });
});

// Background Sync: the browser wakes us when the phone is online again. An open window
// owns the outbox while the app runs, so ask it; with none open, sync from here (same
// modules, same IndexedDB). A failure that waiting may cure is thrown, so the browser
// tries again later with its own backoff.
function askWindow(client) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve({ ok: false }), 60_000);
    channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data ?? { ok: false }); };
    client.postMessage({ type: 'SYNC_REQUESTED' }, [channel.port2]);
  });
}

async function backgroundSync() {
  const windows = await self.clients.matchAll({ type: 'window' });
  const result = windows.length ? await askWindow(windows[0]) : await syncOnce();
  if (!result.ok && result.retry !== false) throw new Error('sync not finished; the browser will retry');
}

self.addEventListener('sync', (event) => {
  if (event.tag === BACKGROUND_SYNC_TAG) event.waitUntil(backgroundSync());
});

// Push notifications (issue 5, sw_push.js): show the new job, then sync as Background
// Sync does. The subscribe button belongs in screens/status.js, #push-notifications-slot.
installPushHandlers(self, { startSync: backgroundSync });
