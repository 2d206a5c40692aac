// Money typed by the technician: yuan text -> integer fen, by string arithmetic only, so
// that "0.1" + "0.2" never becomes 30.000000000000004 fen. Shown back with i18n.formatMoney.

// "30", "30.5", "30.50", "¥1,234.56", " 12 " -> fen; anything else (or more than 2 decimals,
// or a negative) -> null.
export function parseYuan(text) {
  const cleaned = String(text ?? '').trim().replace(/^¥\s*/, '').replace(/,/g, '');
  const match = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!match) return null;
  const [, yuan, cents = ''] = match;
  return Number(yuan) * 100 + Number(cents.padEnd(2, '0'));
}

// Fen -> the plain text an amount input shows ("30.00"), without the currency sign.
export function yuanText(fen) {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
