import { afterEach, describe, expect, it, vi } from 'vitest';
import { login, pull, push, putBlob, request } from './api.js';

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function answer(response) {
  const fetch = vi.fn(async () => (typeof response === 'function' ? response() : response));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('request never throws', () => {
  it('reports no network when fetch throws a TypeError (the phone is offline)', async () => {
    answer(() => { throw new TypeError('Failed to fetch'); });
    await expect(request('GET', '/api/sync/pull')).resolves.toEqual({ ok: false, network: true });
  });

  it('reports no network when the connection drops while the body is read', async () => {
    answer({ ok: true, status: 200, text: async () => { throw new TypeError('network error'); } });
    await expect(request('GET', '/api/sync/pull')).resolves.toEqual({ ok: false, network: true });
  });

  it('reports no network for a captive portal answering 200 with HTML', async () => {
    answer(new Response('<html>请登录 Wi-Fi</html>', { status: 200, headers: { 'Content-Type': 'text/html' } }));
    await expect(request('GET', '/api/sync/pull')).resolves.toEqual({ ok: false, network: true });
  });

  it('returns the data of a successful answer', async () => {
    answer(json(200, { cursor: 'c1', tickets: [] }));
    await expect(request('GET', '/api/sync/pull')).resolves.toEqual({ ok: true, status: 200, data: { cursor: 'c1', tickets: [] } });
  });

  it('returns the server’s error as it is', async () => {
    answer(json(403, { error: { code: 'forbidden', message: '无权操作' } }));
    await expect(request('POST', '/api/sync/push', {})).resolves.toEqual({ ok: false, status: 403, error: { code: 'forbidden', message: '无权操作' } });
  });

  it('makes up an error code when the error has no JSON body', async () => {
    answer(new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway' }));
    await expect(request('GET', '/api/sync/pull')).resolves.toEqual({ ok: false, status: 502, error: { code: 'http_502', message: 'Bad Gateway' } });
  });

  it('reports an abort by the caller as aborted', async () => {
    answer(() => { throw new DOMException('aborted', 'AbortError'); });
    const controller = new AbortController();
    controller.abort();
    await expect(request('GET', '/api/sync/pull', undefined, { signal: controller.signal })).resolves.toEqual({ ok: false, aborted: true });
  });

  it('gives up after the timeout and reports no network', async () => {
    vi.stubGlobal('fetch', (url, { signal }) => new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    }));
    await expect(request('GET', '/api/sync/pull', undefined, { timeoutMs: 10 })).resolves.toEqual({ ok: false, network: true });
  });
});

describe('the sync endpoints', () => {
  it('logs in with the device name', async () => {
    const fetch = answer(json(200, { token: 't', device_id: 'd1', user: { username: 'tech1' } }));
    const result = await login('tech1', 'demo', 'Redmi Note 12');
    expect(result.data.device_id).toBe('d1');
    const [url, init] = fetch.mock.calls[0];
    expect([url, init.method, JSON.parse(init.body)]).toEqual(['/api/auth/login', 'POST', { username: 'tech1', password: 'demo', device_name: 'Redmi Note 12' }]);
  });

  it('pulls with the bearer token, the cursor and the limit (no cursor for a full snapshot)', async () => {
    const fetch = answer(() => json(200, {}));
    await pull('a+b/c', 100, { token: 'tok' });
    await pull(null, 50, { token: 'tok' });
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/api/sync/pull?cursor=a%2Bb%2Fc&limit=100', '/api/sync/pull?limit=50']);
    expect(fetch.mock.calls[0][1].headers.Authorization).toBe('Bearer tok');
  });

  it('pushes JSON and uploads blob bytes with their own content type', async () => {
    const fetch = answer(() => json(200, { results: [] }));
    await push({ device_id: 'd1', mutations: [] }, { token: 'tok' });
    await putBlob('ab12', new Blob(['<svg/>'], { type: 'image/svg+xml' }), 'image/svg+xml', { token: 'tok' });
    const [[pushUrl, pushInit], [blobUrl, blobInit]] = fetch.mock.calls;
    expect([pushUrl, pushInit.method, pushInit.headers['Content-Type']]).toEqual(['/api/sync/push', 'POST', 'application/json']);
    expect([blobUrl, blobInit.method, blobInit.headers['Content-Type']]).toEqual(['/api/sync/blobs/ab12', 'PUT', 'image/svg+xml']);
    expect(blobInit.body).toBeInstanceOf(Blob);
  });
});
