// Sync status: what waits on the phone (mutations, images), when the last sync worked,
// what the server refused (with its message), and "all synced, safe to hand over".
// Also the device: who is signed in, sign-out (refused with unsynced work unless
// confirmed twice), the app version.
import * as api from '../api.js';
import { notice, section } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { logoutStep, safeToHandOver } from '../model.js';
import { dismissRejected } from '../outbox.js';
import { mountPushButton } from '../push.js';
import { pathFor } from '../route.js';
import * as store from '../store.js';
import { isSyncing } from '../sync.js';
import { fill, h } from '../ui.js';
import { APP_VERSION, BUILD } from '../version.js';

function entryStatus(entry) {
  if (entry.status === 'rejected') return notice('bad', t('sync.rejected', { message: entry.message || entry.code || '' }));
  if (entry.deferred) return h('span', { class: 'badge warn' }, t('sync.deferred', { message: entry.deferred.message || entry.deferred.code || '' }));
  return h('span', { class: 'badge muted' }, t('sync.waiting'));
}

export default async function status({ navigate, syncNow, session }) {
  const summary = h('div', { id: 'sync-summary' });
  const details = h('dl', { class: 'facts-list' });
  const entries = h('div');
  const rejected = h('div');
  const logoutBox = h('div', { role: 'status' });
  const syncButton = h('button', { type: 'button', class: 'primary', id: 'sync-now' }, t('sync.now'));
  let tickets = new Map();
  let step = 0;

  syncButton.addEventListener('click', async () => {
    syncButton.disabled = true;
    await syncNow();
    syncButton.disabled = false;
  });

  async function refresh() {
    const counts = await store.syncCounts();
    tickets = new Map((await store.ticketRows()).map((r) => [String(r.id), r.view]));
    const online = navigator.onLine;
    const safe = safeToHandOver(counts);
    fill(summary,
      safe ? notice('ok', t('sync.all_synced'), { id: 'all-synced' })
        : notice('warn', t('sync.unsynced', { pending: counts.pending, blobs: counts.blobs }), { id: 'not-synced' }),
      online ? null : notice('info', t('sync.offline')),
      counts.lastError && !counts.lastError.offline && counts.lastError.code
        ? notice('bad', t('sync.failed', { code: counts.lastError.message || counts.lastError.code })) : null);
    fill(details,
      h('dt', null, t('sync.pending_label')), h('dd', { id: 'pending-count' }, String(counts.pending)),
      h('dt', null, t('sync.blobs_label')), h('dd', { id: 'blob-count' }, String(counts.blobs)),
      h('dt', null, t('sync.last_label')), h('dd', { id: 'last-sync' }, counts.lastSyncAt ? formatTime(counts.lastSyncAt) : t('sync.never')),
      h('dt', null, t('sync.state_label')), h('dd', null, isSyncing() ? t('sync.running') : online ? t('sync.online') : t('sync.offline_short')));
    const outbox = counts.outbox.filter((e) => e.status === 'pending');
    fill(entries, outbox.length === 0 ? h('p', { class: 'note' }, t('sync.outbox_empty')) : h('ol', { class: 'outbox', id: 'outbox-list' },
      outbox.map((entry) => h('li', { dataset: { seq: String(entry.seq), name: entry.name } },
        h('div', { class: 'line-head' }, h('span', null, t(`mutation.${entry.name}`)),
          h('small', { class: 'note' }, `#${entry.seq} · ${formatTime(entry.at).slice(11)}`)),
        h('p', { class: 'note' }, tickets.get(String(entry.ticket_id))?.customer?.name ?? `#${entry.ticket_id}`),
        entryStatus(entry)))));
    fill(rejected, counts.rejected.length === 0 ? null : section(t('sync.rejected_title'),
      h('p', { class: 'note' }, t('sync.rejected_note')),
      h('ul', { class: 'outbox rejected', id: 'rejected-list' }, counts.rejected.map((entry) => h('li', null,
        h('div', { class: 'line-head' }, h('span', null, t(`mutation.${entry.name}`)), h('small', { class: 'note' }, `#${entry.seq}`)),
        notice('bad', t('sync.rejected', { message: entry.message || entry.code || '' })),
        !entry.settled ? null : h('button', { type: 'button', class: 'secondary small',
          onClick: async () => { await dismissRejected(entry.id); refresh(); } }, t('sync.dismiss')))))));
  }

  // Sign-out deletes everything on the phone: with unsynced work it is refused unless
  // the technician confirms twice.
  const logout = h('button', { type: 'button', class: 'danger', id: 'logout' }, t('logout'));
  logout.addEventListener('click', async () => {
    const counts = await store.syncCounts();
    const unsynced = counts.pending + counts.blobs;
    const next = logoutStep(step, unsynced);
    step = next.step;
    if (!next.signOut) {
      fill(logoutBox, notice('bad', t(step === 1 ? 'logout.warn_first' : 'logout.warn_second', { count: unsynced }), { id: 'logout-warning' }));
      fill(logout, t(step === 1 ? 'logout.confirm_first' : 'logout.confirm_second'));
      return;
    }
    const token = (await store.session())?.token;
    if (token && navigator.onLine) await api.logout({ token });
    await store.signOutLocally();
    await navigate(pathFor('login'), { replace: true });
  });

  await refresh();
  const user = session?.user;
  const persisted = await navigator.storage?.persisted?.().catch(() => null);
  const pushSlot = h('div', { id: 'push-notifications-slot', hidden: true });
  const node = h('div', { class: 'screen status' },
    h('h1', null, t('sync.title')),
    summary,
    h('div', { class: 'button-row' }, syncButton),
    section(t('sync.details'), details),
    section(t('sync.outbox_title'), entries),
    rejected,
    section(t('device.title'),
      h('dl', { class: 'facts-list' },
        h('dt', null, t('device.user')), h('dd', null, user ? `${user.display_name ?? ''} (${user.username})` : ''),
        h('dt', null, t('device.id')), h('dd', null, (session?.deviceId ?? '').slice(0, 8)),
        h('dt', null, t('device.storage')), h('dd', null, persisted ? t('device.storage_persistent') : t('device.storage_best_effort')),
        h('dt', null, t('device.version')), h('dd', { id: 'app-version' }, `${APP_VERSION} (${BUILD})`)),
      // New-dispatch notifications: asked for only when the technician taps the button.
      pushSlot,
      logout, logoutBox));
  mountPushButton(pushSlot, { api, token: session?.token, t }).catch(() => {});
  return { node, title: t('sync.title'), refresh };
}
