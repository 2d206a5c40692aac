import { describe, expect, it } from 'vitest';
import {
  amountDue, amountPaid, checklistAnswers, checklistFor, currentVisit, feeLineNote, jobsForToday, lastVisit,
  localDay, localName, logoutStep, partLineNote, safeToHandOver, signatureState, slaStatus, splitMinutes, vanLevel,
  workingVisit,
} from './model.js';

const NOW = '2026-11-23T02:00:00Z'; // 10:00 in Shanghai

const ticket = (overrides = {}) => ({
  id: 1, status: 'assigned', scheduled_start: '2026-11-23T03:00:00Z', scheduled_end: '2026-11-23T05:00:00Z',
  visits: [{ id: 'v1', departed_at: null, arrived_at: null, completed_at: null }], ...overrides,
});
const row = (view, extra = {}) => ({ id: view.id, view, ...extra });

describe('the visit in progress', () => {
  it('gives the checklist and diagnosis the visit in progress, the last one once the job is closed, else none', () => {
    const done = [{ id: 'a', completed_at: '2026-11-20T01:00:00Z' }];
    expect(workingVisit(ticket({ status: 'completed', visits: done })).id).toBe('a');
    expect(workingVisit(ticket({ status: 'pending', visits: done }))).toBeNull();
    expect(workingVisit(ticket()).id).toBe('v1');
  });

  it('is the last visit not completed, and none once every visit is done', () => {
    const t = ticket({ visits: [{ id: 'a', completed_at: '2026-11-20T01:00:00Z' }, { id: 'b', completed_at: null }] });
    expect(currentVisit(t).id).toBe('b');
    const done = ticket({ visits: [{ id: 'a', completed_at: '2026-11-20T01:00:00Z' }] });
    expect(currentVisit(done)).toBeNull();
    expect(lastVisit(done).id).toBe('a');
    expect(currentVisit({})).toBeNull();
  });
});

describe("today's jobs", () => {
  it('lists open jobs by schedule, unscheduled last, then only those completed today', () => {
    const rows = [
      row(ticket({ id: 3, scheduled_start: null })),
      row(ticket({ id: 2, scheduled_start: '2026-11-23T06:00:00Z' })),
      row(ticket({ id: 1, scheduled_start: '2026-11-23T01:00:00Z' })),
      row(ticket({ id: 4, status: 'completed', completed_at: '2026-11-23T01:30:00Z' })),
      row(ticket({ id: 5, status: 'completed', completed_at: '2026-11-22T01:30:00Z' })),
      row(ticket({ id: 6, status: 'cancelled' })),
    ];
    expect(jobsForToday(rows, NOW).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it('counts a job completed on the phone (not yet synced) by its visit', () => {
    const local = ticket({ id: 7, status: 'completed', completed_at: null,
      visits: [{ id: 'v', completed_at: '2026-11-23T01:59:00Z' }] });
    expect(jobsForToday([row(local)], NOW).map((r) => r.id)).toEqual([7]);
  });

  it('uses the day in Shanghai, not in UTC', () => {
    expect(localDay('2026-11-22T16:30:00Z')).toBe('2026-11-23');
    expect(localDay('2026-11-22T16:30:00Z', 'UTC')).toBe('2026-11-22');
  });
});

describe('the SLA countdown', () => {
  it('counts down to the window, then inside it, then counts the lateness', () => {
    expect(slaStatus(ticket(), NOW)).toEqual({ kind: 'due', minutes: 60 });
    expect(slaStatus(ticket(), '2026-11-23T04:00:30Z')).toEqual({ kind: 'window', minutes: 60 });
    expect(slaStatus(ticket(), '2026-11-23T05:20:00Z')).toEqual({ kind: 'late', minutes: 20 });
    expect(slaStatus(ticket({ scheduled_end: null }), '2026-11-23T03:45:00Z')).toEqual({ kind: 'late', minutes: 45 });
  });

  it('stops once the technician arrived, and for closed or unscheduled jobs', () => {
    const arrived = ticket({ visits: [{ id: 'v1', arrived_at: '2026-11-23T02:50:00Z', completed_at: null }] });
    expect(slaStatus(arrived, '2026-11-23T06:00:00Z')).toEqual({ kind: 'arrived', at: '2026-11-23T02:50:00Z' });
    expect(slaStatus(ticket({ status: 'completed' }), NOW)).toEqual({ kind: 'done' });
    expect(slaStatus(ticket({ scheduled_start: null }), NOW)).toEqual({ kind: 'unscheduled' });
  });

  it('splits minutes into hours and minutes', () => {
    expect(splitMinutes(125)).toEqual({ hours: 2, minutes: 5 });
    expect(splitMinutes(59)).toEqual({ hours: 0, minutes: 59 });
  });
});

describe('checklists and names from the catalog', () => {
  const catalog = { checklists: [
    { code: 'arrival', phase: 'arrival', category: null, items: [] },
    { code: 'arrival-ac', phase: 'arrival', category: 'air_conditioner', items: [] },
    { code: 'completion', phase: 'completion', category: null, items: [] },
  ] };

  it("prefers the appliance category's template over the general one", () => {
    expect(checklistFor(catalog, 'arrival', 'air_conditioner').code).toBe('arrival-ac');
    expect(checklistFor(catalog, 'arrival', 'washer').code).toBe('arrival');
    expect(checklistFor(catalog, 'completion', 'washer').code).toBe('completion');
    expect(checklistFor({}, 'arrival', 'washer')).toBeNull();
  });

  it("reads the answers of one visit", () => {
    const t = ticket({ checklist: [
      { visit_id: 'v1', item_code: 'a', value: true }, { visit_id: 'v0', item_code: 'a', value: false }] });
    expect([...checklistAnswers(t, 'v1')]).toEqual([['a', true]]);
  });

  it('shows names in the chosen language, falling back to the other', () => {
    expect(localName({ name: '启动电容', name_en: 'Start capacitor' }, 'en')).toBe('Start capacitor');
    expect(localName({ name: '启动电容', name_en: 'Start capacitor' }, 'zh-CN')).toBe('启动电容');
    expect(localName({ name: '启动电容', name_en: null }, 'en')).toBe('启动电容');
    expect(localName({ label: '已穿鞋套', label_en: 'Shoe covers on' }, 'en', 'label')).toBe('Shoe covers on');
    expect(localName(null, 'en')).toBe('');
  });

  it('reads a van level, zero for a part the van never held', () => {
    expect(vanLevel([{ sku: 'A', qty: -1 }], 'A')).toBe(-1);
    expect(vanLevel([], 'A')).toBe(0);
  });
});

describe('lines and money', () => {
  it('says why a line is free or not the schedule price', () => {
    expect(partLineNote({ source: 'customer', charge: 'paid' })).toBe('customer_part');
    expect(partLineNote({ source: 'van', charge: 'warranty' })).toBe('warranty');
    expect(partLineNote({ source: 'van', charge: 'paid' })).toBeNull();
    expect(feeLineNote({ charge: 'warranty', overridden: false })).toBe('warranty');
    expect(feeLineNote({ charge: 'paid', overridden: true })).toBe('override');
    expect(feeLineNote({ charge: 'paid', overridden: false }, { price_basis: 'repeat_repair' })).toBe('repeat_repair');
    expect(feeLineNote({ charge: 'paid', overridden: false }, { price_basis: 'card' })).toBe('card');
    expect(feeLineNote({ charge: 'paid', overridden: false }, { price_basis: 'schedule' })).toBeNull();
    expect(feeLineNote({ charge: 'warranty', overridden: false }, { price_basis: 'card' })).toBe('warranty');
  });

  it('knows what was paid and what is still due, never below zero', () => {
    const t = { total_fen: 7500, payments: [{ amount_fen: 5000 }, { amount_fen: 1000 }] };
    expect(amountPaid(t)).toBe(6000);
    expect(amountDue(t)).toBe(1500);
    expect(amountDue({ total_fen: 100, payments: [{ amount_fen: 300 }] })).toBe(0);
  });
});

describe('signatures', () => {
  const signed = (kind, hash, at, extra = {}) => ({ kind, summary_hash: hash, at, refused: false, ...extra });

  it('takes the latest signature of a kind and compares it with the summary as it is now', () => {
    const t = { signatures: [
      signed('completion', 'h1', '2026-11-23T02:00:00+00:00'),
      signed('completion', 'h2', '2026-11-23T02:05:00.000Z'),
      signed('quote', 'q1', '2026-11-23T01:00:00Z'),
    ] };
    expect(signatureState(t, 'completion', 'h2').state).toBe('signed');
    expect(signatureState(t, 'completion', 'h3')).toMatchObject({ state: 'changed', latest: { summary_hash: 'h2' } });
    expect(signatureState(t, 'quote', 'q1').state).toBe('signed');
    expect(signatureState({}, 'quote', 'q1')).toEqual({ state: 'none', latest: null });
  });

  it('tells a refusal apart, and asks again when the lines changed after it', () => {
    const t = { signatures: [signed('completion', 'h1', '2026-11-23T02:00:00Z', { refused: true })] };
    expect(signatureState(t, 'completion', 'h1').state).toBe('refused');
    expect(signatureState(t, 'completion', 'h2').state).toBe('changed');
  });
});

describe('handing over and signing out', () => {
  it('is safe to hand over only with nothing waiting', () => {
    expect(safeToHandOver({ pending: 0, blobs: 0 })).toBe(true);
    expect(safeToHandOver({ pending: 1, blobs: 0 })).toBe(false);
    expect(safeToHandOver({ pending: 0, blobs: 2 })).toBe(false);
  });

  it('refuses to sign out with unsynced work unless confirmed twice', () => {
    expect(logoutStep(0, 0)).toEqual({ signOut: true, step: 0 });
    expect(logoutStep(0, 3)).toEqual({ signOut: false, step: 1 });
    expect(logoutStep(1, 3)).toEqual({ signOut: false, step: 2 });
    expect(logoutStep(2, 3)).toEqual({ signOut: true, step: 2 });
  });
});
