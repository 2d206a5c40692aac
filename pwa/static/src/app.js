// The technician app's entry point: opens the store, loads the messages, routes between
// the screens, runs sync (start, `online`, after each action, every few minutes,
// Background Sync) and offers a waiting service worker as an update.
import { Workbox } from 'workbox-window';
import { onBlocking } from './db.js';
import { initI18n, language, setLanguage, t } from './i18n.js';
import { parseRoute, pathFor } from './route.js';
import complete from './screens/complete.js';
import earnings from './screens/earnings.js';
import fees from './screens/fees.js';
import job from './screens/job.js';
import jobs from './screens/jobs.js';
import login from './screens/login.js';
import parts from './screens/parts.js';
import receipt from './screens/receipt.js';
import status from './screens/status.js';
import { forgetDetachedPads, padsHaveStrokes } from './signature.js';
import * as store from './store.js';
import * as api from './api.js';
import { refreshPushSubscription } from './push.js';
import { BACKGROUND_SYNC_TAG, isSyncing, onSync, startAutoSync, syncOnce } from './sync.js';
import { fill, h, keepingFocus } from './ui.js';
import { BUILD } from './version.js';

const SCREENS = { jobs, login, job, parts, fees, complete, receipt, sync: status, earnings };
const JOB_TABS = ['job', 'parts', 'fees', 'complete', 'receipt'];

const shell = {};
let current = null; // {route, screen: {node, title, refresh?, destroy?}}
let autoSync = null;
let registration = null;
let painting = Promise.resolve();

// --- navigation ----------------------------------------------------------------------

export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  return show();
}

// In-app links are followed without a page load.
function onLinkClick(event) {
  const a = event.target.closest?.('a[href]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
    || event.shiftKey || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith('/app/')) return;
  event.preventDefault();
  navigate(url.pathname);
}

async function show() {
  const task = painting.then(render);
  painting = task.catch(() => {});
  return task;
}

async function render() {
  let route = parseRoute(window.location.pathname);
  const session = await store.session();
  if (!session && route.name !== 'login') {
    window.history.replaceState(null, '', pathFor('login'));
    route = { name: 'login' };
  } else if (session && route.name === 'login') {
    window.history.replaceState(null, '', pathFor('jobs'));
    route = { name: 'jobs' };
  }
  if (route.name === 'not_found') {
    window.history.replaceState(null, '', pathFor('jobs'));
    route = { name: 'jobs' };
  }
  current?.screen.destroy?.();
  const screen = await SCREENS[route.name]({ route, session, navigate, syncNow });
  current = { route, screen };
  fill(shell.main, screen.node);
  forgetDetachedPads();
  markFirstJobList();
  paintHeader(route, screen.header ?? 'Fieldsync');
  document.title = `${screen.title} · Fieldsync`;
  // Move focus to the new screen's heading, so a screen reader announces the change.
  const heading = shell.main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
  paintSyncBadge();
}

// The cold-start benchmark (bench/pwa_cold_start.py) reads this mark: the first job list
// of this page load on screen (the frame after it was inserted).
let jobListMarked = false;
function markFirstJobList() {
  if (jobListMarked || !shell.main.querySelector('.job-card')) return;
  jobListMarked = true;
  requestAnimationFrame(() => setTimeout(() => performance.mark('fieldsync:jobs-painted'), 0));
}

async function refreshCurrent() {
  const screen = current?.screen;
  if (!screen?.refresh) return;
  const task = painting.then(() => keepingFocus(() => screen.refresh()));
  painting = task.catch((error) => console.error(error));
  await task;
}

// --- header, bottom tabs, sync badge -------------------------------------------------

function paintHeader(route, title) {
  const back = route.name === 'jobs' || route.name === 'login' ? null
    : h('a', { class: 'back', href: route.id && route.name !== 'job' ? pathFor('job', route.id) : pathFor('jobs'),
      'aria-label': t('nav.back') }, '‹');
  fill(shell.title, back, h('span', { class: 'title-text' }, title));
  const tabs = route.id ? JOB_TABS.map((name) => h('a', {
    href: pathFor(name, route.id),
    class: ['tab', name === route.name && 'current'],
    'aria-current': name === route.name ? 'page' : null,
  }, t(`tab.${name}`))) : [];
  fill(shell.tabs, tabs);
  shell.tabs.hidden = tabs.length === 0;
  document.body.classList.toggle('has-tabs', tabs.length > 0);
}

async function paintSyncBadge() {
  const session = await store.session();
  shell.syncLink.hidden = !session;
  if (!session) return;
  const counts = await store.syncCounts();
  const waiting = counts.pending + counts.blobs;
  const online = navigator.onLine;
  let text;
  if (isSyncing()) text = t('sync.running');
  else if (waiting > 0) text = t('sync.badge_waiting', { count: waiting });
  else text = t('sync.badge_synced');
  shell.syncLink.className = ['sync-badge', waiting > 0 ? 'waiting' : 'synced', online ? null : 'offline']
    .filter(Boolean).join(' ');
  shell.syncLink.dataset.pending = String(counts.pending);
  shell.syncLink.dataset.blobs = String(counts.blobs);
  shell.syncLink.dataset.syncing = isSyncing() ? '1' : '0';
  fill(shell.syncLink, online ? null : h('span', { class: 'dot' }, t('sync.offline_short')), text);
  shell.syncLink.setAttribute('aria-label', `${t('sync.title')}: ${online ? '' : `${t('sync.offline_short')}, `}${text}`);
}

// --- sync ----------------------------------------------------------------------------

// Sync now (a button, or right after signing in) through the auto-sync loop, so that its
// schedule and backoff start again from here; resolves with that sync's result.
export function syncNow() {
  if (!autoSync) return syncOnce();
  return new Promise((resolve) => {
    const off = onSync((event) => {
      if (event.type !== 'end') return;
      off();
      resolve(event.result);
    });
    autoSync.syncSoon();
  });
}

function requestBackgroundSync() {
  // Chrome's Background Sync runs our worker's 'sync' event once the phone is online,
  // even if the app was closed meanwhile; elsewhere `online` and the timer do the job.
  registration?.sync?.register(BACKGROUND_SYNC_TAG).catch(() => {});
}

// store.act calls this right after changed(), whose listener already repaints the badge.
function afterAction() {
  if (navigator.onLine) autoSync?.syncSoon();
  else requestBackgroundSync();
}

async function onSyncEvent(event) {
  paintSyncBadge();
  if (event.type !== 'end') return;
  const { result } = event;
  await store.recordSyncResult(result).catch(() => {});
  // The server said 401 (revoked or expired token): sign in again; the outbox stays.
  // (signedOut without a step is "no token yet": the login screen is already up.)
  const sessionEnded = Boolean(result.signedOut && result.step);
  if (sessionEnded) await store.dropToken();
  // The pull may have changed anything on screen.
  await refreshCurrent();
  paintSyncBadge();
  window.dispatchEvent(new CustomEvent('fieldsync:sync', { detail: result }));
  if (sessionEnded) show();
}

// --- service worker and updates ------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// An update reloads the page: never while the outbox is being flushed or while the
// customer's signature is on a pad and not saved yet.
async function updateAllowed() {
  while (isSyncing() || padsHaveStrokes()) await sleep(500);
}

async function offerUpdate(wb) {
  await updateAllowed();
  const message = h('p', { class: 'banner-text' }, t('update.available'));
  const accept = h('button', { type: 'button', class: 'primary small', id: 'update-accept' }, t('update.reload'));
  const later = h('button', { type: 'button', class: 'secondary small', id: 'update-later' }, t('update.dismiss'));
  accept.addEventListener('click', async () => {
    if (isSyncing() || padsHaveStrokes()) {
      fill(message, t('update.wait'));
      await updateAllowed();
    }
    accept.disabled = true;
    wb.addEventListener('controlling', () => window.location.reload());
    wb.messageSkipWaiting();
  });
  later.addEventListener('click', () => { shell.banner.hidden = true; });
  fill(shell.banner, message, h('div', { class: 'banner-actions' }, accept, later));
  shell.banner.hidden = false;
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const wb = new Workbox('/app/sw.js', { scope: '/app/' });
  wb.addEventListener('waiting', () => offerUpdate(wb));
  // Background Sync from the worker: it asks an open window to run the sync (one place
  // that owns the outbox while the app is open) and waits for the answer.
  navigator.serviceWorker.addEventListener('message', async (event) => {
    if (event.data?.type !== 'SYNC_REQUESTED') return;
    const result = await syncOnce().catch(() => ({ ok: false, retry: true }));
    event.ports[0]?.postMessage({ ok: result.ok || !result.retry });
  });
  wb.register().then((reg) => { registration = reg ?? null; }).catch((error) => console.error(error));
  window.addEventListener('online', () => wb.update().catch(() => {}));
}

// --- start ---------------------------------------------------------------------------

function buildShell() {
  const root = document.getElementById('app');
  shell.title = h('div', { class: 'app-title' });
  shell.syncLink = h('a', { class: 'sync-badge', href: pathFor('sync'), hidden: true });
  shell.lang = h('button', { type: 'button', class: 'lang', lang: language() === 'en' ? 'zh-CN' : 'en',
    'aria-label': t('language.switch_label') }, t('language.switch'));
  shell.lang.addEventListener('click', async () => {
    await setLanguage(language() === 'en' ? 'zh-CN' : 'en');
    document.documentElement.lang = language();
    fill(shell.lang, t('language.switch'));
    shell.lang.setAttribute('lang', language() === 'en' ? 'zh-CN' : 'en');
    shell.lang.setAttribute('aria-label', t('language.switch_label'));
    await show();
  });
  shell.banner = h('div', { class: 'banner', role: 'status', hidden: true });
  shell.main = h('main', { id: 'main' });
  shell.tabs = h('nav', { class: 'tabs', 'aria-label': t('tab.label'), hidden: true });
  const header = h('header', { class: 'top' }, shell.title, h('div', { class: 'top-actions' }, shell.syncLink, shell.lang));
  root.replaceChildren(header, shell.banner, shell.main, shell.tabs);
  document.addEventListener('click', onLinkClick);
  window.addEventListener('popstate', () => show());
  window.addEventListener('online', paintSyncBadge);
  window.addEventListener('offline', paintSyncBadge);
}

async function main() {
  // Open IndexedDB while the messages load (a cold start waits for both).
  const opening = store.session().catch(() => null);
  await initI18n();
  await opening;
  document.documentElement.lang = language();
  document.documentElement.dataset.build = BUILD;
  buildShell();
  onBlocking(() => {
    fill(shell.banner, h('p', { class: 'banner-text' }, t('app.reload_needed')));
    shell.banner.hidden = false;
  });
  store.onChange(() => { refreshCurrent(); paintSyncBadge(); });
  store.setAfterAction(afterAction);
  onSync(onSyncEvent);
  await show();
  autoSync = startAutoSync({ intervalMs: 3 * 60_000 });
  registerServiceWorker();
  // A technician who already allowed notifications re-sends the subscription (push
  // services rotate endpoints; a new sign-in is a new device on the server). No prompt.
  opening.then((session) => session?.token && refreshPushSubscription(api, { token: session.token }))
    .catch(() => {});
  // Ask the browser not to evict the outbox under storage pressure.
  navigator.storage?.persist?.().catch(() => {});
}

main();
