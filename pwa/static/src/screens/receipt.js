// The receipt the customer looks at on the phone: offline, from local state, with the same
// lines and totals as the summary they signed, the payments and the signature.
import { applianceText, linesTable, notice, paymentsList, signatureImage, warrantyBadge } from '../components.js';
import { formatTime, language, t } from '../i18n.js';
import { diagnosisFor, lastVisit, localName, signatureState } from '../model.js';
import * as store from '../store.js';
import { summaryHash } from '../summary.js';
import { fill, h } from '../ui.js';

export default async function receipt({ route }) {
  const ticketId = route.id;
  let row = await store.ticketRow(ticketId);
  if (!row) return { node: h('div', { class: 'screen' }, h('h1', null, t('job.not_found'))), title: t('job.not_found') };
  const catalog = await store.catalog();
  const lang = language();
  const body = h('div', { class: 'receipt-body' });

  function codeText(code) {
    const row = (catalog.fault_codes ?? []).find((c) => c.code === code);
    return row ? localName(row, lang, 'description') : code;
  }

  async function paint() {
    const ticket = row.view;
    const visit = lastVisit(ticket);
    const diagnosis = visit ? diagnosisFor(ticket, visit.id) : null;
    const hash = await summaryHash(ticket);
    const signed = signatureState(ticket, 'completion', hash);
    fill(body,
      h('dl', { class: 'facts-list' },
        h('dt', null, t('ticket.number')), h('dd', null, ticket.number ?? String(ticket.id)),
        h('dt', null, t('receipt.date')), h('dd', null, formatTime(visit?.completed_at ?? visit?.arrived_at ?? new Date().toISOString())),
        h('dt', null, t('receipt.customer')), h('dd', null, ticket.customer?.name ?? ''),
        h('dt', null, t('ticket.address')), h('dd', null, ticket.customer?.address ?? ''),
        h('dt', null, t('ticket.appliance')), h('dd', null, applianceText(ticket.appliance), ' ', warrantyBadge(ticket.appliance)),
        diagnosis ? [h('dt', null, t('receipt.diagnosis')), h('dd', null,
          [diagnosis.fault_code, diagnosis.cause_code, diagnosis.handling_code].filter(Boolean).map(codeText).join(' → '))] : null,
        visit?.resolution ? [h('dt', null, t('complete.resolution')), h('dd', null, t(`resolution.${visit.resolution}`))] : null),
      linesTable(ticket, catalog, { caption: t('receipt.lines') }),
      h('h2', null, t('payment.title')),
      paymentsList(ticket),
      h('h2', null, t('signature.title')),
      signed.state === 'changed' ? notice('warn', t('signature.resign')) : null,
      signed.latest ? await signatureImage(signed.latest) : h('p', { class: 'note' }, t('receipt.not_signed')),
      h('p', { class: 'hash' }, t('receipt.hash', { hash: hash.slice(0, 16) })),
      ticket.rating ? h('p', null, t('rating.saved', { n: ticket.rating.score })) : null);
  }

  // Opening read the ticket above; a later change reads it again.
  async function refresh() {
    row = (await store.ticketRow(ticketId)) ?? row;
    await paint();
  }
  await paint();

  const node = h('div', { class: 'screen receipt' },
    h('h1', null, t('receipt.title')),
    h('p', { class: 'receipt-brand' }, t('app.title')),
    body,
    h('p', { class: 'no-print' }, h('button', { type: 'button', class: 'secondary', onClick: () => window.print() }, t('receipt.print'))));
  return { node, header: row.view.number, title: t('receipt.title'), refresh };
}
