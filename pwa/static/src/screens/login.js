// Sign-in, once per device: the token is kept in IndexedDB (db meta) until sign-out.
import * as api from '../api.js';
import { notice } from '../components.js';
import { t } from '../i18n.js';
import { pathFor } from '../route.js';
import * as store from '../store.js';
import { field, fill, h } from '../ui.js';

function defaultDeviceName() {
  const ua = navigator.userAgent;
  if (/Android/i.test(ua)) return 'Android';
  if (/iPhone|iPad/i.test(ua)) return 'iPhone';
  return 'Browser';
}

export default async function login({ navigate, syncNow }) {
  const username = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'none', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const device = h('input', { name: 'device', value: defaultDeviceName(), required: true, maxlength: 120 });
  const message = h('p', { class: 'form-message', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));

  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    fill(message, t('login.signing_in'));
    const response = await api.login(username.value.trim(), password.value, device.value.trim() || 'phone');
    if (!response.ok) {
      submit.disabled = false;
      if (response.network) fill(message, t('login.offline'));
      else fill(message, response.error?.message || t('login.failed'));
      return;
    }
    if (response.data.user?.role !== 'technician') {
      submit.disabled = false;
      fill(message, t('login.not_technician'));
      return;
    }
    await store.signIn(response.data);
    fill(message, t('login.loading_jobs'));
    await syncNow();
    await navigate(pathFor('jobs'), { replace: true });
  }

  // Signed out by the server (token revoked or expired): the outbox is still here.
  const counts = await store.syncCounts();
  const kept = counts.pending + counts.blobs;
  const node = h('div', { class: 'screen login' },
    h('h1', null, t('login.title')),
    kept > 0 ? notice('warn', t('login.kept', { count: kept })) : h('p', { class: 'lead' }, t('login.lead')),
    h('form', { onSubmit, class: 'stack' },
      field(t('login.username'), username),
      field(t('login.password'), password),
      field(t('login.device'), device, t('login.device_hint')),
      submit,
      message));
  return { node, title: t('login.title') };
}
