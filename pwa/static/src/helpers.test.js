import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYuan, yuanText } from './money.js';
import { fitWithin } from './photo.js';
import { parseRoute as parsePathname, pathFor } from './route.js';
import { searchCodes, searchParts } from './search.js';
import { backingStoreSize } from './signature.js';

describe('money typed in yuan', () => {
  it('becomes integer fen without floating point', () => {
    expect(parseYuan('30')).toBe(3000);
    expect(parseYuan('30.5')).toBe(3050);
    expect(parseYuan('30.50')).toBe(3050);
    expect(parseYuan(' ¥1,234.56 ')).toBe(123456);
    expect(parseYuan('0.1')).toBe(10);
    expect(parseYuan('0.07')).toBe(7);
    expect(parseYuan('12.')).toBe(1200);
  });

  it('refuses what is not an amount', () => {
    for (const text of ['', 'abc', '-5', '1.234', '1e3', '12.3.4', null, undefined]) expect(parseYuan(text)).toBeNull();
  });

  it('shows fen back as the text of an amount field', () => {
    expect(yuanText(3000)).toBe('30.00');
    expect(yuanText(5)).toBe('0.05');
    expect(parseYuan(yuanText(123456))).toBe(123456);
  });
});

describe('addresses in the app', () => {
  it('names every screen, deep links included, and sends unknown ones away', () => {
    expect(parsePathname('/app/')).toEqual({ name: 'jobs' });
    expect(parsePathname('/app')).toEqual({ name: 'jobs' });
    expect(parsePathname('/app/job/12')).toEqual({ name: 'job', id: 12 });
    expect(parsePathname('/app/job/12/parts')).toEqual({ name: 'parts', id: 12 });
    expect(parsePathname('/app/job/12/receipt/')).toEqual({ name: 'receipt', id: 12 });
    expect(parsePathname('/app/sync')).toEqual({ name: 'sync' });
    expect(parsePathname('/app/job/abc')).toEqual({ name: 'not_found' });
    expect(parsePathname('/office/')).toEqual({ name: 'not_found' });
  });

  it('builds the address of each screen back', () => {
    for (const name of ['job', 'parts', 'fees', 'complete', 'receipt']) {
      expect(parsePathname(pathFor(name, 7))).toEqual({ name, id: 7 });
    }
    for (const name of ['jobs', 'login', 'sync']) expect(parsePathname(pathFor(name))).toEqual({ name });
  });
});

describe('offline search', () => {
  const parts = [
    { sku: 'WASH-PUMP', name: '洗衣机排水泵', name_en: 'Washer drain pump', category: 'washer' },
    { sku: 'CAP-35UF', name: '启动电容 35μF', name_en: 'Start capacitor 35μF', category: 'air_conditioner' },
    { sku: 'CAP-2UF', name: '风机电容 2μF', name_en: 'Fan capacitor 2μF', category: 'air_conditioner' },
  ];

  it('finds parts by SKU, Chinese or English words, all of them, any case', () => {
    expect(searchParts(parts, 'cap').map((p) => p.sku)).toEqual(['CAP-2UF', 'CAP-35UF']);
    expect(searchParts(parts, '电容').map((p) => p.sku)).toEqual(['CAP-2UF', 'CAP-35UF']);
    expect(searchParts(parts, 'FAN capacitor').map((p) => p.sku)).toEqual(['CAP-2UF']);
    expect(searchParts(parts, '35').map((p) => p.sku)).toEqual(['CAP-35UF']);
    expect(searchParts(parts, 'nothing')).toEqual([]);
  });

  it("lists the appliance's own category first", () => {
    expect(searchParts(parts, '', { category: 'washer' }).map((p) => p.sku)).toEqual(['WASH-PUMP', 'CAP-2UF', 'CAP-35UF']);
  });

  it('treats full-width characters as their ASCII twins (NFKC)', () => {
    expect(searchParts(parts, 'ＣＡＰ－３５').map((p) => p.sku)).toEqual(['CAP-35UF']);
  });

  it('finds codes of one kind for the category or for any category', () => {
    const codes = [
      { code: 'E1', kind: 'fault', category: 'air_conditioner', description: '室内机不制冷', description_en: 'Indoor unit does not cool' },
      { code: 'W-DRAIN', kind: 'fault', category: 'washer', description: '不排水', description_en: 'Does not drain' },
      { code: 'C-CAP', kind: 'cause', category: 'air_conditioner', description: '电容失效', description_en: 'Capacitor failed' },
      { code: 'H-REPLACE', kind: 'handling', category: null, description: '更换零件', description_en: 'Replace part' },
    ];
    expect(searchCodes(codes, 'fault', '', { category: 'air_conditioner' }).map((c) => c.code)).toEqual(['E1']);
    expect(searchCodes(codes, 'cause', '电容', { category: 'air_conditioner' }).map((c) => c.code)).toEqual(['C-CAP']);
    expect(searchCodes(codes, 'handling', 'replace', { category: 'washer' }).map((c) => c.code)).toEqual(['H-REPLACE']);
    expect(searchCodes(codes, 'fault', 'drain', { category: 'air_conditioner' })).toEqual([]);
  });
});

describe('images', () => {
  it('shrinks a photo to fit, keeping its shape, and never enlarges it', () => {
    expect(fitWithin(4000, 3000, 1600)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3000, 4000, 1600)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 });
    expect(fitWithin(10000, 1, 1600)).toEqual({ width: 1600, height: 1 });
  });

  it('sizes the signature canvas in device pixels, never below one per CSS pixel', () => {
    expect(backingStoreSize(330, 200, 2)).toEqual({ width: 660, height: 400, ratio: 2 });
    expect(backingStoreSize(330, 200, 2.625)).toEqual({ width: 866, height: 525, ratio: 2.625 });
    expect(backingStoreSize(330, 200, 0.5)).toEqual({ width: 330, height: 200, ratio: 1 });
    expect(backingStoreSize(330, 200, undefined)).toEqual({ width: 330, height: 200, ratio: 1 });
  });
});

describe('the message catalogs', () => {
  const catalog = (lang) => JSON.parse(readFileSync(new URL(`../i18n/${lang}.json`, import.meta.url), 'utf8'));
  // The modules that translate through i18n.js (a module handed `t` by its caller brings
  // its own keys, and its own test of them).
  const sources = () => {
    const dir = new URL('.', import.meta.url);
    const files = [...readdirSync(dir), ...readdirSync(new URL('screens/', dir)).map((f) => `screens/${f}`)]
      .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'));
    return files.map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .filter((text) => /from '\.\.?\/i18n\.js'/.test(text)).join('\n');
  };

  it('have every key the screens ask for, in both languages, with the same placeholders', () => {
    const en = catalog('en');
    const zh = catalog('zh-CN');
    const used = new Set([...sources().matchAll(/\bt\(\s*'([a-z_.]+)'/g)].map((m) => m[1]));
    // Keys built from values: every value they can take.
    const built = [
      ...['new', 'assigned', 'in_progress', 'pending', 'completed', 'cancelled'].map((s) => `status.${s}`),
      ...['air_conditioner', 'washer', 'fridge', 'water_heater'].map((c) => `category.${c}`),
      ...['normal', 'urgent', 'emergency'].map((u) => `urgency.${u}`),
      ...['job', 'parts', 'fees', 'complete', 'receipt'].map((n) => `tab.${n}`),
      ...['fixed', 'pending_parts', 'needs_workshop', 'not_fixed'].map((r) => `resolution.${r}`),
      ...['cash', 'wechat', 'alipay', 'card', 'invoice_later'].map((m) => `payment.${m}`),
      ...['van', 'customer', 'warehouse'].map((s) => `parts.from_${s}`),
      ...['visit.depart', 'visit.arrive', 'checklist.answer', 'diagnosis.record', 'part.use', 'part.remove',
        'old_part.collect', 'fee.set', 'fee.remove', 'quote.accept', 'work.complete', 'signature.capture', 'payment.record',
        'rating.record', 'photo.attach'].map((m) => `mutation.${m}`),
      'logout.warn_first', 'logout.warn_second', 'logout.confirm_first', 'logout.confirm_second',
    ];
    const missing = [...used, ...built].filter((key) => !(key in en) || !(key in zh));
    expect(missing).toEqual([]);
    const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en)) expect([key, placeholders(zh[key] ?? '')]).toEqual([key, placeholders(en[key])]);
  });
});
