// The technician app's entry point. Screens come later; for now it opens the store,
// loads the messages, starts syncing and registers the service worker.
import { Workbox } from 'workbox-window';
import { getTickets, onBlocking } from './db.js';
import { initI18n, t } from './i18n.js';
import { startAutoSync, whenSyncIdle } from './sync.js';

function show(root, text) {
  const line = document.createElement('p');
  line.textContent = text;
  root.append(line);
  return line;
}

// A new worker waits for the technician's consent (as Squoosh does): the offer is held
// back while the outbox is flushing, and skip-waiting is sent only when they accept.
function registerServiceWorker(root) {
  if (!('serviceWorker' in navigator)) return;
  const wb = new Workbox('/app/sw.js', { scope: '/app/' });
  wb.addEventListener('installed', (event) => {
    if (!event.isUpdate) show(root, t('offline.ready'));
  });
  wb.addEventListener('waiting', async () => {
    await whenSyncIdle();
    const offer = show(root, t('update.available'));
    const reload = document.createElement('button');
    reload.textContent = t('update.reload');
    reload.addEventListener('click', () => {
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
    const later = document.createElement('button');
    later.textContent = t('update.dismiss');
    later.addEventListener('click', () => offer.remove());
    offer.append(' ', reload, ' ', later);
  });
  wb.register();
}

async function main() {
  const root = document.getElementById('app');
  root.textContent = '';
  const title = document.createElement('h1');
  title.textContent = 'Fieldsync';
  root.append(title);

  await initI18n();
  onBlocking(() => show(root, t('app.reload_needed')));
  const tickets = await getTickets();
  show(root, t('tickets.count', { count: tickets.length }));

  startAutoSync();
  registerServiceWorker(root);
}

main();
