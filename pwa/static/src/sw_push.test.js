import { describe, expect, it, vi } from 'vitest';
import { focusOrOpen, installPushHandlers, jobUrl, notificationFor, parsePayload } from './sw_push.js';

function fakeWorker({ windows = [] } = {}) {
  const listeners = {};
  const shown = [];
  return {
    listeners,
    shown,
    addEventListener: (type, fn) => { listeners[type] = fn; },
    registration: { showNotification: vi.fn(async (title, options) => { shown.push({ title, options }); }) },
    clients: {
      matchAll: vi.fn(async () => windows),
      openWindow: vi.fn(async (url) => ({ url })),
    },
  };
}

function fire(worker, type, extra) {
  let done;
  const event = { ...extra, waitUntil: (promise) => { done = promise; } };
  worker.listeners[type](event);
  return done;
}

const payload = {
  type: 'ticket.assigned', ticket_id: 42, number: 'FS261123-000042', category: 'air_conditioner',
  district: '浦东', urgency: 'emergency', title: '特急工单 FS261123-000042', body: '空调 · 浦东 · 11-23 14:00',
  url: '/app/job/42',
};
const data = (value) => ({ json: () => value, text: () => JSON.stringify(value) });

describe('push', () => {
  it('shows one notification per ticket and then starts a sync', async () => {
    const worker = fakeWorker();
    const order = [];
    worker.registration.showNotification.mockImplementation(async () => { order.push('shown'); });
    const startSync = vi.fn(async () => { order.push('sync'); });
    installPushHandlers(worker, { startSync });

    await fire(worker, 'push', { data: data(payload) });

    expect(order).toEqual(['shown', 'sync']);
    const [title, options] = worker.registration.showNotification.mock.calls[0];
    expect(title).toBe(payload.title);
    expect(options).toMatchObject({ body: payload.body, tag: 'ticket-42', renotify: true,
      requireInteraction: true, data: { url: '/app/job/42', ticket_id: 42 } });
    expect(startSync).toHaveBeenCalledWith(payload);
  });

  it('still shows the notification when the sync fails', async () => {
    const worker = fakeWorker();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    installPushHandlers(worker, { startSync: async () => { throw new Error('offline'); } });

    await fire(worker, 'push', { data: data({ ...payload, urgency: 'normal' }) });

    expect(worker.registration.showNotification).toHaveBeenCalledTimes(1);
    expect(worker.registration.showNotification.mock.calls[0][1].requireInteraction).toBe(false);
  });

  it('copes with a push that is not JSON or has no data', () => {
    expect(parsePayload({ json: () => { throw new SyntaxError('x'); }, text: () => 'hello' })).toEqual({ body: 'hello' });
    expect(parsePayload(null)).toEqual({});
    expect(notificationFor({}).title).toBe('Fieldsync');
    expect(jobUrl({ ticket_id: 7 })).toBe('/app/job/7');
    expect(jobUrl({ url: 'https://evil.example/' })).toBe('/app/');
  });
});

describe('notificationclick', () => {
  it('navigates an open app window to the job and focuses it', async () => {
    const focused = { focus: vi.fn(async () => 'focused') };
    const appWindow = { url: 'http://x/app/', navigate: vi.fn(async () => focused) };
    const worker = fakeWorker({ windows: [{ url: 'http://x/office/board' }, appWindow] });
    installPushHandlers(worker);
    const notification = { close: vi.fn(), data: { url: '/app/job/42', ticket_id: 42 } };

    await fire(worker, 'notificationclick', { notification });

    expect(notification.close).toHaveBeenCalled();
    expect(appWindow.navigate).toHaveBeenCalledWith('/app/job/42');
    expect(focused.focus).toHaveBeenCalled();
    expect(worker.clients.openWindow).not.toHaveBeenCalled();
  });

  it('opens a window when none is open, or hands over to openJob', async () => {
    const worker = fakeWorker();
    expect(await focusOrOpen(worker.clients, '/app/job/9')).toEqual({ url: '/app/job/9' });

    const openJob = vi.fn();
    const other = fakeWorker();
    installPushHandlers(other, { openJob });
    await fire(other, 'notificationclick', { notification: { close() {}, data: { url: '/app/job/3', ticket_id: 3 } } });
    expect(openJob).toHaveBeenCalledWith('/app/job/3', { url: '/app/job/3', ticket_id: 3 });
  });
});
