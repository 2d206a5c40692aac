import { describe, expect, it, vi } from 'vitest';
import { pushState, refreshPushSubscription, subscribeToPush, unsubscribeFromPush, urlBase64ToUint8Array } from './push.js';

const PUBLIC_KEY = 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U';

function browser({ permission = 'default', grant = 'granted', existing = null } = {}) {
  let subscription = existing;
  const pushManager = {
    getSubscription: vi.fn(async () => subscription),
    subscribe: vi.fn(async ({ applicationServerKey }) => {
      subscription = {
        endpoint: 'https://push.example/abc',
        options: { applicationServerKey: applicationServerKey.buffer },
        toJSON: () => ({ endpoint: 'https://push.example/abc', expirationTime: null, keys: { p256dh: 'p', auth: 'a' } }),
        unsubscribe: vi.fn(async () => { subscription = null; return true; }),
      };
      return subscription;
    }),
  };
  const Notification = { permission, requestPermission: vi.fn(async () => { Notification.permission = grant; return grant; }) };
  return {
    scope: { navigator: { serviceWorker: {} }, PushManager: function PushManager() {}, Notification },
    registration: { pushManager },
    pushManager,
    Notification,
  };
}

function fakeApi(responses = {}) {
  const calls = [];
  return {
    calls,
    request: vi.fn(async (method, path, body, options) => {
      calls.push({ method, path, body, token: options?.token });
      return responses[`${method} ${path}`] ?? { ok: true, status: 200, data: { public_key: PUBLIC_KEY } };
    }),
  };
}

describe('subscribeToPush', () => {
  it('asks, subscribes with the server key and stores the subscription for this device', async () => {
    const b = browser();
    const api = fakeApi();

    const result = await subscribeToPush(api, { token: 'T', registration: b.registration, scope: b.scope });

    expect(result.ok).toBe(true);
    expect(b.Notification.requestPermission).toHaveBeenCalled();
    const [{ applicationServerKey, userVisibleOnly }] = b.pushManager.subscribe.mock.calls[0];
    expect(userVisibleOnly).toBe(true);
    expect(Array.from(applicationServerKey)).toEqual(Array.from(urlBase64ToUint8Array(PUBLIC_KEY)));
    expect(applicationServerKey.length).toBe(65);
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/push/public-key', 'POST /api/push/subscriptions']);
    expect(api.calls[1]).toMatchObject({ token: 'T', body: { endpoint: 'https://push.example/abc', keys: { p256dh: 'p', auth: 'a' } } });
    expect(await pushState({ registration: b.registration, scope: b.scope })).toBe('on');
  });

  it('does nothing more when the technician says no', async () => {
    const b = browser({ grant: 'denied' });
    const api = fakeApi();

    expect(await subscribeToPush(api, { registration: b.registration, scope: b.scope })).toEqual({ ok: false, reason: 'denied' });
    expect(api.request).not.toHaveBeenCalled();
    expect(await pushState({ registration: b.registration, scope: b.scope })).toBe('denied');
  });

  it('reports a server without keys and an unsupported browser', async () => {
    const b = browser();
    const api = fakeApi({ 'GET /api/push/public-key': { ok: false, status: 503, error: { code: 'push_not_configured' } } });
    expect((await subscribeToPush(api, { registration: b.registration, scope: b.scope })).reason).toBe('no_key');
    expect((await subscribeToPush(api, { scope: {} })).reason).toBe('unsupported');
    expect(await pushState({ scope: {} })).toBe('unsupported');
  });

  it('unsubscribes and tells the server; refreshes without a prompt only when already on', async () => {
    const b = browser();
    const api = fakeApi();
    expect((await refreshPushSubscription(api, { registration: b.registration, scope: b.scope })).ok).toBe(false);
    await subscribeToPush(api, { registration: b.registration, scope: b.scope });
    expect((await refreshPushSubscription(api, { registration: b.registration, scope: b.scope })).ok).toBe(true);
    expect(b.Notification.requestPermission).toHaveBeenCalledTimes(1);

    await unsubscribeFromPush(api, { registration: b.registration, scope: b.scope });

    expect(api.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/push/subscriptions', body: { endpoint: 'https://push.example/abc' } });
    expect(await pushState({ registration: b.registration, scope: b.scope })).toBe('off');
  });
});
