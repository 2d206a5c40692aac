// One pure applier per mutation name (DESIGN.md, "Mutations v1"):
// (ticket, mutation, catalog) -> a new ticket. The input is never modified, and ids and
// times come from mutation.args and mutation.at, so replaying a mutation gives the same
// result every time (that is what rebase.js relies on).
//
// Every applier is an upsert keyed by the fact's own identity (line_id, payment_id,
// visit_id, ...): replaying a mutation that the server already included in the pulled
// ticket replaces the line instead of adding it a second time.

// What the customer pays for a part line; the same rule as backend/fees/service.py.
export function partLineAmount(unitPriceFen, qty, source, charge) {
  if (charge === 'warranty' || source === 'customer') return 0;
  return unitPriceFen * qty;
}

// A fee line's amount: an override wins; otherwise warranty covers the item or the
// customer pays the schedule's unit price (already resolved by the server per ticket).
export function feeLineAmount(unitFen, qty, { covered, overrideFen }) {
  if (overrideFen !== undefined && overrideFen !== null) return overrideFen;
  return covered ? 0 : unitFen * qty;
}

export function totalOf(ticket) {
  const sum = (lines) => (lines ?? []).reduce((total, line) => total + line.amount_fen, 0);
  return sum(ticket.parts) + sum(ticket.fees);
}

function partPriceFen(catalog, sku) {
  return catalog?.parts?.find((part) => part.sku === sku)?.price_fen ?? 0;
}

// Replace the first item matching `same`, or append; `make(previous)` builds the new item.
function upsert(list, same, make) {
  const items = list ?? [];
  const index = items.findIndex(same);
  if (index === -1) return [...items, make(undefined)];
  return items.map((item, i) => (i === index ? make(item) : item));
}

function withTotal(ticket) {
  return { ...ticket, total_fen: totalOf(ticket) };
}

const NEW_VISIT = {
  departed_at: null, arrived_at: null, completed_at: null,
  resolution: null, notes: null, lat: null, lng: null,
};

function updateVisit(ticket, visitId, change) {
  const visits = upsert(ticket.visits, (v) => v.id === visitId,
    (visit) => ({ ...(visit ?? { id: visitId, ...NEW_VISIT }), ...change }));
  return { ...ticket, visits };
}

// A signature has no id of its own: its image blob identifies it, or, for a refusal
// without an image, what was refused.
function sameSignature(a, b) {
  if (a.blob || b.blob) return a.blob === b.blob && a.kind === b.kind;
  return a.kind === b.kind && a.summary_hash === b.summary_hash && a.signer_name === b.signer_name;
}

function addSignature(ticket, signature) {
  const signatures = upsert(ticket.signatures, (s) => sameSignature(s, signature), () => signature);
  return { ...ticket, signatures };
}

// work.complete's resolution -> the ticket's status; not_fixed leaves it as it is.
const STATUS_AFTER = { fixed: 'completed', pending_parts: 'pending', needs_workshop: 'pending' };

export const appliers = {
  'visit.depart'(ticket, { args, at }) {
    return updateVisit(ticket, args.visit_id, { departed_at: at });
  },

  'visit.arrive'(ticket, { args, at }) {
    const arrived = updateVisit(ticket, args.visit_id, {
      arrived_at: at, lat: args.lat ?? null, lng: args.lng ?? null,
    });
    return { ...arrived, status: 'in_progress' };
  },

  'checklist.answer'(ticket, { args, at }) {
    const answer = {
      visit_id: args.visit_id, item_code: args.item_code, value: args.value,
      note: args.note ?? null, at,
    };
    const checklist = upsert(ticket.checklist,
      (a) => a.visit_id === args.visit_id && a.item_code === args.item_code, () => answer);
    return { ...ticket, checklist };
  },

  // One diagnosis per visit: recording again corrects it.
  'diagnosis.record'(ticket, { args, at }) {
    const diagnosis = {
      visit_id: args.visit_id, fault_code: args.fault_code,
      cause_code: args.cause_code ?? null, handling_code: args.handling_code ?? null,
      notes: args.notes ?? null, at,
    };
    const diagnoses = upsert(ticket.diagnoses, (d) => d.visit_id === args.visit_id, () => diagnosis);
    return { ...ticket, diagnoses };
  },

  'part.use'(ticket, { args }, catalog) {
    const unitPriceFen = partPriceFen(catalog, args.sku);
    const line = {
      line_id: args.line_id, sku: args.sku, qty: args.qty, source: args.source,
      charge: args.charge, unit_price_fen: unitPriceFen,
      amount_fen: partLineAmount(unitPriceFen, args.qty, args.source, args.charge),
    };
    const parts = upsert(ticket.parts, (p) => p.line_id === args.line_id, () => line);
    return withTotal({ ...ticket, parts });
  },

  'part.remove'(ticket, { args }) {
    const parts = (ticket.parts ?? []).filter((p) => p.line_id !== args.line_id);
    return withTotal({ ...ticket, parts });
  },

  'old_part.collect'(ticket, { args }) {
    const old = { line_id: args.line_id, sku: args.sku, qty: args.qty };
    const oldParts = upsert(ticket.old_parts, (p) => p.line_id === args.line_id, () => old);
    return { ...ticket, old_parts: oldParts };
  },

  'fee.set'(ticket, { args }) {
    const item = (ticket.fee_items ?? []).find((i) => i.item_code === args.item_code);
    const unitFen = item?.unit_fen ?? 0;
    const overridden = args.amount_fen !== undefined && args.amount_fen !== null;
    const covered = Boolean(ticket.appliance?.in_warranty && item?.warranty_covered);
    const amountFen = feeLineAmount(unitFen, args.qty, { covered, overrideFen: args.amount_fen });
    const line = {
      line_id: args.line_id, item_code: args.item_code, qty: args.qty, unit_fen: unitFen,
      amount_fen: amountFen, charge: !overridden && covered ? 'warranty' : 'paid', overridden,
    };
    const fees = upsert(ticket.fees, (f) => f.line_id === args.line_id, () => line);
    return withTotal({ ...ticket, fees });
  },

  'fee.remove'(ticket, { args }) {
    const fees = (ticket.fees ?? []).filter((f) => f.line_id !== args.line_id);
    return withTotal({ ...ticket, fees });
  },

  'quote.accept'(ticket, { args, at }) {
    return addSignature(ticket, {
      kind: 'quote', blob: args.signature_blob ?? null, signer_name: args.signer_name ?? null,
      summary_hash: args.summary_hash, refused: false, refusal_reason: null, at,
    });
  },

  'work.complete'(ticket, { args, at }) {
    const completed = updateVisit(ticket, args.visit_id, {
      completed_at: at, resolution: args.resolution, notes: args.notes ?? null,
    });
    const status = STATUS_AFTER[args.resolution] ?? ticket.status;
    return { ...completed, status };
  },

  // Signing is never forced: a refusal is recorded as a signature with refused: true.
  'signature.capture'(ticket, { args, at }) {
    return addSignature(ticket, {
      kind: 'completion', blob: args.blob ?? null, signer_name: args.signer_name ?? null,
      summary_hash: args.summary_hash, refused: Boolean(args.refused),
      refusal_reason: args.refusal_reason ?? null, at,
    });
  },

  'payment.record'(ticket, { args, at }) {
    const payment = { payment_id: args.payment_id, method: args.method, amount_fen: args.amount_fen, at };
    const payments = upsert(ticket.payments, (p) => p.payment_id === args.payment_id, () => payment);
    return { ...ticket, payments };
  },

  'rating.record'(ticket, { args }) {
    return { ...ticket, rating: { score: args.score, comment: args.comment ?? null } };
  },

  'photo.attach'(ticket, { args, at }) {
    const photo = { blob: args.blob, caption: args.caption ?? null, at };
    const photos = upsert(ticket.photos, (p) => p.blob === args.blob, () => photo);
    return { ...ticket, photos };
  },
};

export const MUTATION_NAMES = Object.keys(appliers);

// Apply one mutation; a name this client does not know leaves the ticket as it is.
export function applyMutation(ticket, mutation, catalog) {
  const applier = appliers[mutation.name];
  return applier ? applier(ticket, mutation, catalog) : ticket;
}
