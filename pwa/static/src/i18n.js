// Messages and the two display formatters (money, time). Simplified Chinese is the
// default; English for browsers that ask for another language; the technician's own
// choice (setLanguage) overrides both and is kept in localStorage, like any UI setting.
// The message files are static JSON under /app/static/i18n/, precached by the worker.
import { getStatic } from './api.js';

export const LANGUAGES = ['zh-CN', 'en'];
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
const STORAGE_KEY = 'fieldsync.lang';

let current = 'zh-CN';
let messages = {};
let timeZone = DEFAULT_TIME_ZONE;

export function pickLanguage(navigatorLanguage, override) {
  if (LANGUAGES.includes(override)) return override;
  const asked = (navigatorLanguage ?? '').toLowerCase();
  if (asked === '' || asked.startsWith('zh')) return 'zh-CN';
  return 'en';
}

async function loadMessages(lang) {
  const response = await getStatic(`/app/static/i18n/${lang}.json`);
  return response.ok ? response.data : null;
}

// `load` and `storage` are injectable for tests; in the app the defaults are used.
export async function initI18n({
  navigatorLanguage = globalThis.navigator?.language,
  storage = globalThis.localStorage,
  load = loadMessages,
  zone = DEFAULT_TIME_ZONE,
} = {}) {
  timeZone = zone;
  const lang = pickLanguage(navigatorLanguage, storage?.getItem(STORAGE_KEY));
  await useLanguage(lang, load);
  return lang;
}

export async function setLanguage(lang, { storage = globalThis.localStorage, load = loadMessages } = {}) {
  if (!LANGUAGES.includes(lang)) throw new RangeError(`unsupported language ${lang}`);
  storage?.setItem(STORAGE_KEY, lang);
  await useLanguage(lang, load);
}

async function useLanguage(lang, load) {
  const loaded = await load(lang);
  // Without the file (first start offline before the worker cached it) keys show as-is.
  if (loaded) {
    messages = loaded;
    current = lang;
  }
}

export function language() {
  return current;
}

// t('sync.pending', {count: 3}) -> "3 条待同步"; an unknown key shows itself.
export function t(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

// Integer fen -> "¥1,234.56", with integer arithmetic only (never floats for money).
export function formatMoney(fen) {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

// A UTC ISO time -> "2026-11-23 09:30" in the technician's zone (Asia/Shanghai unless set).
export function formatTime(iso, { zone = timeZone } = {}) {
  if (!iso) return '';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}
