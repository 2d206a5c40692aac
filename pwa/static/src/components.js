// View pieces shared by several screens: the ticket's heading facts, line lists, totals,
// and the signature image.
import { formatMoney, formatTime, language, t } from './i18n.js';
import {
  amountDue, amountPaid, feeItem, feeLineNote, localDay, localName, partLineNote, slaStatus, splitMinutes,
} from './model.js';
import { getBlob } from './store.js';
import { h, icon } from './ui.js';

export function categoryName(category) {
  return t(`category.${category}`);
}

export function applianceText(appliance) {
  if (!appliance) return '';
  return [appliance.brand, categoryName(appliance.category), appliance.model].filter(Boolean).join(' · ');
}

export function warrantyBadge(appliance) {
  if (!appliance) return null;
  return appliance.in_warranty
    ? h('span', { class: 'badge ok' }, t('ticket.in_warranty_until', { date: appliance.warranty_until ?? '' }))
    : h('span', { class: 'badge muted' }, t('ticket.out_of_warranty'));
}

export function urgencyBadge(urgency) {
  return h('span', { class: ['badge', `urgency-${urgency}`] }, t(`urgency.${urgency}`));
}

function duration(minutes) {
  const { hours, minutes: mins } = splitMinutes(minutes);
  return hours > 0 ? t('time.hours_minutes', { h: hours, m: mins }) : t('time.minutes', { m: mins });
}

export function slaText(ticket, now) {
  const sla = slaStatus(ticket, now);
  switch (sla.kind) {
    case 'due': return { text: t('sla.due', { in: duration(sla.minutes) }), tone: sla.minutes <= 30 ? 'warn' : 'info' };
    case 'window': return { text: t('sla.window', { in: duration(sla.minutes) }), tone: 'warn' };
    case 'late': return { text: t('sla.late', { by: duration(sla.minutes) }), tone: 'bad' };
    case 'arrived': return { text: t('sla.arrived', { time: formatTime(sla.at).slice(11) }), tone: 'ok' };
    case 'done': return { text: t(`status.${ticket.status}`), tone: 'ok' };
    default: return { text: t('sla.unscheduled'), tone: 'info' };
  }
}

export function slaBadge(ticket, now) {
  const { text, tone } = slaText(ticket, now);
  return h('span', { class: ['badge', 'sla', `tone-${tone}`], dataset: { sla: '1' } }, text);
}

// "10:00–12:00" today, "2026-11-24 10:00–12:00" on another day.
export function scheduleText(ticket, now = new Date()) {
  if (!ticket.scheduled_start) return t('sla.unscheduled');
  const today = localDay(ticket.scheduled_start) === localDay(now);
  const start = today ? formatTime(ticket.scheduled_start).slice(11) : formatTime(ticket.scheduled_start);
  const end = ticket.scheduled_end ? formatTime(ticket.scheduled_end).slice(11) : '';
  return end ? `${start}–${end}` : start;
}

// Address opens the phone's map app (geo: URI); the phone number dials.
export function mapLink(address) {
  return h('a', { class: 'contact-link', href: `geo:0,0?q=${encodeURIComponent(address)}`,
    'aria-label': t('ticket.open_map', { address }) }, icon('pin'), h('span', null, address));
}

export function phoneLink(phone) {
  return h('a', { class: 'contact-link', href: `tel:${phone.replace(/[^+\d]/g, '')}`,
    'aria-label': t('ticket.call', { phone }) }, icon('phone'), h('span', null, phone));
}

export function partName(catalog, sku) {
  const part = (catalog?.parts ?? []).find((p) => p.sku === sku);
  return part ? localName(part, language()) : sku;
}

export function feeName(ticket, itemCode) {
  const item = feeItem(ticket, itemCode);
  if (!item) return itemCode;
  const name = localName(item, language());
  return item.difficulty > 1 ? t('fees.with_difficulty', { name, n: item.difficulty }) : name;
}

export function lineNoteText(note, ticket) {
  switch (note) {
    case 'warranty': return t('line.warranty', { date: ticket.appliance?.warranty_until ?? '' });
    case 'customer_part': return t('line.customer_part');
    case 'override': return t('line.override');
    case 'repeat_repair': return t('line.repeat_repair');
    case 'card': return t('line.card_price');
    default: return null;
  }
}

// The priced lines and total, as the customer sees them (quote, summary, receipt).
export function linesTable(ticket, catalog, { caption } = {}) {
  const rows = [];
  for (const line of ticket.parts ?? []) {
    const note = lineNoteText(partLineNote(line), ticket);
    rows.push(h('tr', null,
      h('th', { scope: 'row' }, partName(catalog, line.sku), note ? h('small', { class: 'note' }, note) : null),
      h('td', { class: 'qty' }, `×${line.qty}`),
      h('td', { class: 'money' }, formatMoney(line.amount_fen))));
  }
  for (const line of ticket.fees ?? []) {
    const note = lineNoteText(feeLineNote(line, feeItem(ticket, line.item_code)), ticket);
    rows.push(h('tr', null,
      h('th', { scope: 'row' }, feeName(ticket, line.item_code), note ? h('small', { class: 'note' }, note) : null),
      h('td', { class: 'qty' }, `×${line.qty}`),
      h('td', { class: 'money' }, formatMoney(line.amount_fen))));
  }
  if (rows.length === 0) {
    rows.push(h('tr', null, h('td', { colspan: 3, class: 'empty' }, t('lines.none'))));
  }
  return h('table', { class: 'lines' },
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('lines.item')), h('th', { scope: 'col', class: 'qty' }, t('lines.qty')),
      h('th', { scope: 'col', class: 'money' }, t('lines.amount')))),
    h('tbody', null, rows),
    h('tfoot', null, h('tr', { class: 'total' },
      h('th', { scope: 'row', colspan: 2 }, t('ticket.total')),
      h('td', { class: 'money', dataset: { total: String(ticket.total_fen ?? 0) } }, formatMoney(ticket.total_fen ?? 0)))));
}

export function paymentsList(ticket) {
  const payments = ticket.payments ?? [];
  return h('div', { class: 'payments' },
    payments.length === 0 ? null : h('ul', { class: 'plain' }, payments.map((p) => h('li', null,
      `${t(`payment.${p.method}`)} ${formatMoney(p.amount_fen)}`, h('small', { class: 'note' }, formatTime(p.at))))),
    h('p', { class: 'due' }, t('payment.paid_due', {
      paid: formatMoney(amountPaid(ticket)), due: formatMoney(amountDue(ticket)) })));
}

// A stored signature image (from the blob kept on the phone), with who and when.
export async function signatureImage(signature) {
  const caption = signature.refused
    ? t('signature.refused_by', { reason: signature.refusal_reason ?? '' })
    : t('signature.signed_by', { name: signature.signer_name ?? '', time: formatTime(signature.at) });
  let image = null;
  if (signature.blob) {
    const blob = await getBlob(signature.blob);
    if (blob) {
      const url = URL.createObjectURL(new Blob([blob.bytes], { type: blob.type }));
      image = h('img', { class: 'signature-image', src: url, alt: t('signature.image_alt', { name: signature.signer_name ?? '' }),
        onLoad: () => URL.revokeObjectURL(url) });
    } else {
      image = h('p', { class: 'note' }, t('signature.on_server'));
    }
  }
  return h('figure', { class: 'signature-shown' }, image, h('figcaption', null, caption));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

export function notice(tone, text, props = {}) {
  return h('p', { class: ['notice', `tone-${tone}`], role: tone === 'bad' || tone === 'warn' ? 'alert' : null, ...props }, text);
}
