// Shared by the office pages: messages, the CSRF-carrying fetch, countdowns, partial
// refresh, time zone conversion and the assign/schedule/cancel drawer. Plain ES module,
// no build step.

const messages = JSON.parse(document.getElementById('messages')?.textContent || '{}');
const settings = JSON.parse(document.getElementById('settings')?.textContent || '{}');
export const TIMEZONE = settings.timezone || 'Asia/Shanghai';

export function t(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || '';
}

// Never throws: {ok, status, data} or {ok: false, status?, error, network?}.
export async function api(method, url, body) {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrfToken() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const response = await fetch(url, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (response.ok) return { ok: true, status: response.status, data };
    return { ok: false, status: response.status, error: data?.error ?? { message: response.statusText } };
  } catch {
    return { ok: false, network: true, error: { message: t('offline') } };
  }
}

export function errorText(result) {
  const error = result.error || {};
  const fields = error.fields ? ` ${JSON.stringify(error.fields)}` : '';
  return `${error.message || error.code || result.status}${fields}`;
}

let toastTimer = null;
export function toast(text, { bad = false } = {}) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('bad', bad);
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), bad ? 6000 : 3000);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

// --- countdowns ----------------------------------------------------------------------

export function span(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const text = minutes >= 60
    ? t('hm', { h: Math.floor(minutes / 60), m: minutes % 60 })
    : t('m', { m: minutes });
  return ms >= 0 ? t('in', { span: text }) : t('overdue', { span: text });
}

export function updateCountdowns(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll('time.countdown[datetime]')) {
    const ms = new Date(node.getAttribute('datetime')).getTime() - now;
    node.textContent = span(ms);
    const badge = node.closest('.sla');
    if (badge && ms < 0 && !badge.classList.contains('sla-overdue')) {
      badge.classList.remove('sla-ok', 'sla-due_soon');
      badge.classList.add('sla-overdue');
    } else if (badge && ms >= 0 && ms <= 30 * 60000 && badge.classList.contains('sla-ok')) {
      badge.classList.replace('sla-ok', 'sla-due_soon');
    }
  }
}

export function startCountdowns() {
  updateCountdowns();
  setInterval(() => updateCountdowns(), 30_000);
}

// --- partial refresh: the page's refreshable part, re-rendered by the server ---------

export function autoRefresh(root, { seconds = 30, paused = () => false, onRefresh = () => {} } = {}) {
  const typing = () => root.contains(document.activeElement) && document.activeElement.matches('input, select');
  async function refresh() {
    if (document.hidden || paused() || typing()) return;
    try {
      const response = await fetch(window.location.href, {
        headers: { 'X-Partial': '1' }, credentials: 'same-origin',
      });
      if (response.redirected || !response.ok) return; // logged out: the next click shows the login
      const html = await response.text();
      if (paused()) return;
      // What the dispatcher typed into the refreshed part (a filter) survives the refresh.
      const kept = [...root.querySelectorAll('input[id]')].map((input) => [input.id, input.value]);
      root.innerHTML = html;
      for (const [id, value] of kept) {
        const input = root.querySelector(`#${CSS.escape(id)}`);
        if (input) input.value = value;
      }
      updateCountdowns(root);
      onRefresh();
    } catch {
      // offline for a moment: keep what is shown, try again at the next tick
    }
  }
  setInterval(refresh, seconds * 1000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  return refresh;
}

// --- time zone: inputs show the office's zone, the API speaks UTC -------------------

function zoneParts(date, tz) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

function offsetMinutes(date, tz) {
  const p = zoneParts(date, tz);
  return (Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - date.getTime()) / 60000;
}

export function toLocalInput(iso, tz = TIMEZONE) {
  if (!iso) return '';
  const p = zoneParts(new Date(iso), tz);
  const two = (n) => String(n).padStart(2, '0');
  return `${p.y}-${two(p.mo)}-${two(p.d)}T${two(p.h)}:${two(p.mi)}`;
}

export function fromLocalInput(value, tz = TIMEZONE) {
  if (!value) return null;
  const [day, clock] = value.split('T');
  const [y, mo, d] = day.split('-').map(Number);
  const [h, mi] = clock.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let utc = wall - offsetMinutes(new Date(wall), tz) * 60000;
  utc = wall - offsetMinutes(new Date(utc), tz) * 60000; // once more across a DST change
  return new Date(utc).toISOString();
}

// The ticket's visit window, or the default one when it has none yet.
export function windowOf(ticket) {
  return ticket.start ? { start: ticket.start, end: ticket.end } : defaultWindow();
}

// The next round hour plus one, for a two-hour window: a sensible first offer.
function defaultWindow(now = new Date()) {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 2);
  return { start: start.toISOString(), end: new Date(start.getTime() + 2 * 3600_000).toISOString() };
}

// --- assign / schedule / cancel -------------------------------------------------------

function reasonChips(reasons) {
  return el('div', { class: 'reasons' },
    reasons.map((r) => el('span', { class: `reason ${r.ok ? 'yes' : 'no'}`, title: r.code }, r.text)));
}

function renderSuggestions(list, data, { onAssign }) {
  list.textContent = '';
  data.technicians.forEach((tech, index) => {
    const button = el('button', {
      type: 'button', class: index === 0 && !tech.over_capacity ? 'primary' : '',
      dataset: { username: tech.username },
      onclick: () => onAssign(tech),
    }, tech.current ? t('reassign') : t('assign'));
    list.append(el('li', {
      class: `suggestion${index === 0 ? ' top' : ''}${tech.over_capacity ? ' over' : ''}`,
      dataset: { username: tech.username },
    },
    el('div', {},
      el('strong', {}, tech.display_name), ' ',
      el('span', { class: 'muted' }, tech.username), ' ',
      tech.current ? el('span', { class: 'badge' }, t('current')) : null, ' ',
      el('span', { class: 'score' }, `${t('score')} ${tech.score}`)),
    button,
    reasonChips(tech.reasons)));
  });
}

export async function assign(ticketId, tech, { start, end } = {}) {
  if (tech.over_capacity) {
    const question = t('over_capacity_confirm', {
      name: tech.display_name, after: tech.load + 1, capacity: tech.capacity,
    });
    if (!window.confirm(question)) return null;
  }
  const body = { technician: tech.username };
  if (start) body.scheduled_start = start;
  if (end) body.scheduled_end = end;
  const result = await api('POST', `/api/tickets/${ticketId}/assign`, body);
  if (result.ok) toast(t('assigned', { name: tech.display_name }));
  else toast(t('failed', { message: errorText(result) }), { bad: true });
  return result;
}

// The ticket's window in `schedule`, its suggested technicians in `list`; a tap assigns in
// the window as the dispatcher left it. `stillWanted()` false drops a late answer (the
// drawer moved on to another ticket).
export async function offerTechnicians(ticket, list, schedule, { onAssigned, stillWanted = () => true }) {
  const window_ = windowOf(ticket);
  schedule.start.value = toLocalInput(window_.start);
  schedule.end.value = toLocalInput(window_.end);
  list.textContent = t('loading');
  const result = await api('GET', `/office/api/tickets/${ticket.id}/suggestions`);
  if (!stillWanted()) return;
  if (!result.ok) { list.textContent = t('failed', { message: errorText(result) }); return; }
  renderSuggestions(list, result.data, {
    onAssign: async (tech) => {
      const done = await assign(ticket.id, tech, {
        start: fromLocalInput(schedule.start.value), end: fromLocalInput(schedule.end.value),
      });
      if (done?.ok) onAssigned(done.data);
    },
  });
}

// The drawer: suggestions with their reasons, the visit window, cancel with a reason.
export function dispatchDrawer(drawer, { onDone = () => {} } = {}) {
  const title = drawer.querySelector('#drawer-title');
  const subtitle = drawer.querySelector('#drawer-ticket');
  const list = drawer.querySelector('#suggestions');
  const schedule = drawer.querySelector('#schedule-form');
  const cancelForm = drawer.querySelector('#cancel-form');
  let current = null;

  function close() {
    drawer.hidden = true;
    current = null;
    document.querySelectorAll('.card.selected').forEach((c) => c.classList.remove('selected'));
  }
  drawer.querySelector('[data-close]')?.addEventListener('click', close);
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape' && !drawer.hidden) close(); });

  cancelForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = cancelForm.reason.value.trim();
    if (!reason) { toast(t('reason_required'), { bad: true }); return; }
    const result = await api('POST', `/api/tickets/${current.id}/cancel`, { reason });
    if (result.ok) {
      toast(t('cancelled'));
      cancelForm.reset();
      close();
      onDone(result.data);
    } else {
      toast(t('failed', { message: errorText(result) }), { bad: true });
    }
  });

  async function open(ticket) {
    current = ticket;
    drawer.hidden = false;
    title.textContent = ticket.number;
    subtitle.textContent = ticket.summary || '';
    await offerTechnicians(ticket, list, schedule, {
      onAssigned: (data) => { close(); onDone(data); },
      stillWanted: () => current === ticket,
    });
  }

  return { open, close, isOpen: () => !drawer.hidden, schedule };
}
