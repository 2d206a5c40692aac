import { describe, expect, it } from 'vitest';
import { canonicalJson, needsResign, sha256Hex, summaryHash, summaryOf } from './summary.js';

// Ticket 12 with two parts (one under warranty) and one fee; the lines are stored out of
// line_id order on purpose.
const ticket = {
  id: 12,
  parts: [
    { line_id: 'b7f0c2e4', sku: 'AC-FAN-MOTOR-YDK', qty: 1, source: 'van', charge: 'warranty', unit_price_fen: 28000, amount_fen: 0 },
    { line_id: '3a9d51c0', sku: 'AC-CAP-35UF', qty: 1, source: 'van', charge: 'paid', unit_price_fen: 4500, amount_fen: 4500 },
  ],
  fees: [
    { line_id: 'f1', item_code: 'AC-REPAIR-L2', qty: 1, unit_fen: 12000, amount_fen: 12000, overridden: false },
  ],
  total_fen: 16500,
  signatures: [],
};

// Computed with python3:
//   s = json.dumps(summary, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
//   hashlib.sha256(s.encode()).hexdigest()
const PYTHON_JSON = '{"fees":[{"amount_fen":12000,"item_code":"AC-REPAIR-L2","qty":1}],'
  + '"parts":[{"amount_fen":4500,"charge":"paid","qty":1,"sku":"AC-CAP-35UF"},'
  + '{"amount_fen":0,"charge":"warranty","qty":1,"sku":"AC-FAN-MOTOR-YDK"}],'
  + '"ticket_id":12,"total_fen":16500}';
const PYTHON_HASH = '83cd05ba2cda37505da5db47be91f79715bd8873530ddfe16b01b88e9878ec65';

describe('the summary the customer signs', () => {
  it('lists parts and fees sorted by line_id with what the customer pays for each', () => {
    expect(summaryOf(ticket)).toEqual({
      ticket_id: 12,
      parts: [
        { sku: 'AC-CAP-35UF', qty: 1, charge: 'paid', amount_fen: 4500 },
        { sku: 'AC-FAN-MOTOR-YDK', qty: 1, charge: 'warranty', amount_fen: 0 },
      ],
      fees: [{ item_code: 'AC-REPAIR-L2', qty: 1, amount_fen: 12000 }],
      total_fen: 16500,
    });
  });

  it('encodes it byte for byte as Python does and hashes to the Python test vector', async () => {
    expect(canonicalJson(summaryOf(ticket))).toBe(PYTHON_JSON);
    expect(await summaryHash(ticket)).toBe(PYTHON_HASH);
  });

  it('keeps empty line lists as []', async () => {
    const empty = { id: 7, total_fen: 0 };
    expect(canonicalJson(summaryOf(empty))).toBe('{"fees":[],"parts":[],"ticket_id":7,"total_fen":0}');
    expect(await summaryHash(empty)).toBe('75020c4822b23185b30fbebc836882c33f57dfb9f45cc5b37ac51b6521ba43d1');
  });
});

describe('canonical JSON', () => {
  it('writes Chinese text raw, escapes like Python and sorts keys by code point', async () => {
    // json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False) in python3
    const value = { 签名人: '王师傅', note: '压缩机"异响"\n已处理\t✓', a: [1, null, true, '😀'], ctrl: '\u0001\u007f', Z: { b: 2, B: 1 } };
    const json = canonicalJson(value);
    expect(json).toBe('{"Z":{"B":1,"b":2},"a":[1,null,true,"😀"],"ctrl":"\\u0001\u007f","note":"压缩机\\"异响\\"\\n已处理\\t✓","签名人":"王师傅"}');
    expect(await sha256Hex(new TextEncoder().encode(json)))
      .toBe('05b3244c202e3bb8e7f3051327872cff03c6ecab36e8942e0a0c03e8402dbbe9');
  });

  it('refuses numbers that Python would write differently (money is integer fen)', () => {
    expect(() => canonicalJson({ amount: 12.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ amount: Number.NaN })).toThrow(TypeError);
  });
});

describe('asking for a new signature', () => {
  it('does not ask when the customer has not signed yet', async () => {
    expect(await needsResign(ticket)).toBe(false);
  });

  it('does not ask while the signed summary is still the ticket’s', async () => {
    const signed = { ...ticket, signatures: [{ kind: 'completion', blob: 'aa', summary_hash: PYTHON_HASH, at: '2026-11-23T03:00:00Z' }] };
    expect(await needsResign(signed)).toBe(false);
  });

  it('asks when a part is added after the latest completion signature', async () => {
    const signed = {
      ...ticket,
      signatures: [
        { kind: 'completion', blob: 'old', summary_hash: 'stale', at: '2026-11-23T02:00:00Z' },
        { kind: 'quote', blob: 'q', summary_hash: 'whatever', at: '2026-11-23T04:00:00Z' },
        { kind: 'completion', blob: 'aa', summary_hash: PYTHON_HASH, at: '2026-11-23T03:00:00+00:00' },
      ],
    };
    expect(await needsResign(signed)).toBe(false);
    const changed = {
      ...signed,
      parts: [...signed.parts, { line_id: 'c9', sku: 'AC-CAP-35UF', qty: 1, charge: 'paid', amount_fen: 4500 }],
      total_fen: 21000,
    };
    expect(await needsResign(changed)).toBe(true);
  });
});
