// The service worker's side of Web Push (issue 5): show the new job, start a sync, and
// open the job when the notification is tapped. sw.js installs it:
//
//   import { installPushHandlers } from './sw_push.js';
//   installPushHandlers(self, { startSync: backgroundSync });
//
// The payload (backend/notify/tasks.py) holds only what a lock screen may show:
// {type, ticket_id, number, category, district, urgency, scheduled_start, title, body, url}.
// The job's details come with the sync, over the authenticated API.

const DEFAULT_TITLE = 'Fieldsync';

export function parsePayload(data) {
  if (!data) return {};
  try {
    const value = data.json();
    return value && typeof value === 'object' ? value : {};
  } catch {
    // Not JSON (a test message, another sender): show the text as it is.
    try { return { body: data.text() }; } catch { return {}; }
  }
}

export function jobUrl(payload) {
  if (typeof payload.url === 'string' && payload.url.startsWith('/app/')) return payload.url;
  return Number.isInteger(payload.ticket_id) ? `/app/job/${payload.ticket_id}` : '/app/';
}

// Title and options for showNotification. One notification per ticket (tag): a
// reassignment or a new time replaces the old one instead of stacking up.
export function notificationFor(payload, { icon = '/app/static/icons/icon-192.png' } = {}) {
  const title = payload.title || (payload.number ? `${DEFAULT_TITLE} ${payload.number}` : DEFAULT_TITLE);
  const options = {
    body: payload.body || '',
    tag: payload.ticket_id ? `ticket-${payload.ticket_id}` : 'fieldsync',
    renotify: true,
    requireInteraction: payload.urgency === 'emergency',
    icon,
    badge: icon,
    data: { url: jobUrl(payload), ticket_id: payload.ticket_id ?? null, type: payload.type ?? null },
  };
  if (payload.urgency === 'emergency') options.vibrate = [200, 100, 200, 100, 400];
  return { title, options };
}

// Bring an open window of the app to the job, or open one.
export async function focusOrOpen(clients, url) {
  const windows = await clients.matchAll({ type: 'window', includeUncontrolled: true });
  const appWindow = windows.find((client) => new URL(client.url).pathname.startsWith('/app'));
  if (appWindow) {
    let target = appWindow;
    if (typeof appWindow.navigate === 'function' && new URL(appWindow.url).pathname !== url) {
      target = (await appWindow.navigate(url).catch(() => null)) || appWindow;
    }
    return typeof target.focus === 'function' ? target.focus() : target;
  }
  return clients.openWindow(url);
}

// Installs the 'push' and 'notificationclick' listeners on the worker's global (`sw`).
// startSync(payload): begin a sync (the worker's Background Sync routine: ask an open
//   window, or sync from the worker); it may fail or take long, the notification is
//   shown regardless.
// openJob(url, data): defaults to focusing/navigating an app window or opening one.
export function installPushHandlers(sw, { startSync = async () => {}, openJob } = {}) {
  const open = openJob || ((url) => focusOrOpen(sw.clients, url));

  async function onPush(event) {
    const payload = parsePayload(event.data);
    const { title, options } = notificationFor(payload);
    // Show first: a push without a notification breaks userVisibleOnly, and browsers
    // revoke the permission of sites that do that.
    await sw.registration.showNotification(title, options);
    try {
      await startSync(payload);
    } catch (error) {
      console.warn('sync after push failed', error);
    }
  }

  sw.addEventListener('push', (event) => event.waitUntil(onPush(event)));

  sw.addEventListener('notificationclick', (event) => {
    event.notification.close();
    const data = event.notification.data || {};
    event.waitUntil(Promise.resolve(open(data.url || '/app/', data)));
  });

  return { onPush };
}
