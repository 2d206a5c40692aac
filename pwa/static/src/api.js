// The only module that calls fetch. request() never throws: offline is a state, not an
// error, so every caller branches on `ok`:
//   {ok: true, status, data}
//   {ok: false, network: true}             no answer (offline, timeout, captive portal)
//   {ok: false, aborted: true}             the caller's signal aborted it
//   {ok: false, status, error: {code, message}}   the server said no (backend/errors.py)
// The API speaks snake_case JSON and so does the PWA: no key conversion is needed here.

const TIMEOUT_MS = 30_000;

function isBinary(body) {
  return (typeof Blob !== 'undefined' && body instanceof Blob)
    || body instanceof ArrayBuffer || ArrayBuffer.isView(body);
}

function encode(body, contentType) {
  if (body === undefined || body === null) return { payload: undefined, type: null };
  if (isBinary(body)) {
    return { payload: body, type: contentType || body.type || 'application/octet-stream' };
  }
  return { payload: JSON.stringify(body), type: 'application/json' };
}

export async function request(method, path, body, {
  token, signal, contentType, timeoutMs = TIMEOUT_MS,
} = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const { payload, type } = encode(body, contentType);
  if (type) headers['Content-Type'] = type;

  // Our own timer rather than AbortSignal.any/timeout, which older phone browsers lack.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  const onAbort = () => controller.abort();
  if (signal?.aborted) controller.abort();
  signal?.addEventListener('abort', onAbort);

  try {
    const response = await fetch(path, { method, headers, body: payload, signal: controller.signal });
    const text = await response.text();
    let data = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        // A 200 that is not JSON is a captive portal's login page: we are not online.
        if (response.ok) return { ok: false, network: true };
      }
    }
    if (response.ok) return { ok: true, status: response.status, data };
    const error = data?.error ?? { code: `http_${response.status}`, message: response.statusText || '' };
    return { ok: false, status: response.status, error };
  } catch {
    // fetch rejects with a TypeError when there is no network, and with an AbortError
    // when aborted; either can also happen while the body is being read.
    if (signal?.aborted && !timedOut) return { ok: false, aborted: true };
    return { ok: false, network: true };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

const enc = encodeURIComponent;

export function login(username, password, deviceName) {
  return request('POST', '/api/auth/login', { username, password, device_name: deviceName });
}

export function logout({ token }) {
  return request('POST', '/api/auth/logout', {}, { token });
}

export function pull(cursor, limit, { token } = {}) {
  const query = [cursor ? `cursor=${enc(cursor)}` : null, limit ? `limit=${enc(limit)}` : null]
    .filter(Boolean).join('&');
  return request('GET', `/api/sync/pull${query ? `?${query}` : ''}`, undefined, { token });
}

export function push(body, { token } = {}) {
  return request('POST', '/api/sync/push', body, { token });
}

export function putBlob(sha256, bytes, type, { token } = {}) {
  return request('PUT', `/api/sync/blobs/${enc(sha256)}`, bytes, { token, contentType: type });
}

// The signed-in technician's running month (with its lines) and past statements.
export function myEarnings(month, { token } = {}) {
  return request('GET', `/api/commission/mine${month ? `?month=${enc(month)}` : ''}`, undefined, { token });
}

// Static JSON served by the app (and precached by the service worker), e.g. i18n files.
export function getStatic(path) {
  return request('GET', path);
}
