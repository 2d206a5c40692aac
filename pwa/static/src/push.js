// The app's side of Web Push (issue 5): subscribe only after the technician agrees, from
// a button (never on load: browsers punish prompts nobody asked for), and send the
// subscription to the server for this device. `api` is api.js (its `request` never throws).
//
//   import * as api from './api.js';
//   import { mountPushButton, refreshPushSubscription } from './push.js';
//   mountPushButton(slot, { api, token, t });        // in the status screen
//   refreshPushSubscription(api, { token });         // after sign-in / at start, no prompt

export function pushSupported(scope = globalThis) {
  return Boolean(scope.navigator?.serviceWorker && scope.PushManager && scope.Notification);
}

export function urlBase64ToUint8Array(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a || !b) return false;
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((byte, i) => byte === b[i]);
}

async function registrationOf(options) {
  return options.registration ?? globalThis.navigator.serviceWorker.ready;
}

// 'unsupported' | 'denied' | 'on' | 'off'
export async function pushState(options = {}) {
  const scope = options.scope ?? globalThis;
  if (!pushSupported(scope)) return 'unsupported';
  if (scope.Notification.permission === 'denied') return 'denied';
  if (scope.Notification.permission !== 'granted') return 'off';
  const registration = await registrationOf(options);
  return (await registration.pushManager.getSubscription()) ? 'on' : 'off';
}

// Call from a click handler: it may show the browser's permission prompt.
// -> {ok: true, subscription} | {ok: false, reason: 'unsupported'|'denied'|'no_key'|'server', response?}
export async function subscribeToPush(api, options = {}) {
  const scope = options.scope ?? globalThis;
  if (!pushSupported(scope)) return { ok: false, reason: 'unsupported' };
  const permission = await scope.Notification.requestPermission();
  if (permission !== 'granted') return { ok: false, reason: 'denied' };
  const key = await api.request('GET', '/api/push/public-key', undefined, { token: options.token });
  if (!key.ok) return { ok: false, reason: 'no_key', response: key };
  const serverKey = urlBase64ToUint8Array(key.data.public_key);
  const registration = await registrationOf(options);
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options?.applicationServerKey, serverKey)) {
    // The server's keys changed (push-keys --force): the old subscription is useless.
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
  const saved = await api.request('POST', '/api/push/subscriptions', subscription.toJSON(), { token: options.token });
  return saved.ok ? { ok: true, subscription } : { ok: false, reason: 'server', response: saved };
}

export async function unsubscribeFromPush(api, options = {}) {
  if (!pushSupported(options.scope ?? globalThis)) return { ok: true };
  const registration = await registrationOf(options);
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return { ok: true };
  const { endpoint } = subscription;
  await subscription.unsubscribe();
  // Offline now? The server prunes it at the next push anyway (410 from the push service).
  await api.request('DELETE', '/api/push/subscriptions', { endpoint }, { token: options.token });
  return { ok: true };
}

// Without a prompt: if the technician already agreed, send the current subscription again
// (push services rotate endpoints, and a new sign-in is a new device on the server).
export async function refreshPushSubscription(api, options = {}) {
  if ((await pushState(options)) !== 'on') return { ok: false, reason: 'off' };
  const registration = await registrationOf(options);
  const subscription = await registration.pushManager.getSubscription();
  const saved = await api.request('POST', '/api/push/subscriptions', subscription.toJSON(), { token: options.token });
  return saved.ok ? { ok: true, subscription } : { ok: false, reason: 'server', response: saved };
}

// A small control for the status screen: explains, asks only on click, shows the state.
// Message keys (add to pwa/static/i18n): push.explain, push.enable, push.on, push.disable,
// push.denied, push.unsupported, push.failed.
export async function mountPushButton(slot, { api, token, t = (key) => key, registration, scope } = {}) {
  const options = { token, registration, scope };
  const doc = slot.ownerDocument;
  const text = doc.createElement('p');
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'secondary';

  async function paint() {
    const state = await pushState(options);
    button.hidden = state === 'unsupported' || state === 'denied';
    button.disabled = false;
    button.dataset.state = state;
    if (state === 'unsupported') text.textContent = t('push.unsupported');
    else if (state === 'denied') text.textContent = t('push.denied');
    else if (state === 'on') { text.textContent = t('push.on'); button.textContent = t('push.disable'); }
    else { text.textContent = t('push.explain'); button.textContent = t('push.enable'); }
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    const on = button.dataset.state === 'on';
    const result = on ? await unsubscribeFromPush(api, options) : await subscribeToPush(api, options);
    await paint();
    if (!result.ok && result.reason !== 'denied') text.textContent = t('push.failed');
  });

  slot.replaceChildren(text, button);
  slot.hidden = false;
  await paint();
  return { paint };
}
