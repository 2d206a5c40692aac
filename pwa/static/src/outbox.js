// The outbox: every field fact is appended here first (with the ticket's new view, in
// one transaction), pushed in seq order, and settled by the server's answer.
//
// Settling:
//   push result applied        the entry leaves the outbox
//   push result duplicate      likewise (the server had it already); but a duplicate that
//                              carries a code repeats an earlier rejection, so it is kept
//                              as rejected
//   push result rejected       kept, marked rejected with the server's code and message:
//                              shown to the technician, never retried, not replayed
//   push result deferred       stays pending (e.g. its blob is not uploaded yet)
//   pull's device_last_seq     entries at or below it leave the outbox; rejected ones are
//                              copied to meta 'rejected' so the UI can still show them
//                              (db.putServerState / db.settleUpTo)
import { applyMutation } from './appliers.js';
import { appendMutation, getMeta, listOutbox, markResults, updateMeta } from './db.js';

export function newMutation(name, ticketId, args, now = new Date()) {
  return { id: crypto.randomUUID(), name, ticket_id: ticketId, at: new Date(now).toISOString(), args };
}

// The one way a screen changes a ticket: the same applier that rebase.js will replay.
// Ids inside args (line_id, payment_id, visit_id) are made by the caller, e.g. with
// crypto.randomUUID(), so that a replay gives the same lines.
// `blobs`: images the mutation names ({sha256, type, bytes, vector?}), stored with it.
export async function record(name, ticketId, args, { catalog, now = new Date(), blobs = [] } = {}) {
  const mutation = newMutation(name, ticketId, args, now);
  return appendMutation((view) => applyMutation(view, mutation, catalog), mutation, { blobs });
}

// What goes on the wire for one entry (local bookkeeping stays on the device).
export function toWire({ id, seq, name, ticket_id, at, args }) {
  return { id, seq, name, ticket_id, at, args };
}

// A push result -> null (remove the entry) or the fields to merge into it.
export function settlementFor(result) {
  const reason = { code: result.code ?? null, message: result.message ?? null };
  switch (result.status) {
    case 'applied':
      return null;
    case 'duplicate':
      return result.code ? { status: 'rejected', ...reason } : null;
    case 'rejected':
      return { status: 'rejected', ...reason };
    case 'deferred':
      return { status: 'pending', deferred: reason };
    default:
      // An answer this client does not understand: keep the entry and try again later.
      return { status: 'pending' };
  }
}

// Pair results with the entries that were sent (by mutation id). An entry the server did
// not answer for stays as it is.
export function planPushSettlement(sentEntries, results) {
  const seqById = new Map(sentEntries.map((entry) => [entry.id, entry.seq]));
  return results
    .filter((result) => seqById.has(result.id))
    .map((result) => ({ seq: seqById.get(result.id), result: settlementFor(result) }));
}

export async function settlePush(sentEntries, results) {
  const plan = planPushSettlement(sentEntries, results);
  await markResults(plan);
  return plan;
}

// Rejections to show: those still in the outbox and those already settled by a pull.
export async function listRejected() {
  const [entries, settled] = await Promise.all([listOutbox(), getMeta('rejected')]);
  return [...(settled ?? []), ...entries.filter((e) => e.status === 'rejected')];
}

// The technician has read a settled rejection.
export async function dismissRejected(mutationId) {
  await updateMeta('rejected', (settled) => (settled ?? []).filter((e) => e.id !== mutationId));
}
