import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { myEarnings } from './api.js';
import {
  currentMonth, earningsEnvelope, pastStatements, percentText, rateText, summariseLines, usableEnvelope,
} from './commission.js';
import * as db from './db.js';
import { parseRoute, pathFor } from './route.js';

const line = (overrides = {}) => ({
  id: 1, ticket_number: 'FS-0001', rule_name: 'Labour 10%', kind: 'labor', base_fen: 20000, rate_bp: 1000,
  coefficient_pm: 1000, fixed_fen: null, qty: null, amount_fen: 2000, is_adjustment: false, ...overrides,
});

const answer = (overrides = {}) => ({
  month: '2026-11',
  running: { month: '2026-11', total_fen: 2000, status: 'open', lines: [line()] },
  statements: [],
  ...overrides,
});

describe('the running month', () => {
  it('is the month in Asia/Shanghai, not UTC', () => {
    expect(currentMonth(new Date('2026-11-30T16:30:00Z'))).toBe('2026-12');
    expect(currentMonth(new Date('2026-11-30T15:30:00Z'))).toBe('2026-11');
    expect(currentMonth(new Date('2026-11-30T16:30:00Z'), 'UTC')).toBe('2026-11');
  });
});

describe('rates', () => {
  it('shows basis points as a percentage without float noise', () => {
    expect(percentText(1000)).toBe('10%');
    expect(percentText(1250)).toBe('12.5%');
    expect(percentText(5)).toBe('0.05%');
    expect(percentText(0)).toBe('0%');
  });

  it('reads a percent, a fixed amount per unit, and a grade coefficient', () => {
    expect(rateText(line())).toBe('10%');
    expect(rateText(line({ rate_bp: null, fixed_fen: 2000, qty: 3 }))).toBe('¥20.00 × 3');
    expect(rateText(line({ rate_bp: null, fixed_fen: 2000, qty: 1 }))).toBe('¥20.00');
    expect(rateText(line({ coefficient_pm: 1200 }))).toBe('10% × 1.2');
    expect(rateText(line({ rate_bp: null, coefficient_pm: null }))).toBe('');
  });
});

describe('summarising lines', () => {
  it('counts lines and distinct jobs and adds the amounts in integer fen', () => {
    const lines = [
      line(),
      line({ id: 2, amount_fen: 1500 }),
      line({ id: 3, ticket_number: 'FS-0002', amount_fen: -300, is_adjustment: true }),
      line({ id: 4, ticket_number: null, kind: 'bonus', amount_fen: 5000 }),
    ];
    expect(summariseLines(lines)).toEqual({ count: 4, tickets: 2, total_fen: 8200, adjustment_fen: -300 });
  });

  it('is all zeros with no lines', () => {
    expect(summariseLines([])).toEqual({ count: 0, tickets: 0, total_fen: 0, adjustment_fen: 0 });
    expect(summariseLines()).toEqual({ count: 0, tickets: 0, total_fen: 0, adjustment_fen: 0 });
  });
});

describe('past statements', () => {
  it('are listed newest month first, without changing the answer', () => {
    const statements = [{ month: '2026-09' }, { month: '2026-10' }, { month: '2026-08' }];
    expect(pastStatements(statements).map((s) => s.month)).toEqual(['2026-10', '2026-09', '2026-08']);
    expect(statements[0].month).toBe('2026-09');
  });
});

describe('the kept answer', () => {
  it('records whose answer it is, for which month, and when it was fetched', () => {
    const envelope = earningsEnvelope(answer(), { username: 'li', at: new Date('2026-11-23T02:00:00Z') });
    expect(envelope).toEqual({ month: '2026-11', username: 'li', at: '2026-11-23T02:00:00.000Z', data: answer() });
  });

  it('is used only for the same technician and month', () => {
    const envelope = earningsEnvelope(answer(), { username: 'li' });
    expect(usableEnvelope(envelope, { username: 'li', month: '2026-11' })).toBe(envelope);
    expect(usableEnvelope(envelope, { username: 'wang', month: '2026-11' })).toBeNull();
    expect(usableEnvelope(envelope, { username: 'li', month: '2026-12' })).toBeNull();
    expect(usableEnvelope(null, { username: 'li' })).toBeNull();
    expect(usableEnvelope({ data: {} }, {})).toBeNull();
  });
});

describe('kept in IndexedDB', () => {
  beforeEach(async () => {
    await db.clearAll();
  });

  it('round-trips through the meta store and goes on sign-out', async () => {
    expect(await db.getEarnings()).toBeNull();
    const envelope = earningsEnvelope(answer(), { username: 'li' });
    await db.putEarnings(envelope);
    expect(await db.getEarnings()).toEqual(envelope);
    await db.clearAll();
    expect(await db.getEarnings()).toBeNull();
  });
});

describe('the api helper and the route', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('asks for the month with the bearer token', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(answer()), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    await expect(myEarnings('2026-11', { token: 'tok' })).resolves.toEqual({ ok: true, status: 200, data: answer() });
    const [path, options] = fetch.mock.calls[0];
    expect(path).toBe('/api/commission/mine?month=2026-11');
    expect(options.method).toBe('GET');
    expect(options.headers.Authorization).toBe('Bearer tok');
  });

  it('routes /app/earnings', () => {
    expect(pathFor('earnings')).toBe('/app/earnings');
    expect(parseRoute('/app/earnings')).toEqual({ name: 'earnings' });
    expect(parseRoute('/app/earnings/')).toEqual({ name: 'earnings' });
  });
});
