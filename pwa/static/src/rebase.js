// The device's view is rebased, never merged by hand (DESIGN.md): what the screen shows
// is the server state from the last pull with the outbox's pending mutations replayed on
// top by the same appliers the UI used the first time. Pure: no db.js, no api.js.
import { applyMutation } from './appliers.js';

const bySeq = (a, b) => a.seq - b.seq;
const sameId = (a, b) => String(a) === String(b);

// What still waits for the server, in seq order. Rejected entries stay in the outbox so
// the technician sees them, but the server did not apply them, so they are not replayed.
// Entries at or below device_last_seq are settled: the pulled state already holds them.
export function livePending(pendingMutations, deviceLastSeq) {
  return pendingMutations
    .filter((m) => m.status !== 'rejected')
    .filter((m) => deviceLastSeq === undefined || deviceLastSeq === null || m.seq > deviceLastSeq)
    .sort(bySeq);
}

export function rebase(serverTicket, pendingMutations, catalog) {
  return livePending(pendingMutations)
    .filter((m) => sameId(m.ticket_id, serverTicket.id))
    .reduce((ticket, m) => applyMutation(ticket, m, catalog), serverTicket);
}

// removed_ticket_ids may list bare ids or {id, reason} objects; both are accepted.
function removedTickets(pullResponse) {
  return (pullResponse.removed_ticket_ids ?? []).map((entry) => (
    typeof entry === 'object' && entry !== null
      ? { id: entry.id ?? entry.ticket_id, reason: entry.reason ?? null }
      : { id: entry, reason: null }));
}

// Ticket rows are {id, server, view, removed?, removed_reason?}: `server` is the ticket
// as last pulled, `view` is what the screen shows. Returns the complete new list of rows.
export function reconcilePull(localRows, pullResponse, pendingMutations, catalog) {
  const live = livePending(pendingMutations, pullResponse.device_last_seq);
  const withUnsyncedWork = new Set(live.map((m) => String(m.ticket_id)));
  const rows = new Map(localRows.map((row) => [String(row.id), row]));

  for (const { id, reason } of removedTickets(pullResponse)) {
    const row = rows.get(String(id));
    if (row) rows.set(String(id), { ...row, removed: true, removed_reason: reason });
  }
  // A ticket listed in the pull is the technician's (again): its server part is replaced.
  for (const ticket of pullResponse.tickets ?? []) {
    rows.set(String(ticket.id), { id: ticket.id, server: ticket });
  }

  const next = [];
  for (const [id, row] of rows) {
    // A removed ticket stays on the phone only while it carries unsynced field facts.
    if (row.removed && !withUnsyncedWork.has(id)) continue;
    next.push({ ...row, view: rebase(row.server, live, catalog) });
  }
  return next;
}

// The van's stock as the technician should see it: the pulled levels with the pending
// part lines from the van taken out. Replacing or removing a line first gives back what
// the line it replaces took, so a part.use the server already counted nets to zero.
export function rebaseStock(levels, pendingMutations, serverTickets) {
  const qty = new Map(levels.map((level) => [level.sku, level.qty]));
  const lines = new Map();
  for (const ticket of serverTickets) {
    for (const line of ticket.parts ?? []) lines.set(line.line_id, line);
  }
  const move = (line, sign) => {
    if (line?.source === 'van') qty.set(line.sku, (qty.get(line.sku) ?? 0) + sign * line.qty);
  };
  for (const m of livePending(pendingMutations)) {
    if (m.name !== 'part.use' && m.name !== 'part.remove') continue;
    move(lines.get(m.args.line_id), +1);
    if (m.name === 'part.use') {
      lines.set(m.args.line_id, m.args);
      move(m.args, -1);
    } else {
      lines.delete(m.args.line_id);
    }
  }
  const known = new Set(levels.map((level) => level.sku));
  return [
    ...levels.map((level) => ({ ...level, qty: qty.get(level.sku) })),
    ...[...qty].filter(([sku]) => !known.has(sku)).map(([sku, q]) => ({ sku, qty: q })),
  ];
}
