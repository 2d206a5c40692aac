// The service worker, served at /app/sw.js with scope /app/. The build bundles it and
// workbox-build injects the precache list (self.__WB_MANIFEST: revisioned shell assets).
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

// Old revisions are dropped once this worker activates.
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

// The shell HTML (/app/) is rendered by Flask, so it is not in the build's manifest:
// fetch it fresh when online, and fall back to the last copy so the app opens offline.
registerRoute(new NavigationRoute(
  new NetworkFirst({ cacheName: 'fieldsync-shell', networkTimeoutSeconds: 4 }),
  { allowlist: [/^\/app\/?(\?.*)?$/] },
));

// Nothing else is routed: POSTs (sync push, login), /api/ requests and other origins
// get no respondWith and go to the network untouched, never cached.

// A new worker waits until the technician accepts the update (app.js sends this).
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});
