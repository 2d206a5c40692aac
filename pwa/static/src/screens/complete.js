// Completion: resolution and the test-run checklist, the customer signs the summary (or
// refuses, with a reason: never forced), payment and rating. When the lines change after
// signing, a new signature is asked for.
import { linesTable, notice, paymentsList, section, signatureImage } from '../components.js';
import { formatTime, language, t } from '../i18n.js';
import {
  amountDue, checklistAnswers, checklistFor, currentVisit, lastVisit, localName, signatureState,
} from '../model.js';
import { parseYuan, yuanText } from '../money.js';
import { pathFor } from '../route.js';
import { savePad, signatureField } from '../signature.js';
import * as store from '../store.js';
import { summaryHash } from '../summary.js';
import { choice, field, fill, h } from '../ui.js';

const RESOLUTIONS = ['fixed', 'pending_parts', 'needs_workshop', 'not_fixed'];
const METHODS = ['cash', 'wechat', 'alipay', 'card', 'invoice_later'];

export default async function complete({ route }) {
  const ticketId = route.id;
  let row = await store.ticketRow(ticketId);
  if (!row) return { node: h('div', { class: 'screen' }, h('h1', null, t('job.not_found'))), title: t('job.not_found') };
  const catalog = await store.catalog();
  const lang = language();

  // --- resolution and completion checklist ---
  const checklistBox = h('div');
  const completedState = h('div');
  const resolutionBox = h('fieldset', { class: 'choices' }, h('legend', null, t('complete.resolution')),
    RESOLUTIONS.map((r) => choice('radio', { name: 'resolution', value: r, label: t(`resolution.${r}`), checked: r === 'fixed' })));
  const completeNotes = h('textarea', { id: 'complete-notes', rows: 2, maxlength: 4000 });
  const completeButton = h('button', { type: 'submit', class: 'primary', id: 'complete-submit' }, t('complete.submit'));
  const completeForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    const visit = currentVisit(row.view);
    if (!visit) return;
    const resolution = resolutionBox.querySelector('input:checked')?.value ?? 'fixed';
    await store.act('work.complete', ticketId, { visit_id: visit.id, resolution, notes: completeNotes.value.trim() || null });
  } }, resolutionBox, field(t('complete.notes'), completeNotes), completeButton);

  function paintCompletion() {
    const visit = lastVisit(row.view);
    const template = checklistFor(catalog, 'completion', row.view.appliance?.category);
    const answers = visit ? checklistAnswers(row.view, visit.id) : new Map();
    fill(checklistBox, template ? h('fieldset', { class: 'choices' }, h('legend', null, t('checklist.completion')),
      template.items.map((item) => {
        const box = choice('checkbox', {
          name: `completion-${item.item_code}`, checked: answers.get(item.item_code) === true,
          label: localName(item, lang, 'label'),
          onChange: (event) => store.act('checklist.answer', ticketId, {
            visit_id: visit.id, item_code: item.item_code, value: event.target.checked }),
        });
        const input = box.querySelector('input');
        input.id = `completion-${item.item_code}`;
        input.disabled = !visit;
        return box;
      })) : null);
    const open = currentVisit(row.view);
    const done = visit?.completed_at ? visit : null;
    completeForm.hidden = !open;
    fill(completedState,
      done ? notice('ok', t('complete.done', { resolution: t(`resolution.${done.resolution}`), time: formatTime(done.completed_at) }), { id: 'complete-done' }) : null,
      !open && !done ? notice('info', t('visit.start_first')) : null,
      open && !open.arrived_at ? notice('info', t('complete.not_arrived')) : null);
  }

  // --- the customer's signature on the summary ---
  const summaryBox = h('div');
  const signatureBox = h('div');
  const signMessage = h('p', { class: 'form-message', role: 'status', id: 'signature-message' });
  const signer = h('input', { id: 'signature-signer', autocomplete: 'off', maxlength: 120, value: row.view.customer?.name ?? '' });
  const pad = signatureField({ label: t('signature.sign_here'), clearLabel: t('signature.clear') });
  const save = h('button', { type: 'submit', class: 'primary', id: 'signature-save' }, t('signature.save'));
  const refusalReason = h('textarea', { id: 'refusal-reason', rows: 2, maxlength: 2000 });
  const refuse = h('button', { type: 'button', class: 'secondary', id: 'signature-refuse' }, t('signature.refuse'));
  const refusalForm = h('form', { class: 'stack refusal', hidden: true, onSubmit: async (event) => {
    event.preventDefault();
    const reason = refusalReason.value.trim();
    if (!reason) { fill(signMessage, t('signature.reason_required')); refusalReason.focus(); return; }
    await store.act('signature.capture', ticketId, {
      blob: null, signer_name: signer.value.trim() || null, summary_hash: await summaryHash(row.view),
      role: 'customer', refused: true, refusal_reason: reason });
    refusalReason.value = '';
    refusalForm.hidden = true;
    fill(signMessage, t('signature.refusal_saved'));
  } }, field(t('signature.refusal_reason'), refusalReason),
  h('button', { type: 'submit', class: 'primary', id: 'refusal-save' }, t('signature.refusal_save')));
  refuse.addEventListener('click', () => { refusalForm.hidden = !refusalForm.hidden; if (!refusalForm.hidden) refusalReason.focus(); });

  const signForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    if (pad.isEmpty()) { fill(signMessage, t('signature.empty')); return; }
    if (!signer.value.trim()) { fill(signMessage, t('signature.name_required')); signer.focus(); return; }
    const saved = await savePad(pad, save, async (image) => {
      const blob = await store.imageBlob(image);
      await store.act('signature.capture', ticketId, {
        blob: blob.sha256, signer_name: signer.value.trim(), summary_hash: await summaryHash(row.view), role: 'customer' },
      { blobs: [blob] });
    });
    fill(signMessage, t(saved ? 'signature.saved_now' : 'signature.save_failed'));
  } }, field(t('signature.signer'), signer), pad.node, h('div', { class: 'button-row' }, save, refuse));

  async function paintSignature() {
    fill(summaryBox, linesTable(row.view, catalog));
    const hash = await summaryHash(row.view);
    const signed = signatureState(row.view, 'completion', hash);
    const shown = signed.latest ? await signatureImage(signed.latest) : null;
    fill(signatureBox,
      signed.state === 'changed' ? notice('warn', t('signature.resign'), { id: 'resign-notice' }) : null,
      signed.state === 'signed' ? notice('ok', t('signature.done'), { id: 'signature-done' }) : null,
      signed.state === 'refused' ? notice('info', t('signature.refused'), { id: 'signature-refused' }) : null,
      shown);
    // Asked again whenever what was signed is not what the customer pays now.
    const ask = signed.state === 'none' || signed.state === 'changed';
    signForm.hidden = !ask;
    if (!ask) refusalForm.hidden = true;
  }

  // --- payment and rating ---
  const paymentBox = h('div');
  const methodBox = h('fieldset', { class: 'choices' }, h('legend', null, t('payment.method')),
    METHODS.map((m) => choice('radio', { name: 'payment-method', value: m, label: t(`payment.${m}`), checked: m === 'cash' })));
  const amount = h('input', { id: 'payment-amount', inputmode: 'decimal', autocomplete: 'off', value: yuanText(amountDue(row.view)) });
  const payMessage = h('p', { class: 'form-message', role: 'status', id: 'payment-message' });
  const payForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    const fen = parseYuan(amount.value);
    if (fen === null) { fill(payMessage, t('payment.amount_invalid')); amount.focus(); return; }
    const method = methodBox.querySelector('input:checked')?.value ?? 'cash';
    await store.act('payment.record', ticketId, { payment_id: store.newId(), method, amount_fen: fen });
    fill(payMessage, t('payment.saved'));
  } }, methodBox, field(t('payment.amount'), amount, t('payment.amount_hint')),
  h('button', { type: 'submit', class: 'primary', id: 'payment-save' }, t('payment.save')), payMessage);

  const ratingState = h('div');
  const stars = h('fieldset', { class: 'choices stars' }, h('legend', null, t('rating.score')),
    [1, 2, 3, 4, 5].map((n) => choice('radio', { name: 'rating', value: String(n),
      checked: row.view.rating?.score === n,
      label: [h('span', { 'aria-hidden': 'true' }, `${n}★`), h('span', { class: 'visually-hidden' }, t('rating.of5', { n }))] })));
  const ratingComment = h('textarea', { id: 'rating-comment', rows: 2, maxlength: 2000, value: row.view.rating?.comment ?? '' });
  const ratingForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    const score = Number(stars.querySelector('input:checked')?.value);
    if (!score) { fill(ratingState, notice('warn', t('rating.choose'))); return; }
    await store.act('rating.record', ticketId, { score, comment: ratingComment.value.trim() || null });
  } }, stars, field(t('rating.comment'), ratingComment), h('button', { type: 'submit', class: 'primary', id: 'rating-save' }, t('rating.save')));

  function paintPayment() {
    fill(paymentBox, paymentsList(row.view));
    if (document.activeElement !== amount) amount.value = yuanText(amountDue(row.view));
    const rating = row.view.rating;
    fill(ratingState, rating ? notice('ok', t('rating.saved', { n: rating.score }), { id: 'rating-done' }) : null);
  }

  async function paint() {
    paintCompletion();
    await paintSignature();
    paintPayment();
  }

  // Opening read the ticket above; a later change reads it again.
  async function refresh() {
    row = (await store.ticketRow(ticketId)) ?? row;
    await paint();
  }
  await paint();

  const node = h('div', { class: 'screen complete' },
    h('h1', null, t('complete.title')),
    section(t('complete.work'), completedState, checklistBox, completeForm),
    section(t('signature.title'), summaryBox, signatureBox, signForm, refusalForm, signMessage),
    section(t('payment.title'), paymentBox, payForm),
    section(t('rating.title'), ratingState, ratingForm),
    h('p', null, h('a', { href: pathFor('receipt', ticketId), class: 'button primary', id: 'show-receipt' }, t('receipt.show'))));
  return { node, header: row.view.number, title: t('complete.title'), refresh, destroy: () => pad.destroy() };
}
