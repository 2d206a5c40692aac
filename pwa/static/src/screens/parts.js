// Parts: search the catalog offline, take from the van (its stock shown; going below zero
// is allowed, with a warning: the office gets a flag), or fit the customer's own part (not
// warranted); collect the old part.
import { lineNoteText, notice, partName, section } from '../components.js';
import { formatMoney, language, t } from '../i18n.js';
import { localName, partLineNote, vanLevel } from '../model.js';
import { searchParts } from '../search.js';
import * as store from '../store.js';
import { needsResign } from '../summary.js';
import { choice, field, fill, h } from '../ui.js';

export default async function parts({ route }) {
  const ticketId = route.id;
  let row = await store.ticketRow(ticketId);
  if (!row) return { node: h('div', { class: 'screen' }, h('h1', null, t('job.not_found'))), title: t('job.not_found') };
  const catalog = await store.catalog();
  const lang = language();
  const category = row.view.appliance?.category;
  let levels = await store.vanStock();
  let selected = null;

  const resign = h('div');
  const linesList = h('div');
  const results = h('ul', { class: 'results', id: 'part-results' });
  const form = h('div', { class: 'add-part' });
  const message = h('p', { class: 'form-message', role: 'status', id: 'part-message' });
  const search = h('input', { type: 'search', id: 'part-search', autocomplete: 'off', enterkeyhint: 'search' });
  search.addEventListener('input', () => paintResults());

  function paintResults() {
    const found = searchParts(catalog.parts, search.value, { category }).slice(0, 20);
    fill(results, found.length === 0 ? h('li', { class: 'empty' }, t('parts.none_found')) : found.map((part) => {
      const inVan = vanLevel(levels, part.sku);
      return h('li', null, h('button', {
        type: 'button', class: ['result', selected?.sku === part.sku && 'chosen'], id: `part-pick-${part.sku}`,
        'aria-pressed': selected?.sku === part.sku ? 'true' : 'false',
        onClick: () => { selected = part; paintResults(); paintForm(); form.querySelector('input')?.focus(); },
      },
      h('span', { class: 'result-name' }, localName(part, lang)),
      h('span', { class: 'result-meta' }, `${part.sku} · ${formatMoney(part.price_fen)} · `,
        h('span', { class: inVan > 0 ? 'in-van' : 'not-in-van' }, t('parts.in_van', { qty: inVan })))));
    }));
  }

  function paintForm() {
    if (!selected) {
      fill(form);
      return;
    }
    const part = selected;
    const inWarranty = Boolean(row.view.appliance?.in_warranty);
    const qty = h('input', { type: 'number', id: 'part-qty', inputmode: 'numeric', min: 1, max: 999, value: '1' });
    const warning = h('p', { class: 'form-message', id: 'part-warning' });
    const sourceName = `source-${part.sku}`;
    const chargeName = `charge-${part.sku}`;
    const chargeBox = h('fieldset', { class: 'choices' }, h('legend', null, t('parts.charge')),
      choice('radio', { name: chargeName, value: 'warranty', checked: inWarranty, label: t('parts.charge_warranty') }),
      choice('radio', { name: chargeName, value: 'paid', checked: !inWarranty, label: t('parts.charge_paid') }));
    const source = () => form.querySelector(`input[name="${sourceName}"]:checked`)?.value ?? 'van';
    const update = () => {
      const n = Number.parseInt(qty.value, 10) || 0;
      const left = vanLevel(levels, part.sku) - n;
      chargeBox.hidden = source() === 'customer';
      fill(warning, source() === 'van' && left < 0 ? notice('warn', t('parts.below_zero', { qty: vanLevel(levels, part.sku), left })) : null,
        source() === 'customer' ? notice('info', t('parts.customer_not_warranted')) : null);
    };
    qty.addEventListener('input', update);
    const sourceBox = h('fieldset', { class: 'choices', onChange: update }, h('legend', null, t('parts.source')),
      choice('radio', { name: sourceName, value: 'van', checked: true, label: t('parts.source_van', { qty: vanLevel(levels, part.sku) }) }),
      choice('radio', { name: sourceName, value: 'customer', label: t('parts.source_customer') }));
    const add = h('button', { type: 'submit', class: 'primary', id: 'part-add' }, t('parts.add'));
    fill(form, h('form', { class: 'stack', onSubmit: async (event) => {
      event.preventDefault();
      const n = Number.parseInt(qty.value, 10);
      if (!Number.isInteger(n) || n < 1 || n > 999) { fill(message, t('parts.qty_invalid')); qty.focus(); return; }
      const from = source();
      const charge = from === 'customer' ? 'paid'
        : form.querySelector(`input[name="${chargeName}"]:checked`)?.value ?? 'paid';
      const left = vanLevel(levels, part.sku) - n;
      await store.act('part.use', ticketId, { line_id: store.newId(), sku: part.sku, qty: n, source: from, charge });
      fill(message, from === 'van' && left < 0
        ? t('parts.added_below_zero', { name: localName(part, lang), left })
        : t('parts.added', { name: localName(part, lang) }));
      selected = null;
      paintForm();
      paintResults();
    } },
    h('h3', null, localName(part, lang), h('small', { class: 'note' }, `${part.sku} · ${formatMoney(part.price_fen)}`)),
    field(t('parts.qty'), qty),
    sourceBox, chargeBox, warning,
    h('div', { class: 'button-row' }, add,
      h('button', { type: 'button', class: 'secondary', onClick: () => { selected = null; paintForm(); paintResults(); } }, t('common.cancel')))));
    update();
  }

  function paintLines() {
    const lines = row.view.parts ?? [];
    const old = new Set((row.view.old_parts ?? []).map((o) => o.line_id));
    fill(linesList, lines.length === 0 ? h('p', { class: 'note' }, t('parts.no_lines')) : h('ul', { class: 'part-lines' },
      lines.map((line) => {
        const note = lineNoteText(partLineNote(line), row.view);
        const oldId = `old-${line.line_id}`;
        return h('li', { class: 'part-line', dataset: { line: line.line_id } },
          h('div', { class: 'line-head' },
            h('span', { class: 'line-name' }, partName(catalog, line.sku), ` ×${line.qty}`),
            h('span', { class: 'money' }, formatMoney(line.amount_fen))),
          h('p', { class: 'note' }, t(`parts.from_${line.source}`), note ? ` · ${note}` : ''),
          h('div', { class: 'button-row' },
            old.has(oldId)
              ? h('span', { class: 'badge ok' }, t('parts.old_collected'))
              : h('button', { type: 'button', class: 'secondary small', id: `old-${line.line_id}`,
                onClick: () => store.act('old_part.collect', ticketId, { line_id: oldId, sku: line.sku, qty: line.qty }) },
              t('parts.collect_old')),
            h('button', { type: 'button', class: 'danger small', id: `remove-${line.line_id}`,
              onClick: () => store.act('part.remove', ticketId, { line_id: line.line_id }) }, t('parts.remove'))));
      })));
  }

  async function paintResign() {
    fill(resign, await needsResign(row.view) ? notice('warn', t('signature.resign'), { id: 'resign-notice' }) : null);
  }

  async function paint() {
    paintLines();
    paintResults();
    await paintResign();
  }

  // Opening read the ticket and the van above; a later change reads both again.
  async function refresh() {
    row = (await store.ticketRow(ticketId)) ?? row;
    levels = await store.vanStock();
    await paint();
  }
  await paint();

  const node = h('div', { class: 'screen parts' },
    h('h1', null, t('parts.title')),
    resign,
    section(t('parts.used'), linesList),
    section(t('parts.find'),
      field(t('parts.search'), search, t('parts.search_hint')),
      results, form, message));
  return { node, header: row.view.number, title: t('parts.title'), refresh };
}
