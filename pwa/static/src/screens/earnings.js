// "My month": the technician's running month (total, breakdown, every line: ticket, rule,
// base, rate, result) and their past statements. Online it asks the server
// (GET /api/commission/mine) and keeps the answer on the phone; offline, or when the
// server cannot be reached, it shows the kept answer "as of" when it was fetched.
import * as api from '../api.js';
import {
  currentMonth, earningsEnvelope, pastStatements, rateText, summariseLines, usableEnvelope,
} from '../commission.js';
import { notice, section } from '../components.js';
import { formatMoney, formatTime, t } from '../i18n.js';
import * as store from '../store.js';
import { fill, h } from '../ui.js';

function money(fen, props = {}) {
  return h('span', { class: 'money', ...props }, formatMoney(fen ?? 0));
}

function breakdown(running) {
  const rows = [
    ['earnings.base_wage', running.base_wage_fen],
    ['earnings.commission', running.commission_fen],
    ['earnings.cap_cut', running.cap_cut_fen ? -running.cap_cut_fen : 0],
    ['earnings.bonus', running.bonus_fen],
    ['earnings.deduction', running.deduction_fen],
    ['earnings.adjustment', running.adjustment_fen],
  ].filter(([key, fen]) => key === 'earnings.base_wage' || key === 'earnings.commission' || fen);
  return h('dl', { class: 'facts-list', id: 'earnings-breakdown' },
    rows.map(([key, fen]) => [h('dt', null, t(key)), h('dd', null, money(fen))]),
    h('dt', null, t('earnings.tickets_completed')), h('dd', null, String(running.tickets_completed ?? 0)));
}

// A manual bonus or deduction has no rule: its kind, in words.
function ruleName(line) {
  if (!line.rule_id && (line.kind === 'bonus' || line.kind === 'deduction')) return t(`earnings.${line.kind}`);
  return line.rule_name || line.kind || '';
}

function lineItem(line) {
  const ticket = line.ticket_number ?? t('earnings.no_ticket');
  const rate = rateText(line);
  return h('li', { class: 'earnings-line', dataset: { line: String(line.id ?? ''), amount: String(line.amount_fen ?? 0) } },
    h('div', { class: 'line-head' },
      h('span', null, ticket),
      money(line.amount_fen, { 'aria-label': t('earnings.result_label', { amount: formatMoney(line.amount_fen ?? 0) }) })),
    h('dl', { class: 'facts-list' },
      h('dt', null, t('earnings.rule')), h('dd', null, ruleName(line)),
      h('dt', null, t('earnings.base')), h('dd', null, money(line.base_fen)),
      h('dt', null, t('earnings.rate')), h('dd', null, rate || '—'),
      h('dt', null, t('earnings.result')), h('dd', null, money(line.amount_fen))),
    line.is_adjustment ? h('p', { class: 'badge warn' }, t('earnings.adjusts', { month: line.adjusts_month ?? '' })) : null,
    // A manual bonus or deduction carries finance's words; a job's line only an item code.
    line.note && !line.ticket_id && !line.ticket_number ? h('p', { class: 'note' }, line.note) : null);
}

function runningTotals(running) {
  return [
    h('p', { class: 'earnings-total', id: 'earnings-total', dataset: { total: String(running.total_fen ?? 0) } },
      h('span', null, t('earnings.total')), ' ', h('strong', null, money(running.total_fen))),
    breakdown(running),
  ];
}

function runningLines(running) {
  const lines = running.lines ?? [];
  const summary = summariseLines(lines);
  return section(t('earnings.lines_title'),
    h('p', { class: 'note' }, t('earnings.lines_summary', {
      count: summary.count, tickets: summary.tickets, amount: formatMoney(summary.total_fen),
    })),
    lines.length === 0 ? h('p', { class: 'note', id: 'earnings-no-lines' }, t('earnings.no_lines'))
      : h('ol', { class: 'outbox earnings-lines', id: 'earnings-lines', 'aria-label': t('earnings.lines_title') },
        lines.map(lineItem)));
}

function statementList(statements) {
  const shown = pastStatements(statements);
  if (shown.length === 0) return h('p', { class: 'note', id: 'earnings-no-statements' }, t('earnings.no_statements'));
  return h('table', { class: 'lines', id: 'earnings-statements', 'aria-label': t('earnings.statements_title') },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('earnings.month')),
      h('th', { scope: 'col', class: 'money' }, t('earnings.total')),
      h('th', { scope: 'col' }, t('earnings.closed')))),
    h('tbody', null, shown.map((s) => h('tr', { dataset: { month: s.month, status: s.status } },
      h('th', { scope: 'row' }, s.month),
      h('td', { class: 'money' }, formatMoney(s.total_fen ?? 0)),
      h('td', null, s.status === 'closed' ? formatTime(s.closed_at).slice(0, 10) || t('earnings.closed_yes') : t('earnings.open'))))));
}

export default async function earnings({ session }) {
  const month = currentMonth();
  const username = session?.user?.username ?? null;
  const state = h('div', { id: 'earnings-state', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { id: 'earnings-body', 'aria-busy': 'false' });
  const refreshButton = h('button', { type: 'button', class: 'secondary', id: 'earnings-refresh' }, t('earnings.refresh'));
  let loading = null;
  let gone = false;

  function paint(envelope, { stale, offline, error }) {
    const messages = [];
    if (offline) messages.push(notice('info', t('earnings.offline'), { id: 'earnings-offline' }));
    if (error) messages.push(notice('bad', t('earnings.failed', { message: error.message || error.code || '' })));
    if (envelope && stale) {
      messages.push(h('p', { class: 'note', id: 'earnings-as-of' }, t('earnings.as_of', { time: formatTime(envelope.at) })));
    }
    fill(state, messages);
    if (!envelope) {
      fill(body, loading ? h('p', { class: 'note' }, t('earnings.loading'))
        : notice('info', t('earnings.nothing_kept'), { id: 'earnings-empty' }));
      return;
    }
    const { running, statements } = envelope.data;
    fill(body,
      section(t('earnings.running_title', { month: envelope.month ?? running.month ?? month }), runningTotals(running)),
      runningLines(running),
      section(t('earnings.statements_title'), statementList(statements ?? [])));
  }

  // This technician's kept answer; an earlier month's too (its heading names the month),
  // which beats nothing on the first days of a month spent offline.
  async function kept() {
    return usableEnvelope(await store.cachedEarnings().catch(() => null), { username });
  }

  async function fetchFresh() {
    const token = (await store.session())?.token;
    if (!token || !navigator.onLine) return { offline: true };
    const response = await api.myEarnings(month, { token });
    if (response.ok && response.data?.running) {
      const envelope = earningsEnvelope(response.data, { username });
      await store.keepEarnings(envelope).catch(() => {});
      return { envelope };
    }
    if (response.network) return { offline: true };
    return { error: response.error ?? { code: 'error' } };
  }

  // Paints what the phone has at once, then what the server says when it answers.
  function load() {
    loading ??= (async () => {
      refreshButton.disabled = true;
      body.setAttribute('aria-busy', 'true');
      try {
        const result = await fetchFresh();
        if (gone) return;
        if (result.envelope) paint(result.envelope, {});
        else paint(await kept(), { stale: true, offline: result.offline, error: result.error });
      } finally {
        loading = null;
        refreshButton.disabled = false;
        body.setAttribute('aria-busy', 'false');
      }
    })();
    return loading;
  }

  refreshButton.addEventListener('click', () => load());
  const cached = await kept();
  paint(cached, { stale: true, offline: !navigator.onLine });
  const first = navigator.onLine ? load() : null;
  if (first && !cached) paint(null, {});

  const node = h('div', { class: 'screen earnings' },
    h('h1', null, t('earnings.title')),
    state,
    h('div', { class: 'button-row' }, refreshButton),
    body);
  return {
    node,
    title: t('earnings.title'),
    // After a sync the server may count a newly completed job: ask again.
    // (Not awaited: the app's repaint chain must not wait for the network.)
    refresh: async () => {
      if (navigator.onLine) load();
      else if (!loading) paint(await kept(), { stale: true, offline: true });
    },
    destroy: () => { gone = true; },
  };
}
