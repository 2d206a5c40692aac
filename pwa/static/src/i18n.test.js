import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatMoney, formatTime, initI18n, language, pickLanguage, setLanguage, t } from './i18n.js';

const fromDisk = async (lang) => JSON.parse(readFileSync(new URL(`../i18n/${lang}.json`, import.meta.url), 'utf8'));

function memoryStorage() {
  const values = new Map();
  return { getItem: (k) => values.get(k) ?? null, setItem: (k, v) => values.set(k, String(v)) };
}

describe('language', () => {
  it('is Simplified Chinese for any zh browser or none, English otherwise, unless the technician chose', () => {
    expect(pickLanguage('zh-CN')).toBe('zh-CN');
    expect(pickLanguage('zh-TW')).toBe('zh-CN');
    expect(pickLanguage('zh')).toBe('zh-CN');
    expect(pickLanguage(undefined)).toBe('zh-CN');
    expect(pickLanguage('en-US')).toBe('en');
    expect(pickLanguage('fr-FR')).toBe('en');
    expect(pickLanguage('zh-CN', 'en')).toBe('en');
    expect(pickLanguage('en-GB', 'klingon')).toBe('en');
  });

  it('translates with parameters, remembers a switch, and shows an unknown key as itself', async () => {
    const storage = memoryStorage();
    await initI18n({ navigatorLanguage: 'zh-CN', storage, load: fromDisk });
    expect(t('sync.pending', { count: 3 })).toBe('3 条待同步');

    await setLanguage('en', { storage, load: fromDisk });
    expect(t('sync.pending', { count: 3 })).toBe('3 waiting to sync');
    expect(await initI18n({ navigatorLanguage: 'zh-CN', storage, load: fromDisk })).toBe('en');
    expect(language()).toBe('en');
    expect(t('no.such.key')).toBe('no.such.key');
  });

  it('has the same keys in every language file', async () => {
    expect(Object.keys(await fromDisk('en')).sort()).toEqual(Object.keys(await fromDisk('zh-CN')).sort());
  });
});

describe('formatters', () => {
  it('shows integer fen as yuan', () => {
    expect(formatMoney(1234)).toBe('¥12.34');
    expect(formatMoney(0)).toBe('¥0.00');
    expect(formatMoney(5)).toBe('¥0.05');
    expect(formatMoney(-250)).toBe('-¥2.50');
    expect(formatMoney(123456789)).toBe('¥1,234,567.89');
  });

  it('shows UTC times in Asia/Shanghai unless told otherwise', () => {
    expect(formatTime('2026-11-23T01:30:00Z')).toBe('2026-11-23 09:30');
    expect(formatTime('2026-11-22T16:30:00+00:00')).toBe('2026-11-23 00:30');
    expect(formatTime('2026-11-23T01:30:00Z', { zone: 'UTC' })).toBe('2026-11-23 01:30');
    expect(formatTime(null)).toBe('');
  });
});
