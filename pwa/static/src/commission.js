// The technician's own commission ("My month"), as plain data: which month is running,
// how a line's rate reads, a summary of the running month's lines, and the envelope the
// last answer of GET /api/commission/mine is kept in on the phone (db.js meta 'earnings').
// Pure: no DOM, no IndexedDB, no fetch; money stays integer fen (shown with formatMoney).
import { formatMoney } from './i18n.js';
import { localDay } from './model.js';

// The month running now in the technician's zone ("2026-11"), as the server counts it.
export function currentMonth(now = new Date(), zone = 'Asia/Shanghai') {
  return localDay(now, zone).slice(0, 7);
}

// basis points -> "5%", "12.5%" (integer arithmetic, no float noise).
export function percentText(bp) {
  const sign = bp < 0 ? '-' : '';
  const abs = Math.abs(bp);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, '0').replace(/0+$/, '');
  return `${sign}${whole}${frac ? `.${frac}` : ''}%`;
}

// A line's rate as the technician reads it: "5%", "¥20.00 × 2", "5% × 1.2"; '' when none
// (a manual bonus or deduction).
export function rateText(line) {
  const parts = [];
  if (line.rate_bp !== null && line.rate_bp !== undefined) parts.push(percentText(line.rate_bp));
  if (line.fixed_fen !== null && line.fixed_fen !== undefined) {
    parts.push(formatMoney(line.fixed_fen) + (line.qty && line.qty !== 1 ? ` × ${line.qty}` : ''));
  }
  if (line.coefficient_pm !== null && line.coefficient_pm !== undefined && line.coefficient_pm !== 1000) {
    const whole = Math.floor(Math.abs(line.coefficient_pm) / 1000);
    const frac = String(Math.abs(line.coefficient_pm) % 1000).padStart(3, '0').replace(/0+$/, '');
    parts.push(`${line.coefficient_pm < 0 ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`);
  }
  return parts.join(' × ');
}

// The running month's lines in short: how many, on how many tickets, their sum, and
// the part of it that corrects a closed month.
export function summariseLines(lines = []) {
  const tickets = new Set();
  let totalFen = 0;
  let adjustmentFen = 0;
  for (const line of lines) {
    const amount = Number.isInteger(line.amount_fen) ? line.amount_fen : 0;
    totalFen += amount;
    if (line.is_adjustment) adjustmentFen += amount;
    if (line.ticket_number) tickets.add(line.ticket_number);
  }
  return { count: lines.length, tickets: tickets.size, total_fen: totalFen, adjustment_fen: adjustmentFen };
}

// Past statements, newest month first (closed ones, and open months that have lines).
export function pastStatements(statements = []) {
  return [...statements].sort((a, b) => (a.month < b.month ? 1 : a.month > b.month ? -1 : 0));
}

// What is kept on the phone: the answer, when it was fetched, and whose it is.
export function earningsEnvelope(data, { username, at = new Date() } = {}) {
  return { month: data?.month ?? null, username: username ?? null, at: new Date(at).toISOString(), data };
}

// The kept answer, if it is this technician's and for the month asked; otherwise null.
export function usableEnvelope(envelope, { username, month } = {}) {
  if (!envelope?.data?.running) return null;
  if (username && envelope.username && envelope.username !== username) return null;
  if (month && envelope.month !== month) return null;
  return envelope;
}
