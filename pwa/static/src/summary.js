// The summary the customer signs and its hash (DESIGN.md, summary_hash). The server
// recomputes the same hash from its own lines (backend/fees/service.py), so every byte
// here must match Python's json.dumps(v, sort_keys=True, separators=(',', ':'),
// ensure_ascii=False) encoded as UTF-8.

// Python sorts str by code point; JS `<` compares UTF-16 units, which differs only
// outside the BMP. Compare code points so both sides agree on every key and line_id.
function byCodePoint(a, b) {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const diff = left[i].codePointAt(0) - right[i].codePointAt(0);
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}

const byLineId = (a, b) => byCodePoint(String(a.line_id), String(b.line_id));

export function summaryOf(ticket) {
  const parts = [...(ticket.parts ?? [])].sort(byLineId)
    .map((p) => ({ sku: p.sku, qty: p.qty, charge: p.charge ?? null, amount_fen: p.amount_fen }));
  const fees = [...(ticket.fees ?? [])].sort(byLineId)
    .map((f) => ({ item_code: f.item_code, qty: f.qty, amount_fen: f.amount_fen }));
  // The total is the sum of what each line costs, exactly as the server computes it.
  const total = [...parts, ...fees].reduce((sum, line) => sum + line.amount_fen, 0);
  return { ticket_id: ticket.id, parts, fees, total_fen: total };
}

// JSON.stringify already escapes strings the way Python does with ensure_ascii=False
// (", \, \b \f \n \r \t, other controls as \u00xx, everything else raw). Numbers are
// where the two differ (1.0, 1e21), and money is integer fen, so only integers pass.
export function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`canonicalJson carries integers only, got ${value}`);
    }
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(byCodePoint);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson cannot encode ${typeof value}`);
}

export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function summaryHash(ticket) {
  return sha256Hex(new TextEncoder().encode(canonicalJson(summaryOf(ticket))));
}

// The latest signature of a kind ('quote' or 'completion'), or null.
export function latestSignature(ticket, kind) {
  const signed = (ticket.signatures ?? []).filter((s) => s.kind === kind);
  // The server writes "+00:00" and the device "Z": compare instants, not strings.
  // On a tie the later entry in the list wins.
  return signed.reduce(
    (latest, s) => (!latest || Date.parse(s.at) >= Date.parse(latest.at) ? s : latest), null);
}

export function latestCompletionSignature(ticket) {
  return latestSignature(ticket, 'completion');
}

// True when the customer signed (or refused) a summary that is no longer the ticket's:
// the PWA then asks for a new signature. No signature yet means nothing to redo.
export async function needsResign(ticket) {
  const signature = latestCompletionSignature(ticket);
  if (!signature) return false;
  return signature.summary_hash !== (await summaryHash(ticket));
}
