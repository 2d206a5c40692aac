// What the screens derive from a ticket's view: pure functions of (ticket, catalog, now),
// so that each rule is unit-tested without a browser.
import { latestSignature } from './summary.js';

const CLOSED = new Set(['completed', 'cancelled']);
const MINUTE = 60_000;

const time = (iso) => (iso ? Date.parse(iso) : NaN);

// The visit in progress: the last one not completed. None means the next "On my way"
// starts a new visit (a return visit, or a ticket whose visit the office did not open).
export function currentVisit(ticket) {
  const open = (ticket.visits ?? []).filter((v) => !v.completed_at);
  return open.at(-1) ?? null;
}

export function lastVisit(ticket) {
  return currentVisit(ticket) ?? (ticket.visits ?? []).at(-1) ?? null;
}

// The visit the checklist and diagnosis belong to: the one in progress; on a closed ticket
// the last one (to read, or correct); none on a ticket waiting for its next visit.
export function workingVisit(ticket) {
  if (CLOSED.has(ticket.status)) return lastVisit(ticket);
  return currentVisit(ticket);
}

// "2026-11-23" in the technician's zone.
export function localDay(isoOrDate, zone = 'Asia/Shanghai') {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(new Date(isoOrDate));
  const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day}`;
}

function completedAt(ticket) {
  if (ticket.completed_at) return ticket.completed_at;
  const done = (ticket.visits ?? []).map((v) => v.completed_at).filter(Boolean).sort();
  return done.at(-1) ?? null;
}

// Today's list: every open ticket (a removed one only while it still holds unsynced work,
// which the store keeps) by schedule, unscheduled last; then those completed today.
export function jobsForToday(rows, now, zone = 'Asia/Shanghai') {
  const today = localDay(now, zone);
  const shown = rows.filter(({ view }) => {
    if (!CLOSED.has(view.status)) return true;
    const done = completedAt(view);
    return view.status === 'completed' && done !== null && localDay(done, zone) === today;
  });
  const start = (row) => {
    const at = time(row.view.scheduled_start);
    return Number.isNaN(at) ? Infinity : at;
  };
  const done = (row) => (CLOSED.has(row.view.status) ? 1 : 0);
  return shown.sort((a, b) => done(a) - done(b) || start(a) - start(b) || Number(a.id) - Number(b.id));
}

// The SLA as the technician sees it: the first visit as scheduled.
//   due      the window opens in `minutes`
//   window   inside the window, which closes in `minutes`
//   late     `minutes` past the window (or its start when it has no end)
//   arrived  on site since `at`;  done  completed or cancelled;  unscheduled
export function slaStatus(ticket, now) {
  if (CLOSED.has(ticket.status)) return { kind: 'done' };
  const visit = currentVisit(ticket);
  if (visit?.arrived_at) return { kind: 'arrived', at: visit.arrived_at };
  const start = time(ticket.scheduled_start);
  if (Number.isNaN(start)) return { kind: 'unscheduled' };
  const end = time(ticket.scheduled_end);
  const nowMs = new Date(now).getTime();
  if (nowMs < start) return { kind: 'due', minutes: Math.ceil((start - nowMs) / MINUTE) };
  if (!Number.isNaN(end) && nowMs <= end) return { kind: 'window', minutes: Math.ceil((end - nowMs) / MINUTE) };
  const since = Number.isNaN(end) ? start : end;
  return { kind: 'late', minutes: Math.floor((nowMs - since) / MINUTE) };
}

export function splitMinutes(minutes) {
  return { hours: Math.floor(minutes / 60), minutes: minutes % 60 };
}

// The catalog's checklist for a phase: the one for the appliance's category, else the
// general one.
export function checklistFor(catalog, phase, category) {
  const templates = (catalog?.checklists ?? []).filter((c) => c.phase === phase);
  return templates.find((c) => c.category === category) ?? templates.find((c) => !c.category) ?? null;
}

export function checklistAnswers(ticket, visitId) {
  return new Map((ticket.checklist ?? [])
    .filter((a) => a.visit_id === visitId).map((a) => [a.item_code, a.value]));
}

export function diagnosisFor(ticket, visitId) {
  return (ticket.diagnoses ?? []).find((d) => d.visit_id === visitId) ?? null;
}

// The name to show for a catalog row in the technician's language.
export function localName(row, lang, field = 'name') {
  if (!row) return '';
  return (lang === 'en' ? row[`${field}_en`] : null) || row[field] || row[`${field}_en`] || '';
}

export function vanLevel(levels, sku) {
  return levels.find((level) => level.sku === sku)?.qty ?? 0;
}

// Why a line costs the customer nothing (or what they pay is not the schedule's price).
export function partLineNote(line) {
  if (line.source === 'customer') return 'customer_part';
  if (line.charge === 'warranty') return 'warranty';
  return null;
}

// `item` is the line's entry in the ticket's fee_items, whose price_basis says why its
// price is not the schedule's: the warranty card's lower price, or a repeat repair.
export function feeLineNote(line, item) {
  if (line.overridden) return 'override';
  if (line.charge === 'warranty') return 'warranty';
  if (item?.price_basis === 'repeat_repair') return 'repeat_repair';
  if (item?.price_basis === 'card') return 'card';
  return null;
}

export function feeItem(ticket, itemCode) {
  return (ticket.fee_items ?? []).find((i) => i.item_code === itemCode) ?? null;
}

export function amountPaid(ticket) {
  return (ticket.payments ?? []).reduce((sum, p) => sum + p.amount_fen, 0);
}

export function amountDue(ticket) {
  return Math.max(0, (ticket.total_fen ?? 0) - amountPaid(ticket));
}

// The latest signature of a kind ('quote' or 'completion') and whether it covers the
// summary as it is now (currentHash from summary.summaryHash).
export function signatureState(ticket, kind, currentHash) {
  const latest = latestSignature(ticket, kind);
  if (!latest) return { state: 'none', latest: null };
  if (latest.summary_hash !== currentHash) return { state: 'changed', latest };
  return { state: latest.refused ? 'refused' : 'signed', latest };
}

// Nothing left on the phone that the server has not got.
export function safeToHandOver({ pending, blobs }) {
  return pending === 0 && blobs === 0;
}

// Signing out with unsynced work deletes it: refuse unless confirmed twice.
// step 0 -> warn (step 1) -> warn again (step 2) -> sign out.
export function logoutStep(step, unsynced) {
  if (unsynced === 0 || step >= 2) return { signOut: true, step };
  return { signOut: false, step: step + 1 };
}
