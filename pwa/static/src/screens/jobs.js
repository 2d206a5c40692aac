// Today's jobs, in schedule order: who, where (opens the map app), phone (dials),
// appliance, fault, urgency, warranty, and the SLA countdown.
import {
  applianceText, mapLink, notice, phoneLink, scheduleText, slaBadge, urgencyBadge, warrantyBadge,
} from '../components.js';
import { formatTime, t } from '../i18n.js';
import { jobsForToday } from '../model.js';
import { pathFor } from '../route.js';
import * as store from '../store.js';
import { fill, h } from '../ui.js';

function jobCard(row, now) {
  const ticket = row.view;
  const customer = ticket.customer ?? {};
  const closed = ticket.status === 'completed' || ticket.status === 'cancelled';
  return h('article', { class: ['job-card', `urgency-${ticket.urgency}`, closed && 'closed'], dataset: { ticket: String(ticket.id) } },
    h('div', { class: 'job-when' }, h('span', { class: 'when' }, scheduleText(ticket)), slaBadge(ticket, now)),
    h('h2', { class: 'job-title' },
      h('a', { href: pathFor('job', ticket.id), class: 'job-link' }, customer.name ?? ticket.number,
        h('span', { class: 'visually-hidden' }, ` · ${ticket.number}`))),
    h('p', { class: 'badges' }, urgencyBadge(ticket.urgency), warrantyBadge(ticket.appliance),
      row.removed ? h('span', { class: 'badge bad' }, t('ticket.removed_short')) : null),
    h('p', { class: 'appliance' }, applianceText(ticket.appliance)),
    h('p', { class: 'fault' }, ticket.fault?.description || ticket.fault?.category || ''),
    h('p', { class: 'contact' }, customer.address ? mapLink(customer.address) : null),
    h('p', { class: 'contact' }, customer.phone ? phoneLink(customer.phone) : null),
    h('a', { href: pathFor('job', ticket.id), class: 'button primary open-job', 'aria-hidden': 'true', tabindex: '-1' },
      t('jobs.open')));
}

export default async function jobs() {
  const list = h('div', { class: 'job-list' });
  const meta = h('p', { class: 'meta' });
  let timer = null;

  async function refresh() {
    const [rows, lastSyncAt] = await Promise.all([store.ticketRows(), store.lastSyncAt()]);
    const now = new Date();
    const shown = jobsForToday(rows, now);
    fill(meta,
      t('tickets.count', { count: shown.length }),
      ' · ',
      lastSyncAt ? t('sync.last', { time: formatTime(lastSyncAt) }) : t('sync.never'));
    fill(list, shown.length === 0 ? notice('info', t('tickets.empty')) : shown.map((row) => jobCard(row, now)));
  }
  await refresh();
  // The countdowns move on while the list is open.
  timer = setInterval(() => refresh(), 30_000);

  const node = h('div', { class: 'screen jobs' },
    h('h1', null, t('jobs.title')), meta,
    h('p', { class: 'jobs-links' },
      h('a', { href: pathFor('earnings'), id: 'earnings-link', class: 'button secondary small' }, t('earnings.link'))),
    list);
  return { node, title: t('jobs.title'), refresh, destroy: () => clearInterval(timer) };
}
