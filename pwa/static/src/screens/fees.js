// Fees and quote: fee lines priced from the ticket's fee_items (resolved per ticket by the
// server), warranty lines at 0 with the reason, the total; the customer accepts the quote
// by signing before the work starts.
import { feeName, lineNoteText, linesTable, notice, section } from '../components.js';
import { formatMoney, formatTime, t } from '../i18n.js';
import { feeItem, feeLineNote, signatureState } from '../model.js';
import { savePad, signatureField } from '../signature.js';
import * as store from '../store.js';
import { summaryHash } from '../summary.js';
import { field, fill, h } from '../ui.js';

export default async function fees({ route }) {
  const ticketId = route.id;
  let row = await store.ticketRow(ticketId);
  if (!row) return { node: h('div', { class: 'screen' }, h('h1', null, t('job.not_found'))), title: t('job.not_found') };
  const catalog = await store.catalog();

  const feeLines = h('div');
  const addList = h('div');
  const quoteTable = h('div');
  const quoteState = h('div');
  const message = h('p', { class: 'form-message', role: 'status', id: 'quote-message' });

  const signer = h('input', { id: 'quote-signer', autocomplete: 'off', maxlength: 120, value: row.view.customer?.name ?? '' });
  const pad = signatureField({ label: t('quote.sign_here'), clearLabel: t('signature.clear') });
  const accept = h('button', { type: 'submit', class: 'primary', id: 'quote-accept' }, t('quote.accept'));
  const quoteForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    if (pad.isEmpty()) { fill(message, t('quote.needs_signature')); return; }
    if (!signer.value.trim()) { fill(message, t('signature.name_required')); signer.focus(); return; }
    const saved = await savePad(pad, accept, async (image) => {
      const blob = await store.imageBlob(image);
      await store.act('quote.accept', ticketId, {
        signature_blob: blob.sha256, signer_name: signer.value.trim(), summary_hash: await summaryHash(row.view) },
      { blobs: [blob] });
    });
    fill(message, t(saved ? 'quote.accepted_now' : 'signature.save_failed'));
  } }, field(t('signature.signer'), signer), pad.node, accept, message);

  const setQty = (line, qty) => store.act('fee.set', ticketId, { line_id: line.line_id, item_code: line.item_code, qty });

  function paintFeeLines() {
    const lines = row.view.fees ?? [];
    fill(feeLines, lines.length === 0 ? h('p', { class: 'note' }, t('fees.no_lines')) : h('ul', { class: 'fee-lines' },
      lines.map((line) => {
        const note = lineNoteText(feeLineNote(line, feeItem(row.view, line.item_code)), row.view);
        const name = feeName(row.view, line.item_code);
        return h('li', { class: 'fee-line', dataset: { line: line.line_id, item: line.item_code } },
          h('div', { class: 'line-head' }, h('span', { class: 'line-name' }, name), h('span', { class: 'money' }, formatMoney(line.amount_fen))),
          note ? h('p', { class: 'note' }, note) : null,
          h('div', { class: 'stepper', role: 'group', 'aria-label': t('fees.qty_of', { name }) },
            h('button', { type: 'button', class: 'secondary small', id: `fee-less-${line.line_id}`, disabled: line.qty <= 1,
              'aria-label': t('fees.less', { name }), onClick: () => setQty(line, line.qty - 1) }, '−'),
            h('span', { class: 'qty', 'aria-live': 'polite' }, `×${line.qty}`),
            h('button', { type: 'button', class: 'secondary small', id: `fee-more-${line.line_id}`, disabled: line.qty >= 999,
              'aria-label': t('fees.more', { name }), onClick: () => setQty(line, line.qty + 1) }, '+'),
            h('button', { type: 'button', class: 'secondary small', id: `fee-remove-${line.line_id}`,
              'aria-label': t('fees.remove_of', { name }),
              onClick: () => store.act('fee.remove', ticketId, { line_id: line.line_id }) }, t('parts.remove'))));
      })));
  }

  function paintAddList() {
    const used = new Set((row.view.fees ?? []).map((f) => f.item_code));
    const inWarranty = Boolean(row.view.appliance?.in_warranty);
    const items = (row.view.fee_items ?? []).filter((item) => !used.has(item.item_code));
    fill(addList, items.length === 0 ? h('p', { class: 'note' }, t('fees.all_added')) : h('ul', { class: 'results' },
      items.map((item) => h('li', null, h('button', {
        type: 'button', class: 'result', id: `fee-add-${item.item_code}`,
        onClick: () => store.act('fee.set', ticketId, { line_id: store.newId(), item_code: item.item_code, qty: 1 }),
      },
      h('span', { class: 'result-name' }, '+ ', feeName(row.view, item.item_code)),
      h('span', { class: 'result-meta' }, formatMoney(item.unit_fen),
        inWarranty && item.warranty_covered ? ` · ${t('fees.covered')}` : '',
        item.price_basis === 'card' ? ` · ${t('line.card_price')}` : '',
        item.price_basis === 'repeat_repair' ? ` · ${t('line.repeat_repair')}` : ''))))));
  }

  async function paintQuote() {
    fill(quoteTable, linesTable(row.view, catalog));
    const hash = await summaryHash(row.view);
    const quote = signatureState(row.view, 'quote', hash);
    if (quote.state === 'signed') {
      fill(quoteState, notice('ok', t('quote.accepted', { name: quote.latest.signer_name ?? '', time: formatTime(quote.latest.at) }), { id: 'quote-accepted' }));
    } else if (quote.state === 'changed') {
      fill(quoteState, notice('warn', t('quote.changed'), { id: 'quote-changed' }));
    } else {
      fill(quoteState, notice('info', t('quote.not_yet')));
    }
    quoteForm.hidden = quote.state === 'signed';
  }

  async function paint() {
    paintFeeLines();
    paintAddList();
    await paintQuote();
  }

  // Opening read the ticket above; a later change reads it again.
  async function refresh() {
    row = (await store.ticketRow(ticketId)) ?? row;
    await paint();
  }
  await paint();

  const node = h('div', { class: 'screen fees' },
    h('h1', null, t('fees.title')),
    section(t('fees.lines'), feeLines),
    section(t('fees.add'), addList),
    section(t('quote.title'), quoteTable, quoteState, quoteForm));
  return { node, header: row.view.number, title: t('fees.title'), refresh, destroy: () => pad.destroy() };
}
